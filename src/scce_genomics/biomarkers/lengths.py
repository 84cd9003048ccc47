"""Repeat-length distributions per microsatellite site, read from a BAM/CRAM with pysam.

As MSIsensor-pro (Jia et al. 2020) and MSIsensor (Niu et al., Bioinformatics 2014) do, a read
counts at a site only when its alignment spans the whole repeat with both flanks; the repeat
length is then the distance between the exact left and right flank sequences inside the read,
so it does not depend on where in the repeat the aligner placed an indel, and the bases between
the flanks must be the unit repeated (one sequencing error allowed). Reads are fetched
once per window of neighbouring sites; the flank search runs in numpy over all (site, read)
pairs of the window, never in a Python loop per read.

Only whole-unit changes of at most ``max_shift`` units are recognised (MSI changes the number
of units); a read whose flanks are not found at such a distance does not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scce_genomics.biomarkers.microsatellites import encode
from scce_genomics.biomarkers.tables import read_checked
from scce_genomics.errors import InputError
from scce_genomics.fileio import write_tsv

__all__ = [
    "COUNT_COLUMNS",
    "CountParams",
    "count_lengths",
    "length_matrix",
    "read_counts",
    "write_counts",
]

#: Long format of a counts file: one row per site and observed repeat number.
COUNT_COLUMNS = ["chrom", "start", "repeats", "reads"]
_SKIP_FLAGS = 0x4 | 0x100 | 0x200 | 0x400 | 0x800  # unmapped, secondary, QC fail, dup, suppl.
_WINDOW = 20_000  # bp of neighbouring sites served by one fetch


@dataclass(frozen=True)
class CountParams:
    """Read filters and the flank search (flank must match the site table's)."""

    min_mapq: int = 20
    flank: int = 5
    max_shift: int = 6  # units either way
    slack: int = 10  # bp of indel or clipping before the left flank that the search absorbs


def _fetch(
    bam: Any, chrom: str, start: int, end: int, params: CountParams
) -> tuple[np.ndarray, ...]:
    """Reference start/end, alignment start in the read, and codes of the reads over a window."""
    rs, re_, qs, seqs = [], [], [], []
    for read in bam.fetch(chrom, start, end):
        if read.flag & _SKIP_FLAGS or read.mapping_quality < params.min_mapq:
            continue
        seq = read.query_sequence
        if not seq:
            continue
        rs.append(read.reference_start)
        re_.append(read.reference_end)
        qs.append(read.query_alignment_start)
        seqs.append(seq)
    if not seqs:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros((0, 1), dtype=np.uint8)
    width = max(len(s) for s in seqs)
    codes = np.full((len(seqs), width), 4, dtype=np.uint8)
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    flat = encode("".join(seqs))
    rows = np.repeat(np.arange(len(seqs)), lengths)
    cols = np.arange(flat.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    codes[rows, cols] = flat
    return np.array(rs), np.array(re_), np.array(qs), codes


def _nearest_match(read_codes: np.ndarray, pos: np.ndarray, flank: np.ndarray) -> np.ndarray:
    """Index (along axis 1 of ``pos``) of the first candidate position where ``flank`` matches.

    ``pos`` holds candidate start positions per pair, ordered nearest-first; -1 where none does.
    """
    f = flank.shape[1]
    idx = pos[:, :, None] + np.arange(f)
    inside = (pos >= 0) & (pos + f <= read_codes.shape[1])
    got = read_codes[
        np.arange(pos.shape[0])[:, None, None], np.clip(idx, 0, read_codes.shape[1] - 1)
    ]
    hit = (got == flank[:, None, :]).all(axis=2) & inside
    first = hit.argmax(axis=1)
    return np.where(hit.any(axis=1), first, -1)


def _nearest_first(radius: int) -> np.ndarray:
    """0, -1, 1, -2, 2, ...: offsets ordered by distance from the expected position."""
    steps = np.arange(1, radius + 1)
    return np.concatenate(([0], np.column_stack((-steps, steps)).ravel()))


def count_window(
    sites: pd.DataFrame,
    reads: tuple[np.ndarray, ...],
    params: CountParams,
) -> tuple[np.ndarray, np.ndarray]:
    """(site row, observed repeats) for every read that spans a site of one window."""
    rs, re_, qs, codes = reads
    if rs.size == 0 or len(sites) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    f = params.flank
    order = np.argsort(rs, kind="stable")
    rs, re_, qs, codes = rs[order], re_[order], qs[order], codes[order]
    start = sites["start"].to_numpy(dtype=np.int64)
    end = sites["end"].to_numpy(dtype=np.int64)
    span = int((re_ - rs).max())
    lo = np.searchsorted(rs, start - f - span, side="left")
    hi = np.searchsorted(rs, start - f, side="right")
    n = np.maximum(hi - lo, 0)
    site = np.repeat(np.arange(len(sites)), n)
    first = np.cumsum(n) - n
    read = np.repeat(lo, n) + np.arange(int(n.sum())) - np.repeat(first, n)
    spans = re_[read] >= end[site] + f
    site, read = site[spans], read[spans]
    if site.size == 0:
        return site, site
    left = np.stack([np.frombuffer(s.encode(), np.uint8) for s in sites["left_flank"]])
    right = np.stack([np.frombuffer(s.encode(), np.uint8) for s in sites["right_flank"]])
    left, right = _as_codes(left), _as_codes(right)
    pair_codes = codes[read]
    expected = qs[read] + (start[site] - f - rs[read])
    offsets = _nearest_first(params.slack)
    cand = expected[:, None] + offsets[None, :]
    k = _nearest_match(pair_codes, cand, left[site])
    ok = k >= 0
    site, read, pair_codes = site[ok], read[ok], pair_codes[ok]
    lpos = cand[ok, k[ok]]
    unit = sites["unit_length"].to_numpy(dtype=np.int64)[site]
    ref_bases = (end - start)[site]
    shifts = _nearest_first(params.max_shift)
    rcand = (lpos + f + ref_bases)[:, None] + shifts[None, :] * unit[:, None]
    j = _nearest_match(pair_codes, rcand, right[site])
    ok = j >= 0
    site, pair_codes, lpos, unit = site[ok], pair_codes[ok], lpos[ok], unit[ok]
    repeats = sites["repeats"].to_numpy(dtype=np.int64)[site] + shifts[j[ok]]
    units = np.stack([np.frombuffer(u.ljust(8, "N").encode(), np.uint8) for u in sites["unit"]])
    pure = _is_repeat(pair_codes, lpos + f, repeats * unit, _as_codes(units)[site], unit)
    keep = (repeats > 0) & pure
    return site[keep], repeats[keep]


def _is_repeat(
    codes: np.ndarray, begin: np.ndarray, length: np.ndarray, unit: np.ndarray, k: np.ndarray
) -> np.ndarray:
    """Whether each read's bases between the flanks are its site's unit repeated (≤ 1 error).

    A flank that matches by chance, or a read error in a flank, would otherwise turn into a
    length change of several units.
    """
    if begin.size == 0:
        return np.zeros(0, dtype=bool)
    width = int(length.max())
    cols = np.arange(width)
    inside = cols[None, :] < length[:, None]
    where = np.clip(begin[:, None] + cols, 0, codes.shape[1] - 1)
    got = codes[np.arange(begin.size)[:, None], where]
    want = unit[np.arange(begin.size)[:, None], cols[None, :] % k[:, None]]
    return ((got != want) & inside).sum(axis=1) <= 1


def _as_codes(ascii_rows: np.ndarray) -> np.ndarray:
    return encode(ascii_rows.tobytes()).reshape(ascii_rows.shape)


def count_lengths(
    bam_path: str | Path,
    sites: pd.DataFrame,
    params: CountParams = CountParams(),
    reference: str | None = None,
) -> pd.DataFrame:
    """Spanning reads per site and repeat number of one BAM/CRAM (long format, COUNT_COLUMNS)."""
    import pysam

    try:
        bam = pysam.AlignmentFile(str(bam_path), reference_filename=reference)
    except (OSError, ValueError) as err:
        raise InputError(f"cannot open alignments ({err})", bam_path) from None
    rows_site, rows_rep = [], []
    with bam:
        if not bam.has_index():
            raise InputError("the BAM has no index; run samtools index", bam_path)
        known = set(bam.references)
        chroms = sites["chrom"].astype(str).to_numpy()
        present = np.isin(chroms, list(known))
        if len(sites) and not present.any():
            raise InputError(
                "none of the microsatellite contigs is in the BAM header "
                f"(sites on {', '.join(sorted(set(chroms))[:3])}; BAM has "
                f"{', '.join(list(known)[:3])}): aligned to another reference?",
                bam_path,
            )
        for chrom in pd.unique(chroms[present]):
            idx = np.flatnonzero(chroms == chrom)
            starts = sites["start"].to_numpy()[idx]
            window_id = (starts - starts[0]) // _WINDOW  # neighbouring sites share a fetch
            for w in np.unique(window_id):
                sel = idx[window_id == w]
                part = sites.iloc[sel]
                reads = _fetch(
                    bam, str(chrom), int(part["start"].min()), int(part["end"].max()), params
                )
                s, r = count_window(part, reads, params)
                rows_site.append(sel[s])
                rows_rep.append(r)
    site = np.concatenate(rows_site) if rows_site else np.zeros(0, dtype=np.int64)
    rep = np.concatenate(rows_rep) if rows_rep else np.zeros(0, dtype=np.int64)
    if site.size == 0:
        return pd.DataFrame(columns=COUNT_COLUMNS)
    key, n_reads = np.unique(np.column_stack((site, rep)), axis=0, return_counts=True)
    return pd.DataFrame(
        {
            "chrom": sites["chrom"].to_numpy()[key[:, 0]],
            "start": sites["start"].to_numpy()[key[:, 0]],
            "repeats": key[:, 1],
            "reads": n_reads,
        }
    )


def write_counts(counts: pd.DataFrame, path: str | Path) -> None:
    write_tsv(counts[COUNT_COLUMNS], path)


def read_counts(path: str | Path) -> pd.DataFrame:
    hint = "make it with `scce-genomics msi count`"
    table = read_checked(path, "repeat-length counts", COUNT_COLUMNS, hint)
    return table[COUNT_COLUMNS]


def length_matrix(counts: pd.DataFrame, sites: pd.DataFrame, max_shift: int) -> np.ndarray:
    """Reads per site (rows, in ``sites`` order) and shift from the reference repeat number.

    Column ``max_shift + d`` holds reads with ``d`` units more than the reference
    (−``max_shift`` ≤ d ≤ ``max_shift``); sites without reads are rows of zeros.
    """
    matrix = np.zeros((len(sites), 2 * max_shift + 1), dtype=np.int64)
    if len(counts) == 0:
        return matrix
    key = pd.MultiIndex.from_arrays([sites["chrom"].astype(str), sites["start"].astype(np.int64)])
    row = key.get_indexer(
        pd.MultiIndex.from_arrays([counts["chrom"].astype(str), counts["start"].astype(np.int64)])
    )
    shift = (
        counts["repeats"].to_numpy(dtype=np.int64) - sites["repeats"].to_numpy()[np.maximum(row, 0)]
    )
    ok = (row >= 0) & (np.abs(shift) <= max_shift)
    np.add.at(matrix, (row[ok], shift[ok] + max_shift), counts["reads"].to_numpy()[ok])
    return matrix
