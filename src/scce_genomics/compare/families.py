"""Cohort-level similarity of one feature family to each reference, with a bootstrap CI.

Every family is reduced to a per-sample matrix (rows = samples, columns = features) and an
aggregate (pooled SBS96 counts, mean signature fractions, alteration frequencies), compared by a
similarity (cosine for spectra and signatures, Pearson correlation for gene and copy-number
frequency profiles), with a percentile bootstrap CI re-centred on the estimate (cohort and
reference samples resampled with replacement; one cohort sample: its mutations resampled
multinomially). The similarity is the family's descriptive effect size; which reference is
closest, and the verdict, come from the calibrated classifier (:mod:`.cohort`, :mod:`.verdict`).

References with aggregate frequencies only (EAC arm calls) are expanded into pseudo-samples whose
per-feature calls are shuffled independently, i.e. features are treated as independent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scce_genomics.compare.stats import cosine, pearson, percentile_ci

__all__ = ["FamilyInput", "RefMatrix", "compare_family", "pseudo_samples"]

Agg = Callable[[np.ndarray], np.ndarray]
Sim = Callable[[np.ndarray, np.ndarray], float]


@dataclass
class RefMatrix:
    """A reference's per-sample matrix and the cohort's matrix aligned to the same features."""

    cohort: np.ndarray
    reference: np.ndarray
    note: str = ""


@dataclass
class FamilyInput:
    """One feature family ready for :func:`compare_family`.

    ``kind`` is ``counts`` (rows are mutation counts: pooled by summing, downsampled in the null)
    or ``rows`` (rows are per-sample features: averaged, NaN ignored).
    """

    family: str
    metric: str
    kind: str
    n_cohort: int
    refs: dict[str, RefMatrix]
    unavailable: dict[str, str] = field(default_factory=dict)
    cohort_reason: str = ""


def _agg(kind: str) -> Agg:
    if kind == "counts":
        return lambda x: np.asarray(x.sum(axis=0), dtype=float)

    def mean(x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            counts = (~np.isnan(x)).sum(axis=0)
            total = np.nansum(x, axis=0)
            return np.where(counts > 0, total / np.maximum(counts, 1), np.nan)

    return mean


def _sim(metric: str) -> Sim:
    return cosine if metric == "cosine" else pearson


def pseudo_samples(counts: dict[str, int], n: int, rng: np.random.Generator) -> np.ndarray:
    """Per-sample 0/1 rows reproducing aggregate counts, shuffled independently per feature."""
    cols = []
    for value in counts.values():
        col = np.zeros(n)
        col[: int(value)] = 1.0
        cols.append(rng.permutation(col))
    return np.column_stack(cols) if cols else np.zeros((n, 0))


def _downsample(rng: np.random.Generator, rows: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Multinomial draws of ``totals[i]`` mutations from the spectrum of ``rows[i]``."""
    sums = rows.sum(axis=1, keepdims=True)
    probs = np.where(sums > 0, rows / np.where(sums > 0, sums, 1.0), 1.0 / rows.shape[1])
    probs = probs / probs.sum(axis=1, keepdims=True)
    return np.asarray(rng.multinomial(totals.astype(np.int64), probs), dtype=float)


def compare_family(fam: FamilyInput, n_boot: int, seed: int, level: float = 0.95) -> pd.DataFrame:
    """Similarity of the cohort's aggregate to every reference's, with a bootstrap CI."""
    cols = [
        "family", "reference", "metric", "n_cohort", "n_reference", "similarity", "ci_low",
        "ci_high", "ci_method", "reason",
    ]  # fmt: skip
    rows: list[dict[str, object]] = []
    base = {"family": fam.family, "metric": fam.metric, "n_cohort": fam.n_cohort}
    for name, why in fam.unavailable.items():
        rows.append({**base, "reference": name, "reason": why})
    if fam.cohort_reason or not fam.refs:
        for name in fam.refs:
            rows.append({**base, "reference": name, "reason": fam.cohort_reason})
        return pd.DataFrame(rows, columns=cols)
    rng = np.random.default_rng(seed)
    agg, sim = _agg(fam.kind), _sim(fam.metric)
    n = fam.n_cohort
    one_sample_counts = fam.kind == "counts" and n == 1
    for name, ref in fam.refs.items():
        m = ref.reference.shape[0]
        boot = np.full(n_boot, np.nan)
        for b in range(n_boot):
            if one_sample_counts:
                xc = agg(_downsample(rng, ref.cohort, ref.cohort.sum(axis=1)))
            else:
                xc = agg(ref.cohort[rng.integers(0, n, size=n)])
            boot[b] = sim(xc, agg(ref.reference[rng.integers(0, m, size=m)]))
        observed = sim(agg(ref.cohort), agg(ref.reference))
        lo, hi = percentile_ci(boot, level, observed)
        reason = ref.note
        if np.isnan(observed):
            reason = reason or "similarity undefined (no variation in the cohort's features)"
        rows.append(
            {
                **base,
                "reference": name,
                "n_reference": m,
                "similarity": observed,
                "ci_low": lo,
                "ci_high": hi,
                "ci_method": (
                    f"percentile bootstrap re-centred on the estimate ({n_boot}; "
                    + ("mutations resampled" if one_sample_counts else "samples resampled")
                    + f"), {level:.0%}"
                ),
                "reason": reason,
            }
        )
    return pd.DataFrame(rows, columns=cols)
