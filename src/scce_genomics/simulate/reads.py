"""Read pairs sampled from cell haplotypes in proportion to copies × cell fraction."""

from __future__ import annotations

import contextlib
import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scce_genomics.fileio import atomic_path
from scce_genomics.simulate.events import Variant
from scce_genomics.simulate.genome import (
    DECODE,
    SyntheticGenome,
    revcomp_codes,
)
from scce_genomics.simulate.spec import CohortSpec


@dataclass
class Haplotype:
    seq: np.ndarray
    anchors: np.ndarray  # ref positions after which the shift changes
    shifts: np.ndarray  # cumulative shift after each anchor

    def to_hap(self, ref_pos: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.anchors, ref_pos, side="left")
        shift = np.concatenate([[0], self.shifts])[idx]
        return ref_pos + shift


def haplotype(ref: np.ndarray, variants: list[Variant]) -> Haplotype:
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
    return Haplotype(
        np.concatenate(pieces).astype(np.uint8),
        np.array(anchors, dtype=np.int64),
        np.array(shifts, dtype=np.int64),
    )


@dataclass
class Source:
    """One haplotype of one cell population, with its per-base sampling weight."""

    haps: dict[str, Haplotype]
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


def write_reads(
    rng: np.random.Generator,
    genome: SyntheticGenome,
    sources: list[Source],
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
    sources: list[Source],
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
