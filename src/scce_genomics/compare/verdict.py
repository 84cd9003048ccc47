"""The symmetric "ESCC-like" / "not ESCC-like" / "inconclusive" rule, per feature family.

For a family, the cohort's tumors have calibrated probabilities over the references
(:mod:`.classifier`); :mod:`.cohort` gives each reference's support as the closest (highest
mean probability) and the typicality p of the target T (ESCC by default). With α = ``alpha``
and τ = ``min_support``:

* **ESCC-like**      if support(T) ≥ τ      and p_typical(T) ≥ α;
* **not ESCC-like**  if support(T) ≤ 1 − τ  and p_typical(T) < α;
* **inconclusive**   otherwise, and whenever fewer than two references have the family.

The two labels mirror each other, so neither is easier to reach. ``NA``: the cohort has too
few tumors with the family, or the target lacks it (reason given).

Overall: "ESCC-like" if at least one family is ESCC-like and none is not ESCC-like; "not
ESCC-like" in the mirrored case; "inconclusive" when families disagree or none decides. The
reason lists which families point to ESCC and which away from it (and to which reference), so
a cohort ESCC-like in spectra and SCLC-like in genes is reported exactly so. The combined
"all families" row is the classifier's single answer; it is reported, not counted again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scce_genomics.compare.cohort import CohortStats

__all__ = ["VerdictRule", "family_verdict", "overall_verdict"]


@dataclass(frozen=True)
class VerdictRule:
    """Parameters of the rule (config ``comparison.verdict``)."""

    target: str = "ESCC"
    alpha: float = 0.05
    min_support: float = 0.9

    @property
    def like(self) -> str:
        return f"{self.target}-like"

    @property
    def unlike(self) -> str:
        return f"not {self.target}-like"

    def describe(self) -> str:
        t, a, s = self.target, self.alpha, self.min_support
        return (
            f"{t}-like: support({t} closest) ≥ {s:g} and p_typical({t}) ≥ {a:g}; "
            f"not {t}-like: support ≤ {1 - s:g} and p_typical < {a:g}; else inconclusive; "
            "inconclusive if < 2 references have the family"
        )


def family_verdict(stats: CohortStats, rule: VerdictRule) -> tuple[str, str]:
    """(verdict, reason) of one family from its cohort statistics."""
    table = stats.table.set_index("reference")
    if rule.target not in table.index:
        return "NA", f"{rule.target} has no data in this family"
    if len(table) < 2:
        return (
            "inconclusive",
            f"only {rule.target} has this family: no contrast reference to show that the "
            "similarity is specific",
        )
    q = float(table["support_as_closest"].astype(float)[rule.target])
    p = stats.p_typical
    if np.isnan(p):
        return "inconclusive", f"{rule.target} support {q:.2f}; p_typical not computed"
    if q >= rule.min_support and p >= rule.alpha:
        return rule.like, f"{rule.target} closest (support {q:.2f}) and typical (p {p:.3g})"
    if q <= 1 - rule.min_support and p < rule.alpha:
        return rule.unlike, (
            f"{stats.closest} closest ({rule.target} support {q:.2f}) and atypical of "
            f"{rule.target} (p {p:.3g})"
        )
    return "inconclusive", f"{rule.target} support {q:.2f}, p_typical {p:.3g}"


def overall_verdict(verdicts: pd.DataFrame, rule: VerdictRule) -> tuple[str, str]:
    """(verdict, reason) over the families (columns ``family``, ``verdict``, ``closest``)."""
    like = verdicts[verdicts["verdict"] == rule.like]
    unlike = verdicts[verdicts["verdict"] == rule.unlike]
    if len(like) and not len(unlike):
        overall = rule.like
    elif len(unlike) and not len(like):
        overall = rule.unlike
    else:
        overall = "inconclusive"
    parts = []
    if len(like):
        parts.append(f"toward {rule.target}: " + ", ".join(like["family"]))
    if len(unlike):
        parts.append(
            f"away from {rule.target}: "
            + ", ".join(
                f"{f} (closest {c})"
                for f, c in zip(unlike["family"], unlike["closest"], strict=True)
            )
        )
    rest = verdicts[~verdicts["verdict"].isin([rule.like, rule.unlike])]
    for label in ("inconclusive", "NA"):
        fams = rest.loc[rest["verdict"] == label, "family"]
        if len(fams):
            parts.append(f"{label}: " + ", ".join(fams))
    if len(like) and len(unlike):
        parts.insert(0, "families disagree")
    return overall, "; ".join(parts) if parts else "no family could be compared"
