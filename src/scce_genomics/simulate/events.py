"""Germline SNPs, somatic SNVs/DBS/indels and copy-number profiles drawn for a simulated cohort."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scce_genomics.cosmic import SBS96_CHANNELS
from scce_genomics.simulate.genome import (
    DECODE,
    SyntheticGenome,
)
from scce_genomics.simulate.spec import CohortSpec, TumorProfile


@dataclass
class Variant:
    chrom: str
    pos: int  # 0-based position of the first REF base
    ref: str
    alt: str
    hap: int  # 0, 1, or 2 for both (germline hom)
    kind: str  # SNV, DBS, INS, DEL
    source: str  # signature, driver gene, or germline
    subclonal: bool = False


def draw_germline(rng: np.random.Generator, genome: SyntheticGenome, rate: float) -> list[Variant]:
    out = []
    for chrom in genome.chromosomes:
        n = rng.binomial(chrom.length, rate)
        pos = np.unique(rng.integers(100, chrom.length - 100, n))
        pos = pos[chrom.seq[pos] < 4]
        for p in pos.tolist():
            ref = int(chrom.seq[p])
            alt = (ref + int(rng.integers(1, 4))) % 4
            hap = 2 if rng.random() < 0.35 else int(rng.integers(0, 2))
            out.append(Variant(chrom.name, p, "ACGT"[ref], "ACGT"[alt], hap, "SNV", "germline"))
    return out


class Sites:
    """Positions by trinucleotide, for drawing SNVs in a given SBS96 context."""

    def __init__(
        self,
        genome: SyntheticGenome,
        rng: np.random.Generator | None = None,
        max_sites: int = 20_000_000,
    ):
        """Index every position, or (given ``rng``) a random ``max_sites`` of a large genome."""
        self.chroms = [c.name for c in genome.chromosomes]
        seqs = [c.seq for c in genome.chromosomes]
        keep = min(1.0, max_sites / max(1, sum(x.size for x in seqs)))
        tri, offsets, chrom_ids = [], [], []
        for i, seq in enumerate(seqs):
            s = seq.astype(np.int16) if rng is not None else seq.astype(np.int64)
            code = s[:-2] * 25 + s[1:-1] * 5 + s[2:]
            valid = (s[:-2] < 4) & (s[1:-1] < 4) & (s[2:] < 4)
            if rng is not None and keep < 1.0:
                valid &= rng.random(valid.size, dtype=np.float32) < keep
            pos = np.nonzero(valid)[0] + 1
            tri.append(code[valid])
            offsets.append(pos)
            chrom_ids.append(np.full(pos.size, i))
        self.code = np.concatenate(tri)
        self.pos = np.concatenate(offsets)
        self.chrom = np.concatenate(chrom_ids)
        order = np.argsort(self.code, kind="stable")
        self.code, self.pos, self.chrom = self.code[order], self.pos[order], self.chrom[order]

    def draw(self, rng: np.random.Generator, five: int, mid: int, three: int) -> tuple[int, int]:
        """A random (chrom index, position) whose top or bottom strand reads five-mid-three."""
        forward = five * 25 + mid * 5 + three
        reverse = (3 - three) * 25 + (3 - mid) * 5 + (3 - five)
        lo_f, hi_f = np.searchsorted(self.code, [forward, forward + 1])
        lo_r, hi_r = np.searchsorted(self.code, [reverse, reverse + 1])
        n_f, n_r = hi_f - lo_f, hi_r - lo_r
        k = int(rng.integers(0, n_f + n_r))
        i = lo_f + k if k < n_f else lo_r + (k - n_f)
        return int(self.chrom[i]), int(self.pos[i])


def draw_somatic(
    rng: np.random.Generator,
    genome: SyntheticGenome,
    sites: Sites,
    profile: TumorProfile,
    spec: CohortSpec,
    signatures: pd.DataFrame,
    blocked: set[tuple[str, int]],
) -> list[Variant]:
    """Draw SNVs by signature (contexts exact), driver SNVs, a few DBS and small indels."""
    names = list(profile.signatures)
    weights = np.array([profile.signatures[n] for n in names])
    mix = signatures[names].to_numpy() @ (weights / weights.sum())
    n_indel = round(spec.snvs * spec.indel_fraction)
    n_dbs = round(spec.snvs * spec.dbs_fraction)
    out: list[Variant] = []
    used: set[tuple[str, int]] = set(blocked)

    def free(chrom: str, pos: int, width: int = 1) -> bool:
        return all((chrom, p) not in used for p in range(pos - 6, pos + width + 6))

    def take(chrom: str, pos: int, width: int = 1) -> None:
        used.update((chrom, p) for p in range(pos, pos + width))

    sub_of = dict(zip("ACGT", range(4), strict=True))
    channel = rng.choice(96, size=spec.snvs, p=mix / mix.sum())
    # signature that produced each mutation, for truth
    posterior = signatures[names].to_numpy() * weights
    for ch in channel.tolist():
        label = SBS96_CHANNELS[ch]
        five, ref, alt, three = label[0], label[2], label[4], label[6]
        source = names[int(rng.choice(len(names), p=posterior[ch] / posterior[ch].sum()))]
        for _ in range(50):
            ci, pos = sites.draw(rng, sub_of[five], sub_of[ref], sub_of[three])
            chrom = genome.chromosomes[ci]
            if free(chrom.name, pos):
                break
        else:
            continue
        top = "ACGT"[chrom.seq[pos]]
        alt_top = alt if top == ref else "ACGT"[3 - sub_of[alt]]
        take(chrom.name, pos)
        out.append(Variant(chrom.name, pos, top, alt_top, 0, "SNV", source))
    for symbol in profile.drivers:
        gene = next((g for g in genome.genes if g.symbol == symbol), None)
        if gene is None:  # real sequence without the driver gene: signature SNVs only
            continue
        chrom = genome.chrom(gene.chrom)
        for _ in range(50):
            s, e = gene.exons[int(rng.integers(0, len(gene.exons)))]
            pos = int(rng.integers(s + 3, e - 3))
            if free(chrom.name, pos):
                break
        ref_code = int(chrom.seq[pos])
        alt_code = (ref_code + int(rng.integers(1, 4))) % 4
        take(chrom.name, pos)
        out.append(Variant(chrom.name, pos, "ACGT"[ref_code], "ACGT"[alt_code], 0, "SNV", symbol))
    for kind, count in (("DBS", n_dbs), ("DEL", n_indel // 2), ("INS", n_indel - n_indel // 2)):
        placed = 0
        while placed < count:
            chrom = genome.chromosomes[int(rng.integers(0, len(genome.chromosomes)))]
            pos = int(rng.integers(1_000, chrom.length - 1_000))
            width = 2 if kind == "DBS" else int(rng.integers(1, 7)) + 1
            window = chrom.seq[pos : pos + width + 1]
            if (window >= 4).any() or not free(chrom.name, pos, width):
                continue
            ref_codes = chrom.seq[pos : pos + width]
            text = DECODE[ref_codes].tobytes().decode()
            if kind == "DBS":
                alt = "".join("ACGT"[(int(c) + int(rng.integers(1, 4))) % 4] for c in ref_codes)
                out.append(Variant(chrom.name, pos, text, alt, 0, "DBS", "DBS"))
            elif kind == "DEL":
                out.append(Variant(chrom.name, pos, text, text[0], 0, "DEL", "indel"))
            else:
                ins = "".join(rng.choice(list("ACGT"), width - 1))
                out.append(Variant(chrom.name, pos, text[0], text[0] + ins, 0, "INS", "indel"))
            take(chrom.name, pos, width)
            placed += 1
    for v in out:
        v.hap = int(rng.integers(0, 2))
        v.subclonal = bool(rng.random() < spec.subclonal_fraction)
    return out


# ---------------------------------------------------------------------------------------------
# copy number


def arm_copy_numbers(
    rng: np.random.Generator,
    genome: SyntheticGenome,
    profile: TumorProfile,
    base: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Per-base (2, length) int8 copy numbers of the two haplotypes in tumor cells.

    ``base`` gives each chromosome's germline copies per haplotype (default one each; a male's
    X and Y have one present haplotype): gains and losses act on a haplotype that is present.
    """
    cn = {
        c.name: np.repeat(
            (base[c.name] if base else np.ones(2, dtype=np.int8)).reshape(2, 1), c.length, axis=1
        ).astype(np.int8)
        for c in genome.chromosomes
    }

    def present(chrom: str) -> int:
        """A random haplotype, or the other one where the drawn one is absent (male X/Y)."""
        hap = int(rng.integers(0, 2))
        return hap if base is None or base[chrom][hap] > 0 else 1 - hap

    arms = {arm: (chrom, s, e) for chrom, arm, s, e in genome.arms()}
    for arm in profile.arm_gains:
        chrom, s, e = arms[arm]
        cn[chrom][present(chrom), s:e] += 1
    for arm in profile.arm_losses:
        chrom, s, e = arms[arm]
        cn[chrom][present(chrom), s:e] = 0
    for symbol in profile.focal_amps:
        gene = next(g for g in genome.genes if g.symbol == symbol)
        length = genome.chrom(gene.chrom).length
        half = max(15_000, length // 25)
        s, e = max(0, gene.start - half), min(length, gene.end + half)
        cn[gene.chrom][present(gene.chrom), s:e] = int(rng.integers(6, 9))
    for symbol in profile.homdels:
        gene = next(g for g in genome.genes if g.symbol == symbol)
        length = genome.chrom(gene.chrom).length
        half = max(8_000, length // 60)
        s, e = max(0, gene.start - half), min(length, gene.end + half)
        cn[gene.chrom][:, s:e] = 0
    return cn


def positional_copy_numbers(
    rng: np.random.Generator, genome: SyntheticGenome
) -> dict[str, np.ndarray]:
    """CN events on positions, for real sequence without driver genes or whole arms.

    Each contig is cut into ten slots; two adjacent slots gain a copy, two others lose one
    (LOH), and two further slots hold a focal amplification (6-8 copies of one haplotype,
    ≥ 20 kb) and a homozygous deletion (≥ 10 kb) in their middle.
    """
    cn = {c.name: np.ones((2, c.length), dtype=np.int8) for c in genome.chromosomes}
    for c in genome.chromosomes:
        bounds = np.linspace(0, c.length, 11).astype(np.int64)
        pairs = rng.permutation(5)  # slot pairs (0,1), (2,3), ...: gain, loss
        singles = rng.permutation([2 * int(k) + j for k in pairs[2:] for j in (0, 1)])[:2]
        gain, loss = (int(pairs[0]) * 2, int(pairs[1]) * 2)
        cn[c.name][int(rng.integers(0, 2)), bounds[gain] : bounds[gain + 2]] += 1
        cn[c.name][int(rng.integers(0, 2)), bounds[loss] : bounds[loss + 2]] = 0
        for slot, width, value in (
            (int(singles[0]), max(20_000, c.length // 50), int(rng.integers(6, 9))),
            (int(singles[1]), max(10_000, c.length // 100), 0),
        ):
            mid = (int(bounds[slot]) + int(bounds[slot + 1])) // 2
            s, e = max(0, mid - width // 2), min(c.length, mid + width // 2)
            if value:
                cn[c.name][int(rng.integers(0, 2)), s:e] = value
            else:
                cn[c.name][:, s:e] = 0
    return cn


def cn_segments(cn: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = []
    for chrom, arr in cn.items():
        change = np.nonzero((np.diff(arr, axis=1) != 0).any(axis=0))[0] + 1
        bounds = np.concatenate([[0], change, [arr.shape[1]]])
        for s, e in itertools.pairwise(bounds):
            a, b = int(arr[0, s]), int(arr[1, s])
            rows.append((chrom, int(s), int(e), max(a, b), min(a, b), a + b))
    return pd.DataFrame(rows, columns=["chrom", "start", "end", "major_cn", "minor_cn", "total_cn"])


# ---------------------------------------------------------------------------------------------
# reads
