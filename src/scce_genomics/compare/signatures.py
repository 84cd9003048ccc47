"""Signature exposures versus references, by aetiology group.

Exposures are summed into the aetiology groups of :mod:`.signature_groups` (every COSMIC SBS
name of every bundled version has one; an unknown name is an error), because individual
signatures differ between COSMIC versions and fits. The references are refitted by the
comparison with the cohort's own fit settings (:mod:`.training`), so both sides come from the
same fitter.

Family similarity: cosine of the mean group-fraction vectors. Per group: presence (fraction ≥
``presence_min``) compared by Fisher's test (odds ratio, exact CI, BH across groups per
reference), and fractions compared by a two-sided Mann–Whitney test with the difference in mean
fraction (bootstrap CI) as effect size, BH across groups per reference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from scce_genomics.compare.families import FamilyInput, RefMatrix
from scce_genomics.compare.references import CohortData
from scce_genomics.compare.signature_groups import GROUPS, group_fractions
from scce_genomics.compare.stats import bh_adjust, fisher_table, percentile_ci

__all__ = ["signature_family", "signature_tests"]


def signature_family(
    cohort: CohortData, refs: list[CohortData], min_samples: int = 3
) -> FamilyInput:
    """Cosine of mean group-fraction vectors, per-sample rows resampled."""
    fam = FamilyInput(family="signatures", metric="cosine", kind="rows", n_cohort=0, refs={})
    if cohort.exposures is None:
        fam.cohort_reason = "cohort has no signature exposures"
    else:
        cf = group_fractions(cohort.exposures)
        fam.n_cohort = len(cf)
        if len(cf) < min_samples:
            fam.cohort_reason = (
                f"{len(cf)} sample(s) with attributed mutations; need ≥ {min_samples} for "
                "cohort-level signature fractions"
            )
    for ref in refs:
        if ref.exposures is None:
            fam.unavailable[ref.name] = f"reference {ref.name} has no signature exposures"
        elif not fam.cohort_reason:
            assert cohort.exposures is not None
            fam.refs[ref.name] = RefMatrix(
                group_fractions(cohort.exposures).to_numpy(),
                group_fractions(ref.exposures).to_numpy(),
            )
    if fam.cohort_reason:
        fam.unavailable.update(
            {r.name: fam.cohort_reason for r in refs if r.name not in fam.unavailable}
        )
    return fam


def signature_tests(
    cohort: CohortData,
    refs: list[CohortData],
    presence_min: float = 0.05,
    min_samples: int = 3,
    n_boot: int = 1000,
    seed: int = 1,
    level: float = 0.95,
) -> pd.DataFrame:
    """Per group and reference: presence Fisher test and fraction Mann–Whitney test."""
    groups = list(GROUPS)
    if cohort.exposures is None:
        return pd.DataFrame(
            [{"group": g, "reason": "cohort has no signature exposures"} for g in groups]
        )
    cf = group_fractions(cohort.exposures)
    rng = np.random.default_rng(seed)
    rows = []
    frac_rows = []
    for ref in refs:
        if ref.exposures is None:
            rows += [
                {"reference": ref.name, "group": g, "cohort_alt": 0, "cohort_n": 0, "ref_alt": 0,
                 "ref_n": 0, "reason": f"reference {ref.name} has no signature exposures"}
                for g in groups
            ]  # fmt: skip
            continue
        rf = group_fractions(ref.exposures)
        for g in groups:
            reason = ""
            if len(cf) < min_samples:
                reason = f"{len(cf)} cohort sample(s) with attributed mutations (< {min_samples})"
            rows.append(
                {
                    "reference": ref.name,
                    "group": g,
                    "cohort_alt": int((cf[g] >= presence_min).sum()) if not reason else 0,
                    "cohort_n": len(cf) if not reason else 0,
                    "ref_alt": int((rf[g] >= presence_min).sum()),
                    "ref_n": len(rf),
                    "reason": reason,
                }
            )
            x, y = cf[g].to_numpy(), rf[g].to_numpy()
            if reason or len(x) == 0:
                frac_rows.append({"mean_diff": np.nan, "md_ci_low": np.nan, "md_ci_high": np.nan,
                                  "mw_p": np.nan})  # fmt: skip
                continue
            diff = float(x.mean() - y.mean())
            bx = x[rng.integers(0, len(x), size=(n_boot, len(x)))].mean(axis=1)
            by = y[rng.integers(0, len(y), size=(n_boot, len(y)))].mean(axis=1)
            lo, hi = percentile_ci(bx - by, level)
            p = np.nan
            if np.ptp(np.concatenate([x, y])) > 0:
                p = float(stats.mannwhitneyu(x, y, alternative="two-sided").pvalue)
            frac_rows.append({"mean_diff": diff, "md_ci_low": lo, "md_ci_high": hi, "mw_p": p})
    table = fisher_table(pd.DataFrame(rows), level=level)
    table = table.rename(
        columns={"cohort_freq": "cohort_presence", "ref_freq": "ref_presence",
                 "freq_diff": "presence_diff", "p_value": "presence_p", "fdr": "presence_fdr"}
    )  # fmt: skip
    fr = pd.DataFrame(frac_rows, index=table.index[table["ref_n"] > 0])
    table = table.join(fr)
    table["mw_fdr"] = table.groupby("reference", sort=False)["mw_p"].transform(
        lambda p: pd.Series(bh_adjust(p.to_numpy()), index=p.index)
    )
    table["presence_rule"] = f"group fraction ≥ {presence_min:g}"
    table["test"] = "presence: Fisher exact two-sided; fraction: Mann-Whitney U two-sided"
    table["effect_size"] = (
        f"presence: conditional odds ratio (exact {level:.0%} CI); fraction: difference in "
        f"mean fraction (percentile bootstrap {level:.0%} CI)"
    )
    table["correction"] = "Benjamini-Hochberg across groups within each reference"
    return table
