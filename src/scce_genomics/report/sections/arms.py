"""Arm-level copy-number frequencies of the cohort beside the target reference.

In: ``compare/arms.tsv`` (cohort calls re-derived at the reference's cut-off), else the CNV
stage's ``cnv/arm_calls.tsv`` with the reference's ``arm_frequencies.tsv``. Out: the arm part
of the comparison section, saying which of the two sources the figure came from.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from scce_genomics.report.context import Context
from scce_genomics.report.plots import plot_arm_frequencies

__all__ = ["arm_frequencies"]

SECTION = "Cohort comparison"


def _from_tests(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """(cohort, reference) frequencies of the target from the comparison stage's tests."""
    tests, _ = ctx.read(
        "compare/arms.tsv",
        SECTION,
        "arm tests",
        ["reference", "arm", "event", "cohort_freq", "ref_freq"],
    )
    if tests is None:
        return None
    mine = tests[tests["reference"].astype(str) == ctx.target]
    if mine.empty:
        return None
    wide = mine.pivot_table(
        index="arm",
        columns="event",
        aggfunc="first",
        values=["cohort_freq", "ref_freq"],
        sort=False,
    )

    def pick(kind: str) -> pd.DataFrame:
        missing = pd.Series(np.nan, index=wide.index)
        return pd.DataFrame(
            {
                "arm": wide.index,
                "gain_freq": wide.get((kind, "gain"), missing),
                "loss_freq": wide.get((kind, "loss"), missing),
            }
        ).astype({"gain_freq": float, "loss_freq": float})

    return pick("cohort_freq"), pick("ref_freq")


def _from_calls(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame] | Any:
    """(cohort, reference) frequencies from the CNV stage's calls, or the notice why not."""
    calls, note = ctx.read(
        "cnv/arm_calls.tsv", SECTION, "cohort arm calls", ["sample", "arm", "call"]
    )
    if calls is None:
        return note
    ref_dir = next((r for r in ctx.reference_dirs() if r.name == ctx.target), None)
    ref = ctx.optional_table(ref_dir / "arm_frequencies.tsv") if ref_dir else None
    if ref is None or not {"arm", "gain_freq", "loss_freq"} <= set(ref.columns):
        return ctx.issue(
            SECTION,
            "arm-frequency plot",
            "not available",
            f"no arm_frequencies.tsv for the target reference {ctx.target}.",
        )
    valid = calls[calls["call"].astype(str).isin(["gain", "loss", "neutral"])]
    freq = (
        valid.groupby("arm", sort=False)["call"]
        .agg(
            gain_freq=lambda c: float((c == "gain").mean()),
            loss_freq=lambda c: float((c == "loss").mean()),
        )
        .reset_index()
    )
    return freq, ref


def arm_frequencies(ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {"target": ctx.target}
    pair = _from_tests(ctx)
    out["source"] = "tests" if pair is not None else "calls"
    if pair is None:
        pair = _from_calls(ctx)
    if isinstance(pair, tuple):
        fig = plot_arm_frequencies(pair[0], pair[1], "SCCE cohort", ctx.target)
        out["plot"] = ctx.figure(fig, "arm frequencies")
    else:
        out["source_note"] = pair
    tests, out["tests_note"] = ctx.read(
        "compare/arms.tsv", SECTION, "arm tests", ["reference", "arm"]
    )
    if tests is not None:
        out["tests"] = ctx.table(tests, "compare_arms")
    return out
