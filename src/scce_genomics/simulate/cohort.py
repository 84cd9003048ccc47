"""Synthetic tumor/normal cohorts with truth: genome, germline, somatic events, reads.

Everything is drawn from one seed, so a cohort is reproducible bit for bit. A tumor is a mix of
normal cells and two tumor clones; each cell type contributes two haplotype sequences (germline
SNPs, plus somatic SNVs/DBS/indels for tumor clones) with per-base copy numbers, and read pairs
are sampled in proportion to copies × cell fraction. The truth files hold what a perfect caller
would report: somatic variants with expected VAF, allele-specific copy-number segments, the
signature mix and purity.

Random genomes make every caller look perfect, so ``CohortSpec.fasta`` plants the same events in
real sequence instead (e.g. the bundled GRCh38 chr21 piece, or a region of any chromosome):
signature SNVs in the real trinucleotide contexts, indels, FFPE damage, and copy-number events
on positions (a gain, a loss, a focal amplification and a homozygous deletion per contig),
since driver genes may not exist there. ``CohortSpec.vaf_bins`` plants variants at fixed VAFs
(nested clones on a copy-neutral tumor), for recall/precision per VAF.
"""

from __future__ import annotations

import contextlib
import gzip
import itertools
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pysam

from scce_genomics.cosmic import SBS96_CHANNELS, cosmic_signatures
from scce_genomics.errors import InputError
from scce_genomics.fileio import atomic_open, atomic_path
from scce_genomics.simulate.genome import (
    DECODE,
    Gene,
    SyntheticGenome,
    genome_from_fasta,
    make_genome,
    revcomp_codes,
)

__all__ = [
    "PROFILES",
    "CohortSpec",
    "TumorProfile",
    "simulate_cohort",
    "write_reference",
]


@dataclass(frozen=True)
class TumorProfile:
    """What kind of tumor to plant: signature mix, arm and focal CN events, driver SNVs."""

    signatures: dict[str, float]
    arm_gains: tuple[str, ...] = ()
    arm_losses: tuple[str, ...] = ()
    focal_amps: tuple[str, ...] = ()
    homdels: tuple[str, ...] = ()
    drivers: tuple[str, ...] = ()


#: ESCC-like (APOBEC SBS2/13, 3q gain, 3p loss, CCND1/SOX2 amp, CDKN2A deletion) and
#: SCLC-like (tobacco SBS4, RB1 mutation with 13q LOH, 3p/17p loss, FHIT deletion, MYC amp).
PROFILES: dict[str, TumorProfile] = {
    "escc": TumorProfile(
        signatures={"SBS1": 0.15, "SBS5": 0.25, "SBS2": 0.25, "SBS13": 0.25, "SBS16": 0.10},
        arm_gains=("3q", "8q"),
        arm_losses=("3p", "9p", "17p"),
        focal_amps=("CCND1", "SOX2"),
        homdels=("CDKN2A",),
        drivers=("TP53", "NOTCH1", "PIK3CA"),
    ),
    "sclc": TumorProfile(
        signatures={"SBS4": 0.55, "SBS5": 0.25, "SBS1": 0.10, "SBS13": 0.10},
        arm_gains=("8q",),
        arm_losses=("3p", "13q", "17p"),
        focal_amps=("MYC",),
        homdels=("FHIT",),
        drivers=("TP53", "RB1"),
    ),
    "flat": TumorProfile(signatures={"SBS1": 0.3, "SBS5": 0.7}),
}


@dataclass
class CohortSpec:
    """The knobs of a simulated cohort; defaults make the bundled demo."""

    patients: int = 3
    profiles: tuple[str, ...] = ("escc", "sclc", "escc")
    tumor_only: int = 1
    scale: float = 1 / 400
    read_length: int = 100
    fragment_mean: int = 320
    fragment_sd: int = 40
    tumor_depth: float = 40.0
    normal_depth: float = 25.0
    units_per_sample: int = 2
    snvs: int = 300
    indel_fraction: float = 0.10
    dbs_fraction: float = 0.01
    subclonal_fraction: float = 0.2
    subclone_ccf: float = 0.4
    purity_range: tuple[float, float] = (0.55, 0.8)
    ffpe_rate: float = 0.01
    assay: str = "wgs"
    seed: int = 1
    sex: str = "female"
    germline_snp_rate: float = 1e-3
    extra: dict[str, float] = field(default_factory=dict)
    #: Real sequence to plant the tumors in (FASTA, plain or gzipped) instead of the random
    #: genome; ``region`` (chr:start-end, 1-based) takes a piece of it, ``arms`` an arm table
    #: (else each contig is split into p/q halves).
    fasta: str = ""
    region: str = ""
    arms: str = ""
    #: Plant every somatic variant at one of these VAFs (a copy-neutral tumor whose nested clones
    #: carry the variants; purity = 2 × the highest VAF); empty: purity, clonality and CN decide.
    vaf_bins: tuple[float, ...] = ()
    #: Fraction of each normal's DNA from another individual (own germline haplotypes drawn
    #: from a separate generator, so the rest of the cohort is unchanged); 0: none.
    contaminate_normal: float = 0.0


# ---------------------------------------------------------------------------------------------
# genome files


def write_reference(genome: SyntheticGenome, outdir: Path, assay: str) -> dict[str, Path]:
    """Write FASTA, GFF3 (Ensembl style, as ``bcftools csq`` expects), arms, targets BED."""
    ref = outdir / "reference"
    ref.mkdir(parents=True, exist_ok=True)
    paths = {
        "fasta": ref / "genome.fa",
        "gff3": ref / "genes.gff3",
        "arms": ref / "arms.tsv",
        "targets": ref / "targets.bed",
        "genes_bed": ref / "genes.bed",
    }
    with atomic_open(paths["fasta"]) as fa:
        for chrom in genome.chromosomes:
            fa.write(f">{chrom.name}\n")
            text = DECODE[chrom.seq].tobytes().decode()
            fa.writelines(text[i : i + 60] + "\n" for i in range(0, len(text), 60))
    with atomic_open(paths["gff3"]) as gff:
        gff.write("##gff-version 3\n")
        for chrom in genome.chromosomes:
            gff.write(f"##sequence-region {chrom.name} 1 {chrom.length}\n")
        for i, gene in enumerate(sorted(genome.genes, key=lambda g: (g.chrom, g.start))):
            gff.writelines(_gff_lines(gene, i))
    arms = pd.DataFrame(genome.arms(), columns=["chrom", "arm", "start", "end"])
    with atomic_open(paths["arms"]) as handle:
        arms.to_csv(handle, sep="\t", index=False)
    with atomic_open(paths["genes_bed"]) as handle:
        for gene in genome.genes:
            handle.write(f"{gene.chrom}\t{gene.start}\t{gene.end}\t{gene.symbol}\n")
    with atomic_open(paths["targets"]) as handle:
        for start, end, contig in _targets(genome):
            handle.write(f"{contig}\t{start}\t{end}\n")
    return paths


def _gff_lines(gene: Gene, index: int) -> list[str]:
    gid, tid = f"ENSGSIM{index:05d}", f"ENSTSIM{index:05d}"
    cols = f"{gene.chrom}\tsimulate\t"
    out = [
        f"{cols}gene\t{gene.start + 1}\t{gene.end}\t.\t{gene.strand}\t.\t"
        f"ID=gene:{gid};Name={gene.symbol};biotype=protein_coding;gene_id={gid}\n",
        f"{cols}mRNA\t{gene.start + 1}\t{gene.end}\t.\t{gene.strand}\t.\t"
        f"ID=transcript:{tid};Parent=gene:{gid};Name={gene.symbol}-201;"
        f"biotype=protein_coding;transcript_id={tid}\n",
    ]
    ordered = gene.exons if gene.strand == "+" else gene.exons[::-1]
    done = 0
    for start, end in ordered:
        phase = (3 - done % 3) % 3
        attrs = f"Parent=transcript:{tid}"
        out.append(f"{cols}exon\t{start + 1}\t{end}\t.\t{gene.strand}\t.\t{attrs}\n")
        out.append(f"{cols}CDS\t{start + 1}\t{end}\t.\t{gene.strand}\t{phase}\t{attrs}\n")
        done += end - start
    return out


def _targets(genome: SyntheticGenome) -> list[tuple[int, int, str]]:
    """Exome-like capture: every exon ± 50 bp plus one 200 bp target per 10 kb."""
    out: list[tuple[int, int, str]] = []
    for chrom in genome.chromosomes:
        spans = [
            (s - 50, e + 50) for g in genome.genes if g.chrom == chrom.name for s, e in g.exons
        ]
        for pos in range(5_000, chrom.length - 5_000, 10_000):
            if not chrom.centromere[0] - 500 <= pos <= chrom.centromere[1] + 500:
                spans.append((pos, pos + 200))
        spans.sort()
        merged: list[list[int]] = []
        for s, e in spans:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        out.extend((s, e, chrom.name) for s, e in merged)
    return out


# ---------------------------------------------------------------------------------------------
# variants


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


def _germline(rng: np.random.Generator, genome: SyntheticGenome, rate: float) -> list[Variant]:
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


class _Sites:
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


def _somatic(
    rng: np.random.Generator,
    genome: SyntheticGenome,
    sites: _Sites,
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


def _copy_numbers(
    rng: np.random.Generator, genome: SyntheticGenome, profile: TumorProfile
) -> dict[str, np.ndarray]:
    """Per-base (2, length) int8 copy numbers of the two haplotypes in tumor cells."""
    cn = {c.name: np.ones((2, c.length), dtype=np.int8) for c in genome.chromosomes}
    arms = {arm: (chrom, s, e) for chrom, arm, s, e in genome.arms()}
    for arm in profile.arm_gains:
        chrom, s, e = arms[arm]
        cn[chrom][int(rng.integers(0, 2)), s:e] += 1
    for arm in profile.arm_losses:
        chrom, s, e = arms[arm]
        cn[chrom][int(rng.integers(0, 2)), s:e] = 0
    for symbol in profile.focal_amps:
        gene = next(g for g in genome.genes if g.symbol == symbol)
        length = genome.chrom(gene.chrom).length
        half = max(15_000, length // 25)
        s, e = max(0, gene.start - half), min(length, gene.end + half)
        cn[gene.chrom][int(rng.integers(0, 2)), s:e] = int(rng.integers(6, 9))
    for symbol in profile.homdels:
        gene = next(g for g in genome.genes if g.symbol == symbol)
        length = genome.chrom(gene.chrom).length
        half = max(8_000, length // 60)
        s, e = max(0, gene.start - half), min(length, gene.end + half)
        cn[gene.chrom][:, s:e] = 0
    return cn


def _positional_copy_numbers(
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


def _segments(cn: dict[str, np.ndarray]) -> pd.DataFrame:
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


@dataclass
class _Haplotype:
    seq: np.ndarray
    anchors: np.ndarray  # ref positions after which the shift changes
    shifts: np.ndarray  # cumulative shift after each anchor

    def to_hap(self, ref_pos: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.anchors, ref_pos, side="left")
        shift = np.concatenate([[0], self.shifts])[idx]
        return ref_pos + shift


def _haplotype(ref: np.ndarray, variants: list[Variant]) -> _Haplotype:
    seq = ref.copy()
    indels = []
    for v in variants:
        if v.kind in ("SNV", "DBS"):
            seq[v.pos : v.pos + len(v.alt)] = ["ACGT".index(b) for b in v.alt]
        else:
            indels.append(v)
    pieces, anchors, shifts, last, total = [], [], [], 0, 0
    for v in sorted(indels, key=lambda x: x.pos):
        pieces.append(seq[last : v.pos + 1])
        if v.kind == "INS":
            pieces.append(np.array(["ACGT".index(b) for b in v.alt[1:]], dtype=np.uint8))
            last = v.pos + 1
        else:
            last = v.pos + len(v.ref)
        total += len(v.alt) - len(v.ref)
        anchors.append(v.pos + 1)
        shifts.append(total)
    pieces.append(seq[last:])
    return _Haplotype(
        np.concatenate(pieces).astype(np.uint8),
        np.array(anchors, dtype=np.int64),
        np.array(shifts, dtype=np.int64),
    )


@dataclass
class _Source:
    """One haplotype of one cell population, with its per-base sampling weight."""

    haps: dict[str, _Haplotype]
    weight: dict[str, np.ndarray]


def _hash_uniform(a: np.ndarray, b: np.ndarray, salt: int) -> np.ndarray:
    """Deterministic uniform [0, 1) from integer pairs (same damage on overlapping mates)."""
    with np.errstate(over="ignore"):
        x = (a.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ (
            b.astype(np.uint64) + np.uint64(salt) * np.uint64(0xBF58476D1CE4E5B9)
        )
        x ^= x >> np.uint64(31)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(29)
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _write_reads(
    rng: np.random.Generator,
    genome: SyntheticGenome,
    sources: list[_Source],
    depth: float,
    spec: CohortSpec,
    ffpe_rate: float,
    prefix: Path,
    name: str,
    capture: dict[str, np.ndarray] | None,
) -> list[tuple[Path, Path]]:
    """Sample read pairs from the sources; write ``units_per_sample`` FASTQ pairs."""
    rl = spec.read_length
    chroms = genome.chromosomes
    blocks, keys = [], []
    for si, src in enumerate(sources):
        for ci, chrom in enumerate(chroms):
            w = src.weight[chrom.name].astype(np.float64)
            if capture is not None:
                w = w * capture[chrom.name]
            blocks.append(w)
            keys.append((si, ci, chrom.length))
    cum = np.cumsum(np.concatenate(blocks))
    starts_of_block = np.cumsum([0] + [k[2] for k in keys])
    total = float(cum[-1])
    # A copy-neutral base has total weight 2 and should reach ``depth``: fragments start at
    # depth / (2 * rl) per base there, so depth / (4 * rl) per unit of weight.
    n_frag = int(total * depth / (4 * rl))
    units = [
        (
            prefix.parent / f"{prefix.name}_L{u + 1}_R1.fastq.gz",
            prefix.parent / f"{prefix.name}_L{u + 1}_R2.fastq.gz",
        )
        for u in range(spec.units_per_sample)
    ]
    with contextlib.ExitStack() as stack:
        handles = []
        for a, b in units:
            ta = stack.enter_context(atomic_path(a))
            tb = stack.enter_context(atomic_path(b))
            handles.append(
                (
                    stack.enter_context(gzip.open(ta, "wb", compresslevel=1)),
                    stack.enter_context(gzip.open(tb, "wb", compresslevel=1)),
                )
            )
        _sample_fragments(
            rng,
            chroms,
            sources,
            keys,
            cum,
            starts_of_block,
            n_frag,
            spec,
            ffpe_rate,
            name,
            handles,
        )
    return units


def _sample_fragments(
    rng: np.random.Generator,
    chroms: list,
    sources: list[_Source],
    keys: list[tuple[int, int, int]],
    cum: np.ndarray,
    starts_of_block: np.ndarray,
    n_frag: int,
    spec: CohortSpec,
    ffpe_rate: float,
    name: str,
    handles: list,
) -> None:
    """Draw ``n_frag`` fragments in chunks and write their read pairs round-robin to units."""
    rl = spec.read_length
    total = float(cum[-1])
    read_id = 0
    chunk = 200_000
    remaining = n_frag
    while remaining > 0:
        n = min(chunk, remaining)
        remaining -= n
        flat = np.searchsorted(cum, rng.random(n) * total, side="right")
        block = np.searchsorted(starts_of_block, flat, side="right") - 1
        pos = flat - starts_of_block[block]
        lengths = np.clip(
            rng.normal(spec.fragment_mean, spec.fragment_sd, n).astype(np.int64),
            rl + 20,
            spec.fragment_mean + 4 * spec.fragment_sd,
        )
        r1s, r2s = [], []
        for b in np.unique(block).tolist():
            si, ci, _ = keys[b]
            sel = block == b
            hap = sources[si].haps[chroms[ci].name]
            start = hap.to_hap(pos[sel])
            length = lengths[sel]
            ok = start + length <= hap.seq.size
            start, length = start[ok], length[ok]
            offs = np.arange(rl)
            left = hap.seq[start[:, None] + offs]
            right = hap.seq[(start + length - rl)[:, None] + offs]
            good = (left < 4).all(axis=1) & (right < 4).all(axis=1)
            left, right, start, length = left[good], right[good], start[good], length[good]
            forward = rng.random(left.shape[0]) < 0.5
            if ffpe_rate > 0:
                frag_id = rng.integers(0, 2**62, left.shape[0])
                for win, wstart in ((left, start), (right, start + length - rl)):
                    coord = wstart[:, None] + offs
                    hit = _hash_uniform(frag_id[:, None], coord, ci) < ffpe_rate
                    # C>T on forward-origin fragments, G>A (C>T of the bottom strand) otherwise
                    win[hit & forward[:, None] & (win == 1)] = 3
                    win[hit & ~forward[:, None] & (win == 2)] = 0
            rc_right = revcomp_codes(right)
            r1 = np.where(forward[:, None], left, rc_right)
            r2 = np.where(forward[:, None], rc_right, left)
            r1s.append(r1)
            r2s.append(r2)
        if not r1s:
            continue
        r1 = np.concatenate(r1s)
        r2 = np.concatenate(r2s)
        order = rng.permutation(r1.shape[0])
        r1, r2 = r1[order], r2[order]
        unit_of = np.arange(r1.shape[0]) % len(handles)
        for u, (h1, h2) in enumerate(handles):
            sel = unit_of == u
            ids = np.arange(read_id, read_id + r1.shape[0])[sel]
            h1.write(_fastq_block(rng, r1[sel], ids, name, 1))
            h2.write(_fastq_block(rng, r2[sel], ids, name, 2))
        read_id += r1.shape[0]


def _fastq_block(
    rng: np.random.Generator, codes: np.ndarray, ids: np.ndarray, name: str, mate: int
) -> bytes:
    """FASTQ text for reads with sequencing errors drawn from their own base qualities."""
    n, rl = codes.shape
    if n == 0:
        return b""
    cycle = np.arange(rl) / rl
    qual = np.clip(np.round(38 - 8 * cycle**2 + rng.normal(0, 2.5, (n, rl))), 2, 41)
    qual[rng.random((n, rl)) < 0.01] = 8
    err = rng.random((n, rl)) < 10 ** (-qual / 10)
    seq = codes.copy()
    seq[err] = (seq[err] + rng.integers(1, 4, int(err.sum()))) % 4
    seq_bytes = DECODE[seq]
    qual_bytes = (qual + 33).astype(np.uint8)
    names = np.array(
        [f"@{name}:{i:010d}/{mate}".encode() for i in ids.tolist()], dtype=f"S{len(name) + 14}"
    )
    name_bytes = names.view(np.uint8).reshape(n, -1)
    nl = np.full((n, 1), ord("\n"), dtype=np.uint8)
    plus = np.full((n, 1), ord("+"), dtype=np.uint8)
    rows = np.hstack([name_bytes, nl, seq_bytes, nl, plus, nl, qual_bytes, nl])
    return rows.tobytes()


# ---------------------------------------------------------------------------------------------
# truth files


def _write_vcf(path: Path, genome: SyntheticGenome, rows: list[tuple[Variant, dict]]) -> None:
    header = ["##fileformat=VCFv4.2", "##source=scce-genomics simulate"]
    header += [f"##contig=<ID={c.name},length={c.length}>" for c in genome.chromosomes]
    header += [
        '##INFO=<ID=TYPE,Number=1,Type=String,Description="SNV, DBS, INS or DEL">',
        '##INFO=<ID=SOURCE,Number=1,Type=String,Description="Signature, driver or germline">',
        '##INFO=<ID=VAF,Number=1,Type=Float,Description="Expected variant allele fraction">',
        '##INFO=<ID=CCF,Number=1,Type=Float,Description="Cancer cell fraction">',
        '##INFO=<ID=HAP,Number=1,Type=Integer,Description="Haplotype (2 = both)">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    order = {c.name: i for i, c in enumerate(genome.chromosomes)}
    rows = sorted(rows, key=lambda r: (order[r[0].chrom], r[0].pos))
    plain = path.with_suffix("")
    with atomic_open(plain) as handle:
        handle.write("\n".join(header) + "\n")
        for v, info in rows:
            fields = ";".join(f"{k}={val}" for k, val in info.items())
            handle.write(f"{v.chrom}\t{v.pos + 1}\t.\t{v.ref}\t{v.alt}\t.\tPASS\t{fields}\n")
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()
    pysam.tabix_index(str(path), preset="vcf", force=True)


def _contaminated(
    own: list[_Source], genome: SyntheticGenome, spec: CohortSpec, patient: int
) -> list[_Source]:
    """Mix a normal with another individual's germline haplotypes at ``contaminate_normal``."""
    frac = spec.contaminate_normal
    if not 0 < frac < 1:
        raise InputError("--contaminate-normal must be a fraction in [0, 1)")
    other = _germline(
        np.random.default_rng([spec.seed, 7919, patient]), genome, spec.germline_snp_rate
    )
    mixed = [_Source(s.haps, {k: v * (1 - frac) for k, v in s.weight.items()}) for s in own]
    for h in (0, 1):
        haps = {
            c.name: _haplotype(c.seq, [v for v in other if v.chrom == c.name and v.hap in (h, 2)])
            for c in genome.chromosomes
        }
        weight = {c.name: np.full(c.length, frac, dtype=np.float32) for c in genome.chromosomes}
        mixed.append(_Source(haps, weight))
    return mixed


def simulate_cohort(outdir: str | Path, spec: CohortSpec) -> dict[str, Any]:
    """Write reference, reads, truth and sample sheets for a cohort; return a summary."""
    outdir = Path(outdir)
    if spec.patients < 1:
        raise InputError("--patients must be at least 1")
    if not 0 <= spec.tumor_only <= spec.patients:
        raise InputError("--tumor-only must be between 0 and --patients")
    unknown = [p for p in spec.profiles if p not in PROFILES]
    if unknown:
        raise InputError(f"unknown profile(s) {unknown}; choose from {sorted(PROFILES)}")
    if spec.assay not in ("wgs", "exome"):
        raise InputError("--assay must be wgs or exome")
    bins = sorted({float(b) for b in spec.vaf_bins}, reverse=True)
    if bins and not all(0 < b <= 0.5 for b in bins):
        raise InputError("--vaf-bins must be VAFs in (0, 0.5] (heterozygous, copy-neutral)")
    rng = np.random.default_rng(spec.seed)
    if spec.fasta:
        genome = genome_from_fasta(spec.fasta, spec.region, spec.arms)
    else:
        genome = make_genome(rng, spec.scale)
    paths = write_reference(genome, outdir, spec.assay)
    signatures = cosmic_signatures("SBS", "3.4", "GRCh38")
    sites = _Sites(genome, rng) if spec.fasta else _Sites(genome)
    capture = None
    if spec.assay == "exome":
        capture = {c.name: np.full(c.length, 0.02) for c in genome.chromosomes}
        for s, e, chrom in _targets(genome):
            capture[chrom][max(0, s - 150) : e + 150] = 1.0
    sample_rows: list[tuple[str, ...]] = []
    unit_rows: list[tuple[str, str, Path, Path]] = []
    summary: dict[str, Any] = {"samples": []}
    for p in range(spec.patients):
        patient = f"P{p + 1}"
        profile_name = spec.profiles[p % len(spec.profiles)]
        profile = PROFILES[profile_name]
        germline = _germline(rng, genome, spec.germline_snp_rate)
        normal_haps = [
            {
                c.name: _haplotype(
                    c.seq, [v for v in germline if v.chrom == c.name and v.hap in (h, 2)]
                )
                for c in genome.chromosomes
            }
            for h in (0, 1)
        ]
        _write_vcf(
            outdir / "truth" / f"{patient}.germline.vcf.gz",
            genome,
            [(v, {"TYPE": v.kind, "SOURCE": "germline", "HAP": v.hap}) for v in germline],
        )
        has_normal = p < spec.patients - spec.tumor_only
        ones = {c.name: np.ones(c.length, dtype=np.float32) for c in genome.chromosomes}
        if has_normal:
            normal = f"{patient}N"
            sources = [_Source(normal_haps[h], ones) for h in (0, 1)]
            if spec.contaminate_normal:
                sources = _contaminated(sources, genome, spec, p)
            units = _write_reads(
                rng,
                genome,
                sources,
                spec.normal_depth,
                spec,
                0.0,
                outdir / "reads" / normal,
                normal,
                capture,
            )
            sample_rows.append((normal, patient, "normal", "blood", "", spec.sex))
            unit_rows += [(normal, f"L{i + 1}", a, b) for i, (a, b) in enumerate(units)]
        tumor = f"{patient}T"
        purity = float(np.round(rng.uniform(*spec.purity_range), 2))
        blocked = {(v.chrom, q) for v in germline for q in range(v.pos - 2, v.pos + 3)}
        somatic = _somatic(rng, genome, sites, profile, spec, signatures, blocked)
        if bins:
            cn = {c.name: np.ones((2, c.length), dtype=np.int8) for c in genome.chromosomes}
        elif genome.genes:
            cn = _copy_numbers(rng, genome, profile)
        else:
            cn = _positional_copy_numbers(rng, genome)
        for v in somatic:
            if v.source in profile.drivers:  # clonal, on the haplotype the tumor keeps (LOH)
                v.hap = int(np.argmax(cn[v.chrom][:, v.pos]))
                v.subclonal = False
        sub_ccf = spec.subclone_ccf
        # Cell populations (variants carried, fraction of cells): two clones, the second with the
        # subclonal variants too; or, with VAF bins, nested clones where population j carries the
        # variants of bins 0..j (bins high to low), so a bin-k variant is in 2 × VAF_k of cells.
        if bins:
            purity = min(1.0, 2 * bins[0])
            bin_of = np.empty(len(somatic), dtype=np.int64)
            bin_of[rng.permutation(len(somatic))] = np.arange(len(somatic)) % len(bins)
            cells = [2 * b for b in bins] + [0.0]
            populations = [
                ([v for v, k in zip(somatic, bin_of, strict=True) if k <= j],
                 (cells[j] - cells[j + 1]) / purity)
                for j in range(len(bins))
            ]  # fmt: skip
        else:
            populations = [
                ([v for v in somatic if not v.subclonal], 1 - sub_ccf),
                (somatic, sub_ccf),
            ]
        sources = [
            _Source(normal_haps[h], {k: v * (1 - purity) for k, v in ones.items()}) for h in (0, 1)
        ]
        for carried, frac in populations:
            for h in (0, 1):
                chosen = [v for v in carried if v.hap == h]
                haps = {
                    c.name: _haplotype(
                        c.seq,
                        [v for v in germline if v.chrom == c.name and v.hap in (h, 2)]
                        + [v for v in chosen if v.chrom == c.name],
                    )
                    for c in genome.chromosomes
                }
                weight = {k: arr[h].astype(np.float32) * purity * frac for k, arr in cn.items()}
                sources.append(_Source(haps, weight))
        tissue = "ffpe" if p % 2 == 0 else "fresh"
        ffpe = spec.ffpe_rate if tissue == "ffpe" else 0.0
        units = _write_reads(
            rng,
            genome,
            sources,
            spec.tumor_depth,
            spec,
            ffpe,
            outdir / "reads" / tumor,
            tumor,
            capture,
        )
        sample_rows.append((tumor, patient, "tumor", tissue, f"{purity}", spec.sex))
        unit_rows += [(tumor, f"L{i + 1}", a, b) for i, (a, b) in enumerate(units)]
        truth_rows = []
        for i, v in enumerate(somatic):
            arr = cn[v.chrom][:, v.pos]
            ccf = (2 * bins[bin_of[i]] / purity) if bins else (sub_ccf if v.subclonal else 1.0)
            vaf = purity * ccf * arr[v.hap] / (2 * (1 - purity) + purity * arr.sum())
            if vaf <= 0:
                continue
            truth_rows.append(
                (
                    v,
                    {
                        "TYPE": v.kind,
                        "SOURCE": v.source,
                        "VAF": f"{vaf:.4f}",
                        "CCF": ccf,
                        "HAP": v.hap,
                    },
                )
            )
        _write_vcf(outdir / "truth" / f"{tumor}.somatic.vcf.gz", genome, truth_rows)
        segs = _segments(cn)
        with atomic_open(outdir / "truth" / f"{tumor}.cn.tsv") as handle:
            segs.to_csv(handle, sep="\t", index=False)
        info = {
            "sample": tumor,
            "patient": patient,
            "profile": profile_name,
            "purity": purity,
            "tissue": tissue,
            "ffpe_rate": ffpe,
            "matched_normal": f"{patient}N" if has_normal else None,
            "signature_mix": profile.signatures,
            "events": asdict(profile),
            "n_somatic": len(truth_rows),
        }
        with atomic_open(outdir / "truth" / f"{tumor}.json") as handle:
            json.dump(info, handle, indent=2)
        summary["samples"].append(info)
    samples = pd.DataFrame(
        sample_rows, columns=["sample", "patient", "type", "tissue", "purity", "sex"]
    )
    units_df = pd.DataFrame(unit_rows, columns=["sample", "unit", "fq1", "fq2"])
    units_df["fq1"] = [str(Path(x).relative_to(outdir)) for x in units_df["fq1"]]
    units_df["fq2"] = [str(Path(x).relative_to(outdir)) for x in units_df["fq2"]]
    with atomic_open(outdir / "samples.tsv") as handle:
        samples.to_csv(handle, sep="\t", index=False)
    with atomic_open(outdir / "units.tsv") as handle:
        units_df.to_csv(handle, sep="\t", index=False)
    summary["reference"] = {k: str(v) for k, v in paths.items()}
    summary["spec"] = {k: v for k, v in asdict(spec).items() if k != "extra"}
    with atomic_open(outdir / "truth" / "cohort.json") as handle:
        json.dump(summary, handle, indent=2, default=str)
    return summary
