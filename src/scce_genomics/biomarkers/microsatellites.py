"""Microsatellites of a reference: homopolymers and short tandem repeats, found with numpy.

Definitions follow MSIsensor-pro's ``scan`` (Jia et al., Genomics Proteomics Bioinformatics
2020; github.com/xjtu-omics/msisensor-pro): a homopolymer of at least ``min_homopolymer`` bases,
or a repeat of a primitive unit of 2–``max_unit`` bases repeated at least ``min_repeats`` times,
with ``flank`` bases of unique context on each side that anchor the repeat inside a read.

A tract of period k is a run of positions where ``seq[i] == seq[i + k]``: one vectorised
comparison and one run-length pass per period, so a whole chromosome takes seconds. Units that
are themselves repeats (``AA``, ``ATAT``) are left to the shorter period that explains them.
A site whose flanks reach into another site, or hold an N, is left out: its reads could not be
anchored unambiguously.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.biomarkers.tables import read_checked
from scce_genomics.errors import InputError
from scce_genomics.fileio import write_tsv

__all__ = [
    "SITE_COLUMNS",
    "ScanParams",
    "encode",
    "in_targets",
    "read_sites",
    "scan_fasta",
    "scan_sequence",
    "select_sites",
    "write_sites",
]

#: Columns of a microsatellite site table (0-based half-open ``start``/``end`` of the repeat;
#: ``repeats`` whole units of ``unit``; ``left_flank``/``right_flank`` the anchoring bases).
SITE_COLUMNS = [
    "chrom",
    "start",
    "end",
    "unit",
    "unit_length",
    "repeats",
    "left_flank",
    "right_flank",
]

#: byte -> base code: ACGT (either case) -> 0-3, anything else (N, IUPAC) -> 4.
_ENCODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate("ACGT"):
    _ENCODE[ord(_b)] = _ENCODE[ord(_b.lower())] = _i
_DECODE = np.frombuffer(b"ACGTN", dtype=np.uint8)
_CHUNK = 8_000_000  # bases per scan step: bounds memory on a 250 Mb chromosome


@dataclass(frozen=True)
class ScanParams:
    """What counts as a microsatellite (defaults: MSIsensor-pro's distribution settings)."""

    min_homopolymer: int = 10
    max_homopolymer: int = 50
    max_unit: int = 6
    min_repeats: int = 5
    max_repeats: int = 40
    flank: int = 5

    def __post_init__(self) -> None:
        if not 2 <= self.min_homopolymer <= self.max_homopolymer:
            raise InputError("min_homopolymer must be ≥ 2 and ≤ max_homopolymer")
        if not 2 <= self.min_repeats <= self.max_repeats:
            raise InputError("min_repeats must be ≥ 2 and ≤ max_repeats")
        if not 1 <= self.max_unit <= 10 or not 1 <= self.flank <= 20:
            raise InputError("max_unit must be in 1-10 and flank in 1-20")

    @property
    def longest(self) -> int:
        return max(self.max_homopolymer, self.max_unit * (self.max_repeats + 1))


def encode(text: str | bytes) -> np.ndarray:
    """Sequence text as base codes 0-4 (ACGT, anything else N)."""
    raw = text.encode() if isinstance(text, str) else text
    return _ENCODE[np.frombuffer(raw, dtype=np.uint8)]


def _runs(eq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of every run of True in a boolean array."""
    edges = np.diff(np.concatenate(([0], eq.view(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    return starts, np.flatnonzero(edges == -1) - starts


def _primitive(units: np.ndarray) -> np.ndarray:
    """Whether each unit (rows of codes) is not a repeat of a shorter unit."""
    k = units.shape[1]
    keep = np.ones(units.shape[0], dtype=bool)
    for d in range(1, k):
        if k % d == 0:
            keep &= ~(units == np.roll(units, -d, axis=1)).all(axis=1)
    return keep


def _scan_chunk(seq: np.ndarray, params: ScanParams) -> tuple[np.ndarray, ...]:
    """(start, period, repeats) of every tract in ``seq`` that passes the length limits."""
    valid = seq < 4
    starts, periods, repeats = [], [], []
    for k in range(1, params.max_unit + 1):
        if seq.size <= k:
            break
        eq = (seq[:-k] == seq[k:]) & valid[:-k]
        run_start, run_len = _runs(eq)
        n_rep = (run_len + k) // k
        if k == 1:
            ok = (n_rep >= params.min_homopolymer) & (n_rep <= params.max_homopolymer)
        else:
            ok = (n_rep >= params.min_repeats) & (n_rep <= params.max_repeats)
        run_start, n_rep = run_start[ok], n_rep[ok]
        if k > 1 and run_start.size:
            units = seq[run_start[:, None] + np.arange(k)]
            prim = _primitive(units)
            run_start, n_rep = run_start[prim], n_rep[prim]
        starts.append(run_start)
        periods.append(np.full(run_start.size, k, dtype=np.int64))
        repeats.append(n_rep)
    return np.concatenate(starts), np.concatenate(periods), np.concatenate(repeats)


def scan_sequence(seq: np.ndarray, params: ScanParams = ScanParams()) -> pd.DataFrame:
    """Microsatellites of one sequence of base codes: start, end, unit_length, repeats, flanks.

    Scanned in overlapping chunks (overlap longer than any accepted tract), keeping the tracts
    that start inside each chunk's own part, so memory stays bounded on whole chromosomes.
    """
    overlap = params.longest + params.flank + 2
    found = []
    for a in range(0, max(seq.size, 1), _CHUNK):
        lo = max(0, a - overlap)
        part = seq[lo : min(seq.size, a + _CHUNK + overlap)]
        s, k, r = _scan_chunk(part, params)
        s = s + lo
        own = (s >= a) & (s < a + _CHUNK)
        found.append((s[own], k[own], r[own]))
    start = np.concatenate([f[0] for f in found])
    period = np.concatenate([f[1] for f in found])
    repeats = np.concatenate([f[2] for f in found])
    order = np.argsort(start, kind="stable")
    start, period, repeats = start[order], period[order], repeats[order]
    end = start + period * repeats
    f = params.flank
    keep = (start >= f) & (end + f <= seq.size)
    start, period, repeats, end = start[keep], period[keep], repeats[keep], end[keep]
    # flanks must be plain bases and clear of every other tract
    left = seq[start[:, None] - f + np.arange(f)]
    right = seq[end[:, None] + np.arange(f)]
    clean = (left < 4).all(axis=1) & (right < 4).all(axis=1)
    prev_end = np.concatenate(([-(10**12)], np.maximum.accumulate(end)[:-1]))
    next_start = np.concatenate((start[1:], [10**12]))
    clean &= (start - f >= prev_end) & (end + f <= next_start)
    start, period, repeats, end = start[clean], period[clean], repeats[clean], end[clean]
    left, right = left[clean], right[clean]
    unit_codes = np.full((start.size, params.max_unit), 4, dtype=np.uint8)
    cols = np.arange(params.max_unit)
    inside = cols[None, :] < period[:, None]
    unit_codes[inside] = seq[(start[:, None] + cols)[inside]]
    return pd.DataFrame(
        {
            "start": start,
            "end": end,
            "unit": _strings(unit_codes, period),
            "unit_length": period,
            "repeats": repeats,
            "left_flank": _strings(left, np.full(start.size, f)),
            "right_flank": _strings(right, np.full(start.size, f)),
        }
    )


def _strings(codes: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Rows of base codes as strings, each cut to its length."""
    if codes.shape[0] == 0:
        return np.array([], dtype=object)
    text = _DECODE[codes].view(f"S{codes.shape[1]}").ravel()
    return np.array([t[:n].decode() for t, n in zip(text.tolist(), lengths.tolist(), strict=True)])


def scan_fasta(
    fasta: str | Path, params: ScanParams = ScanParams(), contigs: list[str] | None = None
) -> pd.DataFrame:
    """Microsatellites of every contig (or the named ones) of an indexed or plain FASTA."""
    import pysam

    try:
        handle = pysam.FastaFile(str(fasta))
    except (OSError, ValueError) as err:
        raise InputError(
            f"cannot read the FASTA ({err}); it must be plain or bgzipped", fasta
        ) from None
    frames = []
    with handle:
        names = contigs if contigs is not None else list(handle.references)
        for name in names:
            if name not in handle.references:
                raise InputError(f"contig {name!r} is not in the FASTA", fasta)
            sites = scan_sequence(encode(handle.fetch(name)), params)
            sites.insert(0, "chrom", name)
            frames.append(sites)
    if not frames:
        return pd.DataFrame(columns=SITE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[SITE_COLUMNS]


def in_targets(sites: pd.DataFrame, targets: pd.DataFrame) -> np.ndarray:
    """Whether each site's repeat overlaps a target interval (chrom, start, end; 0-based)."""
    keep = np.zeros(len(sites), dtype=bool)
    chroms = sites["chrom"].astype(str).to_numpy()
    for name, part in targets.groupby(targets["chrom"].astype(str), sort=False):
        idx = np.flatnonzero(chroms == name)
        if idx.size == 0:
            continue
        iv = part[["start", "end"]].to_numpy(dtype=np.int64)
        iv = iv[np.argsort(iv[:, 0])]
        ends = np.maximum.accumulate(iv[:, 1])  # merged view: furthest end so far
        s = sites["start"].to_numpy()[idx]
        e = sites["end"].to_numpy()[idx]
        k = np.searchsorted(iv[:, 0], e, side="left") - 1  # last target starting before e
        keep[idx] = (k >= 0) & (ends[np.maximum(k, 0)] > s)
    return keep


def select_sites(
    sites: pd.DataFrame, targets: pd.DataFrame | None = None, max_sites: int = 0
) -> pd.DataFrame:
    """Sites inside the targets (exome/panel), thinned evenly to ``max_sites`` (0: all).

    Thinning takes every n-th site in genome order, not a random draw, so the same reference
    and settings give the same sites and they stay spread over every chromosome.
    """
    chosen = sites if targets is None else sites[in_targets(sites, targets)]
    if max_sites and len(chosen) > max_sites:
        pick = np.unique(np.linspace(0, len(chosen) - 1, max_sites).round().astype(np.int64))
        chosen = chosen.iloc[pick]
    return chosen.reset_index(drop=True)


def write_sites(sites: pd.DataFrame, path: str | Path) -> None:
    write_tsv(sites[SITE_COLUMNS], path)


def read_sites(path: str | Path) -> pd.DataFrame:
    """A site table written by :func:`write_sites`, checked for its columns."""
    hint = "make it with `scce-genomics msi scan`"
    table = read_checked(path, "microsatellite site table", SITE_COLUMNS, hint)
    return table[SITE_COLUMNS]
