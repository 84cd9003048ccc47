"""Tumor mutational burden per Mb of callable territory, with its Poisson uncertainty.

Callable territory is where the tumor (and, when paired, the normal) reach the depth the
caller needs, from ``mosdepth --quantize`` intervals, intersected with the capture targets for
exome/panel data: counting mutations over the whole genome of a 30 Mb exome would understate
the burden several-fold.

Scope: every PASS SNV, MNV and indel inside the callable territory counts, whatever its
consequence (synonymous and non-coding included), so numerator and denominator cover the same
bases; for a whole genome that is coding and non-coding sequence, for exome/panel data the
capture targets. The 95% CI is Garwood's exact Poisson interval on the count, divided by the
territory. Below ``min_territory_mb`` the burden gets a warning: a few hundred kb hold too few
mutations for a stable rate (at 1 Mb a true 10/Mb still has a CI of 4.8–18.4/Mb) and too
few genes to stand for the genome.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.errors import InputError

__all__ = [
    "SCOPE_GENOME",
    "SCOPE_TARGETS",
    "TMB_COLUMNS",
    "callable_intervals",
    "garwood_interval",
    "in_regions",
    "intersect",
    "territory_bp",
    "tmb_row",
]

#: Columns of ``somatic/tmb.tsv`` (one row per tumor).
TMB_COLUMNS = [
    "sample",
    "n_snv",
    "n_indel",
    "n_mutations",
    "callable_mb",
    "tmb_per_mb",
    "tmb_ci_low",
    "tmb_ci_high",
    "snv_per_mb",
    "scope",
    "warning",
]
_CLASSES = "PASS SNV, MNV and indel of any consequence"
#: What the burden counts, for whole genomes and for exome/panel targets.
SCOPE_GENOME = f"genome: callable bases, coding and non-coding; {_CLASSES}"
SCOPE_TARGETS = f"targets: callable bases of the capture targets; {_CLASSES}"


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


def garwood_interval(count: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood 1936) confidence interval of a Poisson mean, from chi-square quantiles."""
    from scipy.stats import chi2

    alpha = 1 - level
    low = 0.0 if count == 0 else float(chi2.ppf(alpha / 2, 2 * count)) / 2
    return low, float(chi2.ppf(1 - alpha / 2, 2 * count + 2)) / 2


def tmb_row(
    sample: str,
    maf: pd.DataFrame,
    callable_bp: int,
    region: pd.DataFrame | None = None,
    min_territory_mb: float = 1.0,
    scope: str = SCOPE_GENOME,
) -> dict[str, object]:
    """Counts and burden of one tumor's PASS mutations over its callable megabases.

    With ``region`` (the callable territory), only mutations inside it count, so numerator and
    denominator cover the same bases (off-target calls of an exome are left out). No territory
    gives NA with the reason in ``warning``; less than ``min_territory_mb`` a caveat there.
    """
    mine = maf[maf["Tumor_Sample_Barcode"] == sample]
    if region is not None and len(mine):
        pos0 = pd.to_numeric(mine["Start_Position"]).to_numpy(dtype=np.int64) - 1
        # an insertion's Start_Position is the base before it
        mine = mine[in_regions(mine["Chromosome"].astype(str), pos0, region)]
    n_snv = int(mine["Variant_Type"].isin(["SNP", "DNP", "TNP", "ONP"]).sum())
    n_indel = int(mine["Variant_Type"].isin(["INS", "DEL"]).sum())
    n = n_snv + n_indel
    mb = callable_bp / 1e6
    low, high = garwood_interval(n)
    row: dict[str, object] = {
        "sample": sample,
        "n_snv": n_snv,
        "n_indel": n_indel,
        "n_mutations": n,
        "callable_mb": round(mb, 4),
        "tmb_per_mb": float("nan"),
        "tmb_ci_low": float("nan"),
        "tmb_ci_high": float("nan"),
        "snv_per_mb": float("nan"),
        "scope": scope,
        "warning": "",
    }
    if mb <= 0:
        row["warning"] = "not computed: no callable territory (no bases at the depth thresholds)"
        return row
    row.update(
        tmb_per_mb=round(n / mb, 3),
        tmb_ci_low=round(low / mb, 3),
        tmb_ci_high=round(high / mb, 3),
        snv_per_mb=round(n_snv / mb, 3),
    )
    if mb < min_territory_mb:
        row["warning"] = (
            f"callable territory {mb:.3g} Mb is below the {min_territory_mb:g} Mb minimum "
            f"(biomarkers.tmb.min_territory_mb): {n} mutations over so few bases do not give "
            "a burden representative of the genome"
        )
    return row
