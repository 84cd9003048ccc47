"""Cohort-level similarity of one feature family to each reference, with resampling statistics.

Every family is reduced to a per-sample matrix (rows = samples, columns = features) and an
aggregate (pooled SBS96 counts, mean signature fractions, alteration frequencies), compared by a
similarity (cosine for spectra and signatures, Pearson correlation for gene and copy-number
frequency profiles). Three resampling outputs feed the verdict:

* bootstrap CI (percentile spread re-centred on the estimate): cohort samples and reference
  samples resampled with replacement (one cohort sample: its mutations are resampled
  multinomially);
* closest-reference support: the fraction of bootstrap replicates of the cohort (scored against
  every reference's full aggregate, so references of different sizes are not penalised by their
  own resampling noise) in which each reference is the most similar;
* typicality ``p_typical``: the reference's samples are split in halves; a pseudo-cohort of the
  cohort's size (SBS: each pseudo-sample multinomially downsampled to the matching cohort
  sample's mutation count) is drawn from one half and scored against the other half's aggregate,
  as is the real cohort; ``p_typical = (1 + #{null ≤ observed}) / (B + 1)``. A small value means
  the cohort is less similar to this reference than cohorts of its own kind and size are.

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
    """Similarity of the cohort to every reference: estimate, CI, support and typicality."""
    cols = [
        "family", "reference", "metric", "n_cohort", "n_reference", "similarity", "ci_low",
        "ci_high", "ci_method", "closest_support", "p_typical", "null_median", "null_q05",
        "typicality_method", "reason",
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
    names = list(fam.refs)
    n = fam.n_cohort
    one_sample_counts = fam.kind == "counts" and n == 1
    full = {name: agg(fam.refs[name].reference) for name in names}
    boot = np.full((n_boot, len(names)), np.nan)  # cohort and reference resampled: CI
    boot_c = np.full((n_boot, len(names)), np.nan)  # cohort resampled only: closest support
    for b in range(n_boot):
        idx = rng.integers(0, n, size=n)
        resampled: np.ndarray | None = None
        for k, name in enumerate(names):
            ref = fam.refs[name]
            if one_sample_counts:
                if resampled is None:
                    resampled = _downsample(rng, ref.cohort, ref.cohort.sum(axis=1))
                xc = agg(resampled)
            else:
                xc = agg(ref.cohort[idx])
            m = ref.reference.shape[0]
            xr = ref.reference[rng.integers(0, m, size=m)]
            boot[b, k] = sim(xc, agg(xr))
            boot_c[b, k] = sim(xc, full[name])
    filled = np.where(np.isnan(boot_c), -np.inf, boot_c)
    winner = np.where(np.isfinite(filled).any(axis=1), filled.argmax(axis=1), -1)
    for k, name in enumerate(names):
        ref = fam.refs[name]
        m = ref.reference.shape[0]
        observed = sim(agg(ref.cohort), agg(ref.reference))
        lo, hi = percentile_ci(boot[:, k], level, observed)
        null = np.full(n_boot, np.nan)
        obs_half = np.full(n_boot, np.nan)
        totals = ref.cohort.sum(axis=1)
        if m >= 4:
            for b in range(n_boot):
                perm = rng.permutation(m)
                half_a, half_b = perm[: m // 2], perm[m // 2 :]
                profile = agg(ref.reference[half_b])
                draw = ref.reference[rng.choice(half_a, size=n, replace=True)]
                if fam.kind == "counts":
                    draw = _downsample(rng, draw, totals)
                null[b] = sim(agg(draw), profile)
                obs_half[b] = sim(agg(ref.cohort), profile)
        ok = np.isfinite(null) & np.isfinite(obs_half)
        reason = ref.note
        if np.isnan(observed):
            reason = reason or "similarity undefined (no variation in the cohort's features)"
        p_typ = (
            float((1 + (null[ok] <= obs_half[ok]).sum()) / (1 + ok.sum())) if ok.any() else np.nan
        )
        if m < 4:
            reason = (reason + "; " if reason else "") + "reference has < 4 samples: no null"
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
                "closest_support": float((winner == k).mean()) if len(names) > 1 else np.nan,
                "p_typical": p_typ,
                "null_median": float(np.nanmedian(null)) if ok.any() else np.nan,
                "null_q05": float(np.nanquantile(null, 0.05)) if ok.any() else np.nan,
                "typicality_method": (
                    "split-half null: same-size pseudo-cohorts from the reference"
                    + (
                        " downsampled to the cohort's mutation counts"
                        if fam.kind == "counts"
                        else ""
                    )
                ),
                "reason": reason,
            }
        )
    return pd.DataFrame(rows, columns=cols)
