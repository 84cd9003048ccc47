"""Chromosome-arm copy-number calls from segments.

An arm's value is the length-weighted mean over the parts of segments that fall inside it: a
segment that spans the centromere contributes its left part to p and its right part to q, so a
whole-chromosome segment never leaks a p-arm event into q or vice versa. Arms covered by too little
segmented territory get ``NA`` with a reason instead of a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.errors import InputError

__all__ = ["ArmThresholds", "arm_calls", "arm_rows", "overlap_weights", "read_arms"]

ARM_COLUMNS = ("chrom", "arm", "start", "end")


@dataclass(frozen=True)
class ArmThresholds:
    """Arm call cut-offs: |log2| above ``log2`` (or CN differing from ploidy by ``cn_delta``)."""

    log2: float = 0.2
    cn_delta: float = 0.5
    by: str = "log2"  # "log2" or "cn" (purity-adjusted copy number)
    min_covered_fraction: float = 0.5  # of the arm's length covered by segments
    min_event_fraction: float = 0.5  # of the covered arm beyond the threshold in that direction


def read_arms(path: str | Path) -> pd.DataFrame:
    """Read ``reference/arms.tsv`` (chrom, arm, start, end; 0-based half-open)."""
    try:
        arms = pd.read_csv(path, sep="\t", dtype={"chrom": str, "arm": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"cannot read the arms table: {err}", path) from None
    missing = [c for c in ARM_COLUMNS if c not in arms.columns]
    if missing:
        raise InputError(f"arms table lacks columns {missing}; need chrom, arm, start, end", path)
    arms = arms.loc[:, list(ARM_COLUMNS)].copy()
    arms["start"] = arms["start"].astype(np.int64)
    arms["end"] = arms["end"].astype(np.int64)
    bad = arms.index[arms["end"] <= arms["start"]]
    if len(bad):
        raise InputError("arm with end <= start", path, int(bad[0]) + 2)
    return arms.reset_index(drop=True)


def arm_rows(arms: pd.DataFrame) -> list[tuple[str, str, int, int]]:
    """(chrom, arm, start, end) tuples with plain Python types."""
    return list(
        zip(
            arms["chrom"].astype(str).tolist(),
            arms["arm"].astype(str).tolist(),
            arms["start"].astype(np.int64).tolist(),
            arms["end"].astype(np.int64).tolist(),
            strict=True,
        )
    )


def overlap_weights(seg_start: np.ndarray, seg_end: np.ndarray, start: int, end: int) -> np.ndarray:
    """Base pairs of each segment inside the interval [start, end)."""
    lo = np.maximum(seg_start, start)
    hi = np.minimum(seg_end, end)
    return np.clip(hi - lo, 0, None).astype(np.float64)


def _direction(value: np.ndarray, thresholds: ArmThresholds, ploidy: float) -> np.ndarray:
    """+1 gain, -1 loss, 0 neutral for log2 or copy-number values."""
    value = np.asarray(value, dtype=np.float64)
    if thresholds.by == "cn":
        up, down = value > ploidy + thresholds.cn_delta, value < ploidy - thresholds.cn_delta
    else:
        up, down = value > thresholds.log2, value < -thresholds.log2
    return np.where(up, 1, np.where(down, -1, 0))


def _call(
    value: float, parts: np.ndarray, w: np.ndarray, thresholds: ArmThresholds, ploidy: float
) -> str:
    """Arm call: the mean beyond the threshold and enough of the arm altered that way.

    The second condition keeps a focal amplification that dominates a short arm's mean from
    becoming an arm-level gain.
    """
    if not np.isfinite(value):
        return "NA"
    direction = int(_direction(np.array([value]), thresholds, ploidy)[0])
    if direction == 0:
        return "neutral"
    share = float(w[_direction(parts, thresholds, ploidy) == direction].sum() / w.sum())
    if share < thresholds.min_event_fraction:
        return "neutral"
    return "gain" if direction > 0 else "loss"


def arm_calls(
    segments: pd.DataFrame,
    arms: pd.DataFrame,
    sample: str,
    thresholds: ArmThresholds | None = None,
    ploidy: float = 2.0,
) -> pd.DataFrame:
    """One row per arm: length-weighted mean log2 and copy number, call and reason.

    ``segments`` needs chromosome, start, end, log2 and optionally cn (CNVkit .cns/.call.cns).
    """
    thresholds = thresholds or ArmThresholds()
    rows = []
    for chrom, name, a_start, a_end in arm_rows(arms):
        seg = segments[segments["chromosome"].astype(str) == chrom]
        w = overlap_weights(
            seg["start"].to_numpy(np.int64), seg["end"].to_numpy(np.int64), a_start, a_end
        )
        covered = float(w.sum())
        length = float(a_end - a_start)
        log2 = cn = float("nan")
        reason = ""
        if covered == 0:
            reason = "no segments on the arm"
        elif covered < thresholds.min_covered_fraction * length:
            reason = f"segments cover {covered / length:.0%} of the arm"
        else:
            log2 = float(np.average(seg["log2"].to_numpy(np.float64), weights=w))
            if "cn" in seg.columns and seg["cn"].notna().any():
                ok = seg["cn"].notna().to_numpy()
                if w[ok].sum() > 0:
                    cn = float(np.average(seg["cn"].to_numpy(np.float64)[ok], weights=w[ok]))
        value = cn if thresholds.by == "cn" else log2
        column = "cn" if thresholds.by == "cn" and "cn" in seg.columns else "log2"
        parts = seg[column].to_numpy(np.float64) if len(seg) else np.zeros(0)
        call = _call(value, parts, w, thresholds, ploidy) if covered else "NA"
        if call == "NA" and not reason:
            reason = "no copy number for the arm"
        rows.append(
            {
                "sample": sample,
                "chrom": chrom,
                "arm": name,
                "log2": log2,
                "cn": cn,
                "call": call,
                "covered_fraction": covered / length,
                "reason": reason,
            }
        )
    return pd.DataFrame(rows)
