"""Cohort-level statistics from the per-tumor probabilities, one family (or all) at a time.

With P_i(r) the calibrated probability that tumor i is closest to reference r
(:mod:`.classifier`), for a family (or all families together):

* ``mean_probability``: the mean of P_i(r) over the cohort's tumors that have the family, the
  expected share of its tumors the classifier assigns to r, with a percentile bootstrap CI
  (tumors resampled). The closest reference is the one with the highest mean;
* ``support_as_closest``: the fraction of bootstrap replicates in which r has the highest mean;
* ``p_typical`` (target reference T only): the cohort's mean P(T) against same-size cohorts of
  T's own reference tumors, each with its out-of-fold probability (patient-level CV, so no
  tumor is scored by a model that saw it) computed from the same families as the cohort tumor
  it stands for: ``p = (1 + #{null ≤ observed}) / (B + 1)``. Small: the cohort is less
  T-like than cohorts of T are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scce_genomics.compare.stats import percentile_ci

__all__ = ["CohortStats", "cohort_statistics"]


@dataclass
class CohortStats:
    """Per reference: mean probability with CI and support; for the target: typicality."""

    table: pd.DataFrame  # reference, mean_probability, prob_ci_low, prob_ci_high, support
    n_tumors: int
    closest: str
    p_typical: float
    null_median: float
    null_q05: float


def cohort_statistics(
    probs: pd.DataFrame,
    null_pools: list[np.ndarray],
    target: str,
    n_boot: int,
    seed: int,
    level: float = 0.95,
) -> CohortStats:
    """``probs``: tumors × references (NaN columns: references without the family).

    ``null_pools[i]``: out-of-fold P(target) of the target's reference tumors comparable to
    cohort tumor i (same families); empty pools leave ``p_typical`` NaN.
    """
    refs = [c for c in probs.columns if probs[c].notna().any()]
    x = probs[refs].to_numpy(dtype=float)
    n = len(x)
    rng = np.random.default_rng(seed)
    observed = x.mean(axis=0)
    boot = np.stack([x[rng.integers(0, n, n)].mean(axis=0) for _ in range(n_boot)])
    winner = boot.argmax(axis=1)
    rows = []
    for k, ref in enumerate(refs):
        lo, hi = percentile_ci(boot[:, k], level)
        rows.append(
            {
                "reference": ref,
                "mean_probability": float(observed[k]),
                "prob_ci_low": lo,
                "prob_ci_high": hi,
                "support_as_closest": float((winner == k).mean()),
            }
        )
    p_typ = med = q05 = np.nan
    if target in refs and len(null_pools) == n and all(len(pool) for pool in null_pools):
        draws = np.column_stack([rng.choice(pool, size=n_boot) for pool in null_pools])
        null = draws.mean(axis=1)
        obs = observed[refs.index(target)]
        p_typ = float((1 + (null <= obs).sum()) / (n_boot + 1))
        med, q05 = float(np.median(null)), float(np.quantile(null, 0.05))
    return CohortStats(
        table=pd.DataFrame(rows),
        n_tumors=n,
        closest=refs[int(np.argmax(observed))],
        p_typical=p_typ,
        null_median=med,
        null_q05=q05,
    )
