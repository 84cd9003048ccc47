"""Alignment QC table: one row per sample from samtools stats and mosdepth, with a verdict.

Thresholds come from the config (``qc:``); a metric past its ``warn`` bound gives warn, past its
``fail`` bound fail, and the reasons column says which metric did it, so the verdict is auditable.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.errors import InputError

__all__ = ["QC_COLUMNS", "parse_mosdepth_summary", "parse_samtools_stats", "qc_table", "verdict"]

QC_COLUMNS = (
    "sample",
    "type",
    "tissue",
    "total_reads",
    "mapped_fraction",
    "properly_paired_fraction",
    "duplication_rate",
    "insert_size_mean",
    "insert_size_sd",
    "error_rate",
    "mean_coverage",
    "on_target_fraction",
    "verdict",
    "reasons",
)

#: metric -> (threshold key, direction): "min" fails when below, "max" when above.
_RULES = {
    "mean_coverage": ("min_mean_coverage", "min"),
    "duplication_rate": ("max_duplication", "max"),
    "mapped_fraction": ("min_mapped_fraction", "min"),
    "properly_paired_fraction": ("min_properly_paired", "min"),
    "on_target_fraction": ("min_on_target", "min"),
}


def parse_samtools_stats(path: str | Path) -> dict[str, float]:
    """The summary-number (SN) section of ``samtools stats`` as a dict."""
    values: dict[str, float] = {}
    path = Path(path)
    with open(path) as handle:
        for line in handle:
            if line.startswith("SN\t"):
                _, key, value, *_ = line.rstrip("\n").split("\t")
                try:
                    values[key.rstrip(":")] = float(value)
                except ValueError:
                    continue
    if "raw total sequences" not in values:
        raise InputError("not a samtools stats output (no SN section)", path)
    return values


def parse_mosdepth_summary(path: str | Path) -> tuple[float, float]:
    """Mean depth and total bases over regions (``total_region``), else the whole genome."""
    table = pd.read_csv(path, sep="\t", dtype={"chrom": str}).set_index("chrom")
    key = "total_region" if "total_region" in table.index else "total"
    mean, bases = table.loc[key, ["mean", "bases"]].to_numpy(dtype=float)
    return float(mean), float(bases)


def verdict(
    row: Mapping[str, float], thresholds: Mapping[str, Mapping[str, float]]
) -> tuple[str, str]:
    """pass/warn/fail and the reasons, from the metrics of one sample."""
    level, reasons = 0, []
    for metric, (key, direction) in _RULES.items():
        value = row.get(metric, np.nan)
        if key not in thresholds or value is None or np.isnan(value):
            continue
        for bound_level, name in ((2, "fail"), (1, "warn")):
            bound = thresholds[key][name]
            bad = value < bound if direction == "min" else value > bound
            if bad:
                level = max(level, bound_level)
                sign = "<" if direction == "min" else ">"
                reasons.append(f"{metric} {value:.3g} {sign} {name} {bound:g}")
                break
    return ("pass", "warn", "fail")[level], "; ".join(reasons)


def qc_table(
    samples: pd.DataFrame,
    stats: Mapping[str, str | Path],
    mosdepth: Mapping[str, str | Path],
    thresholds: Mapping[str, Mapping[str, float]],
    targeted: bool,
) -> pd.DataFrame:
    """Tidy QC table, one row per sample, in the order of the sample sheet."""
    rows = []
    for sample in samples.index:
        sn = parse_samtools_stats(stats[sample])
        total = sn["raw total sequences"] or np.nan
        depth, region_bases = parse_mosdepth_summary(mosdepth[sample])
        row: dict[str, object] = {
            "sample": sample,
            "type": samples.loc[sample, "type"],
            "tissue": samples.loc[sample, "tissue"],
            "total_reads": int(sn["raw total sequences"]),
            "mapped_fraction": sn.get("reads mapped", np.nan) / total,
            "properly_paired_fraction": sn.get("reads properly paired", np.nan) / total,
            "duplication_rate": sn.get("reads duplicated", np.nan) / total,
            "insert_size_mean": sn.get("insert size average", np.nan),
            "insert_size_sd": sn.get("insert size standard deviation", np.nan),
            "error_rate": sn.get("error rate", np.nan),
            "mean_coverage": depth,
            # mosdepth's region bases (duplicates excluded) over all mapped bases
            "on_target_fraction": (
                region_bases / sn.get("bases mapped (cigar)", np.nan) if targeted else np.nan
            ),
        }
        row["verdict"], row["reasons"] = verdict(row, thresholds)  # type: ignore[arg-type]
        rows.append(row)
    return pd.DataFrame(rows, columns=list(QC_COLUMNS))
