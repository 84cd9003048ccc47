"""Small statistics shared by the comparison modules: Fisher tests, odds ratios, BH, similarity.

Kept separate so each piece is checked against scipy/statsmodels on constructed tables.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats.contingency import odds_ratio

__all__ = [
    "bh_adjust",
    "cosine",
    "cosine_matrix",
    "fisher_2x2",
    "fisher_table",
    "pearson",
    "percentile_ci",
    "woolf_or_ci",
]


def bh_adjust(pvalues: np.ndarray | list[float]) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values; NaN entries stay NaN and are not counted."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    values = p[ok]
    order = np.argsort(values)
    ranked = values[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    result = np.empty(m)
    result[order] = np.minimum(adjusted, 1.0)
    out[ok] = result
    return out


def fisher_2x2(a: int, b: int, c: int, d: int, level: float = 0.95) -> dict[str, float]:
    """Two-sided Fisher exact test of [[a, b], [c, d]] with the conditional MLE odds ratio.

    The odds ratio and its exact CI are those of R's ``fisher.test`` (and so of maftools'
    ``mafCompare``): conditional maximum likelihood, which is finite with one zero cell where
    possible and 0 or inf otherwise. Results are cached by table: a gene panel of a
    high-burden reference repeats the same few tables hundreds of times.
    """
    return dict(_fisher_2x2(int(a), int(b), int(c), int(d), float(level)))


@lru_cache(maxsize=65536)
def _fisher_2x2(a: int, b: int, c: int, d: int, level: float) -> tuple[tuple[str, float], ...]:
    table = np.array([[a, b], [c, d]], dtype=np.int64)
    if (table.sum(axis=0) == 0).any() or (table.sum(axis=1) == 0).any():
        return (("p", np.nan), ("or", np.nan), ("ci_low", np.nan), ("ci_high", np.nan))
    p = float(stats.fisher_exact(table, alternative="two-sided").pvalue)
    res = odds_ratio(table, kind="conditional")
    ci = res.confidence_interval(confidence_level=level)
    return (
        ("p", p), ("or", float(res.statistic)), ("ci_low", float(ci.low)),
        ("ci_high", float(ci.high)),
    )  # fmt: skip


def woolf_or_ci(a: int, b: int, c: int, d: int, level: float = 0.95) -> tuple[float, float, float]:
    """Sample odds ratio with Woolf's log CI (Haldane +0.5 to every cell if any cell is 0)."""
    cells = np.array([a, b, c, d], dtype=float)
    if (cells == 0).any():
        cells = cells + 0.5
    a_, b_, c_, d_ = cells
    est = (a_ * d_) / (b_ * c_)
    se = float(np.sqrt((1.0 / cells).sum()))
    z = float(stats.norm.ppf(0.5 + level / 2))
    return float(est), float(est * np.exp(-z * se)), float(est * np.exp(z * se))


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity; NaN when either vector is all zero."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    na = float(np.linalg.norm(a))
    nb = float(np.linalg.norm(b))
    if na == 0 or nb == 0:
        return float("nan")
    return float(a @ b / (na * nb))


def cosine_matrix(rows: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """Cosine of every row of ``rows`` (…, k) with ``profile`` (k,) or matching rows (…, k)."""
    rows = np.asarray(rows, dtype=float)
    profile = np.asarray(profile, dtype=float)
    num = (rows * profile).sum(axis=-1)
    den = np.linalg.norm(rows, axis=-1) * np.linalg.norm(profile, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation; NaN when either vector is constant (no events to correlate)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    ok = ~(np.isnan(a) | np.isnan(b))
    a, b = a[ok], b[ok]
    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def percentile_ci(
    values: np.ndarray, level: float = 0.95, observed: float | None = None
) -> tuple[float, float]:
    """Bootstrap interval ignoring NaN replicates; NaN if none is finite.

    With ``observed`` the percentile interval is re-centred on the estimate (its lower and upper
    distances from the bootstrap median are kept): similarities of resampled cohorts are biased
    low, because duplicated samples add noise, and the plain percentile interval can then miss
    the estimate altogether. The re-centred interval states sampling spread, not a bias
    correction.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2
    lo, mid, hi = np.quantile(v, [tail, 0.5, 1 - tail])
    if observed is not None and np.isfinite(observed):
        lo, hi = observed - (mid - lo), observed + (hi - mid)
        lo, hi = max(lo, -1.0), min(hi, 1.0)
    return float(lo), float(hi)


def fisher_table(
    counts: pd.DataFrame, level: float = 0.95, group: tuple[str, ...] = ("reference",)
) -> pd.DataFrame:
    """Fisher test, conditional odds ratio with exact CI and BH FDR for many 2×2 tables.

    ``counts`` has ``cohort_alt``, ``cohort_n``, ``ref_alt``, ``ref_n`` per row; BH is applied
    within each ``group`` (by default one family of tests per reference). Also adds the
    frequency difference (cohort − reference) as a second effect size.
    """
    out = counts.copy()
    res = [
        fisher_2x2(int(a), int(n - a), int(c), int(m - c), level)
        if n > 0 and m > 0
        else {"p": np.nan, "or": np.nan, "ci_low": np.nan, "ci_high": np.nan}
        for a, n, c, m in zip(
            out["cohort_alt"], out["cohort_n"], out["ref_alt"], out["ref_n"], strict=True
        )
    ]
    out["cohort_freq"] = out["cohort_alt"] / out["cohort_n"].where(out["cohort_n"] > 0)
    out["ref_freq"] = out["ref_alt"] / out["ref_n"].where(out["ref_n"] > 0)
    out["freq_diff"] = out["cohort_freq"] - out["ref_freq"]
    out["odds_ratio"] = [r["or"] for r in res]
    out["or_ci_low"] = [r["ci_low"] for r in res]
    out["or_ci_high"] = [r["ci_high"] for r in res]
    out["p_value"] = [r["p"] for r in res]
    keys = list(group)
    if keys and len(out):
        out["fdr"] = out.groupby(keys, sort=False)["p_value"].transform(
            lambda p: pd.Series(bh_adjust(p.to_numpy()), index=p.index)
        )
    else:
        out["fdr"] = bh_adjust(out["p_value"].to_numpy()) if len(out) else []
    out["test"] = "Fisher exact, two-sided"
    out["effect_size"] = f"conditional MLE odds ratio, exact {level:.0%} CI"
    out["correction"] = "Benjamini-Hochberg within " + "/".join(keys) if keys else "BH"
    return out
