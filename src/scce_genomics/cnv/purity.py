"""Tumor purity and ploidy from segment log2 ratios by a grid search over integer copy numbers.

Model: a segment with integer tumor copy number ``c`` in a sample of purity ``p`` has the
expected ratio ``R(c) = (p*c + 2*(1-p)) / (p*psi + 2*(1-p))``, where ``psi`` is the tumor copy
state that CNVkit's median centring put at log2 = 0 (a free continuous value). For every
(p, psi) on a grid each segment takes its nearest integer ``c`` (0..max_cn) and the fit scores

    sum_s w_s * min((log2_s - log2 R(c_s))^2 / sigma^2, cap)  +  lambda * sum_s w_s * |c_s - 2|

with ``w_s`` the segment's share of the segmented length. The first term rewards integer copy
numbers; the second penalises explaining shifts with more copy changes than needed, which breaks
the classic ambiguity in favour of higher purity and lower ploidy (low purity makes the integer
grid dense enough to fit anything; genome doubling fits as well as the undoubled genome). Ploidy
is the length-weighted mean of the fitted ``c``. A genome without copy-number changes says
nothing about purity: it is reported as not estimable instead of returning a grid corner.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["PurityFit", "center_shift", "expected_log2", "fit_purity_ploidy"]


@dataclass(frozen=True)
class PurityFit:
    """Result of the grid search; ``purity`` is NaN when the genome does not inform it."""

    purity: float
    ploidy: float
    psi: float
    score: float
    source: str
    note: str = ""


def expected_log2(cn: np.ndarray, purity: float, psi: float) -> np.ndarray:
    """Expected log2 ratio of copy numbers ``cn`` at a purity and centring state ``psi``."""
    ratio = (purity * np.asarray(cn, dtype=np.float64) + 2 * (1 - purity)) / (
        purity * psi + 2 * (1 - purity)
    )
    return np.log2(np.maximum(ratio, 1e-6))


def center_shift(purity: float, psi: float) -> float:
    """log2 of copy number 2 under the fit: subtract it so CNVkit's call sees 2 at log2 = 0."""
    return float(expected_log2(np.array([2.0]), purity, psi)[0])


def fit_purity_ploidy(
    log2: np.ndarray,
    weights: np.ndarray,
    purity: float | None = None,
    *,
    purity_grid: tuple[float, float, float] = (0.1, 1.0, 0.01),
    psi_grid: tuple[float, float, float] = (1.0, 6.0, 0.02),
    max_cn: int = 12,
    sigma: float = 0.05,
    cap: float = 25.0,
    penalty: float = 0.5,
    min_altered_fraction: float = 0.02,
    altered_log2: float = 0.15,
) -> PurityFit:
    """Best (purity, psi) for segments ``log2`` weighted by ``weights`` (e.g. lengths).

    With ``purity`` given (e.g. from the sample sheet) only ``psi`` is searched.
    """
    log2 = np.asarray(log2, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    ok = np.isfinite(log2) & np.isfinite(weights) & (weights > 0)
    log2, weights = log2[ok], weights[ok]
    given = purity is not None and math.isfinite(purity)
    source = "sheet" if given else "estimate"
    if weights.sum() <= 0:
        return PurityFit(
            float(purity) if purity is not None else math.nan,
            2.0,
            2.0,
            math.nan,
            source,
            "no segments",
        )
    w = weights / weights.sum()
    altered = float(w[np.abs(log2) > altered_log2].sum())
    if not given and altered < min_altered_fraction:
        return PurityFit(
            math.nan, 2.0, 2.0, math.nan, "not_estimable", "no copy-number changes to fit"
        )
    purities = np.array([purity]) if given else np.arange(*purity_grid)
    purities = purities[(purities > 0) & (purities <= 1.0 + 1e-9)]
    psis = np.arange(*psi_grid)
    p = purities[:, None, None]
    s = psis[None, :, None]
    denom = p * s + 2 * (1 - p)
    # nearest integer copy number of each segment under each (p, psi)
    raw = (np.exp2(log2)[None, None, :] * denom - 2 * (1 - p)) / p
    cn = np.clip(np.rint(raw), 0, max_cn)
    fitted = np.log2(np.maximum((p * cn + 2 * (1 - p)) / denom, 1e-6))
    resid = np.minimum((log2[None, None, :] - fitted) ** 2 / sigma**2, cap)
    score = (resid * w).sum(axis=2) + penalty * (np.abs(cn - 2) * w).sum(axis=2)
    i, j = np.unravel_index(int(np.argmin(score)), score.shape)
    best_cn = cn[i, j] if cn.shape[0] > 1 else cn[0, j]
    ploidy = float((best_cn * w).sum())
    note = "" if altered >= min_altered_fraction else "few copy-number changes"
    return PurityFit(float(purities[i]), ploidy, float(psis[j]), float(score[i, j]), source, note)
