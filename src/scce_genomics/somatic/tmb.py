"""Tumor mutational burden per Mb of callable territory.

Callable territory is where the tumor (and, when paired, the normal) reach the depth the
caller needs, from ``mosdepth --quantize`` intervals, intersected with the capture targets for
exome/panel data: counting mutations over the whole genome of a 30 Mb exome would understate
the burden several-fold.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.errors import InputError

__all__ = ["callable_intervals", "in_regions", "intersect", "territory_bp", "tmb_row"]


def callable_intervals(path: str | Path, label: str = "CALLABLE") -> pd.DataFrame:
    """Intervals labelled ``label`` in a mosdepth quantized BED (chrom, start, end)."""
    path = Path(path)
    try:
        table = pd.read_csv(
            path,
            sep="\t",
            header=None,
            names=["chrom", "start", "end", "label"],
            dtype={"chrom": str},
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame(columns=["chrom", "start", "end"])
    except OSError as err:
        raise InputError(f"cannot read callable regions ({err})", path) from None
    return table.loc[table["label"] == label, ["chrom", "start", "end"]].reset_index(drop=True)


def intersect(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Intersection of two sets of sorted, non-overlapping intervals, per chromosome."""
    out = []
    for chrom in sorted(set(a["chrom"]) & set(b["chrom"])):
        x = a[a["chrom"] == chrom].sort_values("start")
        y = b[b["chrom"] == chrom].sort_values("start")
        xs, xe = x["start"].to_numpy(), x["end"].to_numpy()
        ys, ye = y["start"].to_numpy(), y["end"].to_numpy()
        # every y interval overlapping x interval i lies in [lo, hi)
        lo = np.searchsorted(ye, xs, side="right")
        hi = np.searchsorted(ys, xe, side="left")
        counts = np.maximum(hi - lo, 0)
        xi = np.repeat(np.arange(xs.size), counts)
        # lo[i], lo[i] + 1, ..., hi[i] - 1 for every x interval, without a Python loop
        first = np.cumsum(counts) - counts
        yi = np.repeat(lo, counts) + np.arange(int(counts.sum())) - np.repeat(first, counts)
        start = np.maximum(xs[xi], ys[yi])
        end = np.minimum(xe[xi], ye[yi])
        keep = end > start
        out.append(pd.DataFrame({"chrom": chrom, "start": start[keep], "end": end[keep]}))
    if not out:
        return pd.DataFrame(columns=["chrom", "start", "end"])
    return pd.concat(out, ignore_index=True)


def territory_bp(intervals: pd.DataFrame) -> int:
    return int((intervals["end"] - intervals["start"]).sum()) if len(intervals) else 0


def in_regions(chrom: pd.Series, pos0: np.ndarray, regions: pd.DataFrame) -> np.ndarray:
    """Whether each 0-based position lies in the sorted, non-overlapping ``regions``."""
    inside = np.zeros(len(chrom), dtype=bool)
    chrom_values = chrom.to_numpy(dtype=object)
    for name, part in regions.groupby("chrom", sort=False):
        idx = np.nonzero(chrom_values == name)[0]
        if idx.size == 0:
            continue
        part = part.sort_values("start")
        starts, ends = part["start"].to_numpy(), part["end"].to_numpy()
        k = np.searchsorted(starts, pos0[idx], side="right") - 1
        inside[idx] = (k >= 0) & (pos0[idx] < ends[np.maximum(k, 0)])
    return inside


def tmb_row(
    sample: str, maf: pd.DataFrame, callable_bp: int, region: pd.DataFrame | None = None
) -> dict[str, object]:
    """Counts and burden of one tumor's PASS mutations over its callable megabases.

    With ``region`` (the callable territory), only mutations inside it count, so numerator and
    denominator cover the same bases (off-target calls of an exome are left out).
    """
    mine = maf[maf["Tumor_Sample_Barcode"] == sample]
    if region is not None and len(mine):
        pos0 = pd.to_numeric(mine["Start_Position"]).to_numpy(dtype=np.int64) - 1
        # an insertion's Start_Position is the base before it
        mine = mine[in_regions(mine["Chromosome"].astype(str), pos0, region)]
    n_snv = int(mine["Variant_Type"].isin(["SNP", "DNP", "TNP", "ONP"]).sum())
    n_indel = int(mine["Variant_Type"].isin(["INS", "DEL"]).sum())
    mb = callable_bp / 1e6
    return {
        "sample": sample,
        "n_snv": n_snv,
        "n_indel": n_indel,
        "callable_mb": round(mb, 4),
        "tmb_per_mb": round((n_snv + n_indel) / mb, 3) if mb > 0 else float("nan"),
    }
