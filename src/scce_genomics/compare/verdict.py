"""The symmetric "ESCC-like" / "not ESCC-like" / "inconclusive" rule, per feature family.

For a family, every reference r with data gives a similarity s_r (with CI), a closest-reference
bootstrap support q_r and a typicality p-value p_r (see :mod:`scce_genomics.compare.families`).
With T the target reference (ESCC by default), α = ``alpha`` and τ = ``min_support``:

* **ESCC-like**      if q_T ≥ τ      and p_T ≥ α  (T is confidently the closest reference and the
  cohort is as similar to T as same-size cohorts of T are);
* **not ESCC-like**  if q_T ≤ 1 − τ  and p_T < α  (another reference is confidently closer and the
  cohort is less similar to T than same-size cohorts of T are);
* **inconclusive**   otherwise, and whenever fewer than two references have the family (no
  baseline: similarity to T alone cannot say whether it is specific to T).

The two labels mirror each other (swap q_T ≥ τ ↔ q_T ≤ 1 − τ and p_T ≥ α ↔ p_T < α), so neither
is easier to reach. ``NA`` means the cohort or the target lacks the family (reason given).

Overall: "ESCC-like" if at least one family is ESCC-like and none is not ESCC-like; "not
ESCC-like" in the mirrored case; "inconclusive" when families disagree or none decides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["VerdictRule", "family_verdicts", "summary_table"]


@dataclass(frozen=True)
class VerdictRule:
    """Parameters of the rule (config ``comparison.verdict``)."""

    target: str = "ESCC"
    alpha: float = 0.05
    min_support: float = 0.9

    def describe(self) -> str:
        t, a, s = self.target, self.alpha, self.min_support
        return (
            f"{t}-like: support({t} closest) ≥ {s:g} and p_typical({t}) ≥ {a:g}; "
            f"not {t}-like: support ≤ {1 - s:g} and p_typical < {a:g}; else inconclusive; "
            "inconclusive if < 2 references"
        )


def _family_verdict(table: pd.DataFrame, rule: VerdictRule) -> dict[str, object]:
    like, unlike = f"{rule.target}-like", f"not {rule.target}-like"
    usable = table[np.isfinite(table["similarity"].astype(float))]
    out: dict[str, object] = {"closest": "NA", "closest_support": np.nan}
    if usable.empty:
        reasons = "; ".join(sorted({str(r) for r in table["reason"].dropna() if str(r)}))
        return {**out, "verdict": "NA", "verdict_reason": reasons or "no comparison possible"}
    best = usable.iloc[int(np.argmax(usable["similarity"].astype(float).to_numpy()))]
    out["closest"] = best["reference"]
    out["closest_support"] = best["closest_support"]
    target = usable[usable["reference"] == rule.target]
    if target.empty:
        return {**out, "verdict": "NA", "verdict_reason": f"no {rule.target} comparison"}
    if len(usable) < 2:
        return {
            **out,
            "verdict": "inconclusive",
            "verdict_reason": (
                f"only {rule.target} has this family: no contrast reference to show that the "
                "similarity is specific (see p_typical and the per-feature tests)"
            ),
        }
    q = float(target["closest_support"].iloc[0])
    p = float(target["p_typical"].iloc[0])
    if np.isnan(q) or np.isnan(p):
        return {**out, "verdict": "inconclusive", "verdict_reason": "support or p_typical is NA"}
    if q >= rule.min_support and p >= rule.alpha:
        verdict, why = like, f"{rule.target} closest (support {q:.2f}) and typical (p {p:.3g})"
    elif q <= 1 - rule.min_support and p < rule.alpha:
        verdict, why = (
            unlike,
            (
                f"{best['reference']} closest ({rule.target} support {q:.2f}) and atypical of "
                f"{rule.target} (p {p:.3g})"
            ),
        )
    else:
        verdict, why = "inconclusive", f"{rule.target} support {q:.2f}, p_typical {p:.3g}"
    return {**out, "verdict": verdict, "verdict_reason": why}


def family_verdicts(families: pd.DataFrame, rule: VerdictRule) -> pd.DataFrame:
    """One verdict row per family."""
    rows = []
    for family, table in families.groupby("family", sort=False):
        rows.append({"family": family, **_family_verdict(table, rule)})
    return pd.DataFrame(rows)


def summary_table(families: pd.DataFrame, rule: VerdictRule) -> pd.DataFrame:
    """Family × reference rows with the family verdict, plus one ``overall`` row."""
    verdicts = family_verdicts(families, rule)
    table = families.merge(verdicts, on="family", how="left", suffixes=("_ref", ""))
    table = table.rename(columns={"closest_support_ref": "support_as_closest"})
    table["verdict_rule"] = rule.describe()
    like, unlike = f"{rule.target}-like", f"not {rule.target}-like"
    decided = verdicts[verdicts["verdict"].isin([like, unlike])]
    n_like = int((decided["verdict"] == like).sum())
    n_unlike = int((decided["verdict"] == unlike).sum())
    if n_like and not n_unlike:
        overall = like
    elif n_unlike and not n_like:
        overall = unlike
    else:
        overall = "inconclusive"
    counts = verdicts["verdict"].value_counts().to_dict()
    overall_row = {
        "family": "overall",
        "reference": rule.target,
        "verdict": overall,
        "verdict_reason": ", ".join(f"{k}: {v}" for k, v in counts.items()),
        "verdict_rule": (
            f"{like} if ≥ 1 family is {like} and none {unlike}; mirrored for {unlike}; "
            "else inconclusive"
        ),
    }
    return pd.concat([table, pd.DataFrame([overall_row])], ignore_index=True)
