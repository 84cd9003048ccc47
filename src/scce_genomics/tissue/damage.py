"""Pre-adapter artifact rates by read orientation (FFPE deamination, 8-oxoG oxidation).

Damage happens to one strand of the fragment before library prep, so it shows in one read
orientation only: deamination (C>T) appears as C>T on read 1 and G>A on read 2; oxidation (G>T)
as G>T on read 1 and C>A on read 2. Every base is put in read-1 orientation (the strand read 1
came from); then for each substitution X>Y the "pro" rate (X>Y) is compared with the "con" rate of
the complementary change on the same strand (comp(X)>comp(Y)). Sequencing errors and true
variants hit both equally; the artifact rate is ``max(pro - con, 0)`` (Picard
CollectSequencingArtifactMetrics' pre-adapter model).

Reads are a bounded subsample: up to ``max_reads`` primary, properly paired, MAPQ >= 20 reads
with an ungapped, unclipped alignment, drawn from evenly spaced windows (never the whole BAM).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pysam

__all__ = ["SUBSTITUTIONS", "artifact_table", "count_oriented", "sample_windows"]

_CODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate(b"ACGT"):
    _CODE[_b] = _i
    _CODE[ord(chr(_b).lower())] = _i
_COMP = np.array([3, 2, 1, 0, 4], dtype=np.uint8)
BASES = "ACGT"
#: substitution -> artifact name (C>T deamination, G>T oxidation, others reported for context)
SUBSTITUTIONS = {
    "C>T": "deamination",
    "G>T": "oxidation",
    "C>A": "other",
    "C>G": "other",
    "T>A": "other",
    "T>C": "other",
    "T>G": "other",
    "A>C": "other",
    "A>G": "other",
    "A>T": "other",
    "G>A": "other",
    "G>C": "other",
}


def sample_windows(
    lengths: dict[str, int], n_windows: int = 50, size: int = 100_000
) -> list[tuple[str, int, int]]:
    """Evenly spaced windows over the genome; whole contigs when the genome is small."""
    total = sum(lengths.values())
    if total <= n_windows * size:
        return [(c, 0, n) for c, n in lengths.items()]
    offsets = np.cumsum([0, *lengths.values()])
    names = list(lengths)
    out = []
    for start in np.linspace(0, total - size, n_windows).astype(np.int64).tolist():
        i = int(np.searchsorted(offsets, start, side="right") - 1)
        s = start - int(offsets[i])
        out.append((names[i], s, min(s + size, lengths[names[i]])))
    return out


def count_oriented(
    bam: str | Path,
    fasta: str | Path,
    max_reads: int = 200_000,
    min_base_quality: int = 20,
    n_windows: int = 50,
) -> tuple[np.ndarray, int]:
    """4x4 counts [reference base, read base] in read-1 orientation, and the reads used."""
    counts = np.zeros(16, dtype=np.int64)
    used = 0
    with pysam.AlignmentFile(str(bam)) as aln, pysam.FastaFile(str(fasta)) as fa:
        lengths = dict(zip(fa.references, fa.lengths, strict=True))
        windows = sample_windows(lengths, n_windows)
        per_window = max(1, max_reads // len(windows))
        for chrom, start, end in windows:
            if used >= max_reads or chrom not in aln.references:
                continue
            seqs, quals, starts, flip = [], [], [], []
            for r in aln.fetch(chrom, start, end):
                if (
                    r.flag & 0xF0C  # unmapped, mate unmapped, secondary, qcfail, dup, suppl
                    or not r.is_proper_pair
                    or r.mapping_quality < 20
                    or r.reference_start < start
                ):
                    continue
                cig = r.cigartuples
                if cig is None or len(cig) != 1 or cig[0][0] != 0:
                    continue
                seqs.append(r.query_sequence or "")
                quals.append(bytes(r.query_qualities))  # type: ignore[arg-type]
                starts.append(r.reference_start)
                flip.append(r.is_read1 == r.is_reverse)
                if len(seqs) >= min(per_window, max_reads - used):
                    break
            if not seqs:
                continue
            used += len(seqs)
            counts += _count_block(fa, chrom, seqs, quals, starts, flip, min_base_quality)
    return counts.reshape(4, 4), used


def _count_block(
    fa: pysam.FastaFile,
    chrom: str,
    seqs: list[str],
    quals: list[bytes],
    starts: list[int],
    flip: list[bool],
    min_bq: int,
) -> np.ndarray:
    """Vectorised counting of one window's reads (padded to the longest read)."""
    width = max(len(s) for s in seqs)
    read = _CODE[np.array(seqs, dtype=f"S{width}").view(np.uint8).reshape(len(seqs), width)]
    qual = np.array(quals, dtype=f"S{width}").view(np.uint8).reshape(len(seqs), width)
    st = np.array(starts, dtype=np.int64)
    lo, hi = int(st.min()), int(st.max()) + width
    refseq = fa.fetch(chrom, lo, hi).encode()
    ref_codes = _CODE[np.frombuffer(refseq, dtype=np.uint8)]
    ref_codes = np.concatenate([ref_codes, np.full(width, 4, np.uint8)])
    ref = ref_codes[(st - lo)[:, None] + np.arange(width)]
    fl = np.array(flip)[:, None]
    read = np.where(fl, _COMP[read], read)
    ref = np.where(fl, _COMP[ref], ref)
    ok = (read < 4) & (ref < 4) & (qual >= min_bq)
    return np.bincount((ref[ok] * 4 + read[ok]).astype(np.int64), minlength=16)


def artifact_table(counts: np.ndarray, sample: str, n_reads: int) -> pd.DataFrame:
    """Pro/con rates, artifact rate and orientation bias for every substitution."""
    rows = []
    for sub, artifact in SUBSTITUTIONS.items():
        x, y = BASES.index(sub[0]), BASES.index(sub[2])
        cx, cy = 3 - x, 3 - y
        pro_alt, pro_ref = int(counts[x, y]), int(counts[x].sum())
        con_alt, con_ref = int(counts[cx, cy]), int(counts[cx].sum())
        pro = pro_alt / pro_ref if pro_ref else np.nan
        con = con_alt / con_ref if con_ref else np.nan
        rows.append(
            {
                "sample": sample,
                "substitution": sub,
                "artifact": artifact,
                "pro_alt_bases": pro_alt,
                "pro_ref_bases": pro_ref,
                "con_alt_bases": con_alt,
                "con_ref_bases": con_ref,
                "pro_rate": pro,
                "con_rate": con,
                "artifact_rate": max(pro - con, 0.0) if pro_ref and con_ref else np.nan,
                "orientation_bias": pro_alt / (pro_alt + con_alt) if pro_alt + con_alt else np.nan,
                "n_reads": n_reads,
            }
        )
    return pd.DataFrame(rows)
