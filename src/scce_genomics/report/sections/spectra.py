"""Mutational spectra and signature exposures, per tumor and for the cohort beside references.

In: ``spectra/SBS96.tsv``, ``signatures/SBS_exposures.tsv``, ``signatures/
SBS_exposures_cohort.tsv``, ``compare/sbs96_spectra.png`` and the references' profiles. Out:
the data of ``templates/tumor/sbs96.html.j2``, ``templates/tumor/exposures.html.j2`` and the
spectra/exposure parts of the comparison section.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from scce_genomics.report.context import Context
from scce_genomics.report.plots import plot_exposure_bars, plot_spectra_profiles
from scce_genomics.spectra.plots import plot_exposures, plot_sbs96

__all__ = ["cohort_exposures", "cohort_spectra", "exposures_view", "sbs96_view"]

SECTION = "Per sample"
COHORT = "Cohort comparison"
EXPOSURE_COLUMNS = ["sample", "signature", "exposure", "fraction", "ci_low", "ci_high"]


def sbs96_view(ctx: Context, tumor: str) -> dict[str, Any]:
    here = f"{SECTION}: {tumor}"
    sbs96, note = ctx.read("spectra/SBS96.tsv", SECTION, "SBS96 spectra", ["MutationType"])
    if sbs96 is None:
        return {"note": note}
    if tumor not in sbs96.columns:
        why = "the tumor has no column in spectra/SBS96.tsv."
        return {"note": ctx.issue(here, "SBS96 spectrum", "not computed", why)}
    if float(pd.to_numeric(sbs96[tumor], errors="coerce").fillna(0).sum()) == 0:
        why = "no single-base substitution in this tumor."
        return {"note": ctx.issue(here, "SBS96 spectrum", "not computed", why)}
    matrix = sbs96.set_index("MutationType")[[tumor]].astype(float)
    fig = plot_sbs96(matrix, [tumor], cohort=False)
    return {"plot": ctx.figure(fig, f"SBS96 spectrum of {tumor}")}


def exposures_view(ctx: Context, tumor: str) -> dict[str, Any]:
    here = f"{SECTION}: {tumor}"
    exposures, note = ctx.read(
        "signatures/SBS_exposures.tsv", SECTION, "signature exposures", EXPOSURE_COLUMNS
    )
    if exposures is None:
        return {"note": note}
    mine = exposures[exposures["sample"].astype(str) == tumor].copy()
    if mine.empty:
        why = "no row in signatures/SBS_exposures.tsv (no SBS to fit?)."
        return {"note": ctx.issue(here, "signature exposures", "not computed", why)}
    for col in ("exposure", "fraction", "ci_low", "ci_high"):
        mine[col] = pd.to_numeric(mine[col], errors="coerce")
    n_mut = pd.to_numeric(mine.get("n_mutations", pd.Series(dtype=float)), errors="coerce")
    if n_mut.notna().any() and float(n_mut.max()) == 0:
        why = "the tumor has no SBS to fit."
        return {"note": ctx.issue(here, "signature exposures", "not computed", why)}
    shown = mine[(mine["exposure"].fillna(0) > 0) | (mine["ci_high"].fillna(0) > 0)]
    if shown.empty:
        why = "every exposure is zero or NA."
        return {"note": ctx.issue(here, "signature exposures", "not computed", why)}
    flags = mine["flag"].dropna().astype(str) if "flag" in mine else pd.Series(dtype=str)
    for col in ("n_mutations", "cosine", "flag"):
        if col not in shown.columns:
            shown = shown.assign(**{col: np.nan})
    return {
        "flag": flags.iloc[0] if len(flags) and flags.iloc[0] != "ok" else None,
        "plot": ctx.figure(plot_exposures(shown), f"signature exposures of {tumor}"),
        "table": ctx.table(shown.drop(columns=["sample"]), f"exposures_{tumor}"),
    }


def cohort_spectra(ctx: Context) -> dict[str, Any]:
    """The comparison stage's calibrated figure, else the pooled cohort beside raw references."""
    staged = ctx.png_file(
        "compare/sbs96_spectra.png", "SBS96 spectra of the cohort and the references"
    )
    if staged is not None:
        return {"staged": staged}
    sbs96, note = ctx.read("spectra/SBS96.tsv", COHORT, "cohort spectrum", ["MutationType"])
    if sbs96 is None:
        return {"notes": [note]}
    matrix = sbs96.set_index("MutationType").apply(pd.to_numeric, errors="coerce").fillna(0)
    pooled = matrix.sum(axis=1)
    if float(pooled.sum()) == 0:
        why = "the cohort has no single-base substitution."
        return {"notes": [ctx.issue(COHORT, "side-by-side spectra", "not computed", why)]}
    label = f"cohort (pooled, n = {int(pooled.sum()):,} SBS, {matrix.shape[1]} tumors)"
    profiles = {label: pooled}
    missing = []
    for ref in ctx.reference_dirs():
        prof = ctx.optional_table(ref / "sbs96_profile.tsv")
        if prof is None or "pooled" not in prof.columns:
            missing.append(ref.name)
            continue
        pooled_ref = prof.set_index("MutationType")["pooled"].astype(float)
        profiles[f"{ref.name} reference (pooled, unconverted)"] = pooled_ref
    notes = [
        ctx.issue(
            COHORT,
            "calibrated spectra figure",
            "not run",
            "compare/sbs96_spectra.png is missing: references are drawn as shipped, "
            "without conversion to the cohort's trinucleotide abundance.",
        )
    ]
    if missing:
        why = f"no sbs96_profile.tsv for: {', '.join(missing)}."
        notes.append(ctx.issue(COHORT, "reference spectra", "not available", why))
    fig = plot_spectra_profiles(profiles, note="fraction of each profile's SBS")
    return {"notes": notes, "plot": ctx.figure(fig, "SBS96 spectra, cohort and references")}


def cohort_exposures(ctx: Context) -> dict[str, Any]:
    """Signature fractions of each tumor, the pooled fit and the references' means."""
    exposures, note = ctx.read(
        "signatures/SBS_exposures.tsv",
        COHORT,
        "signature exposures",
        ["sample", "signature", "fraction"],
    )
    out: dict[str, Any] = {"note": note}
    if exposures is not None:
        frac = exposures.assign(fraction=pd.to_numeric(exposures["fraction"], errors="coerce"))
        wide = frac.pivot_table(
            index="sample", columns="signature", values="fraction", aggfunc="sum"
        )
        rows: dict[str, pd.Series] = {str(s): row for s, row in wide.iterrows()}
        cohort = ctx.optional_table(ctx.results / "signatures/SBS_exposures_cohort.tsv")
        if cohort is not None and {"signature", "fraction"} <= set(cohort.columns):
            rows["cohort (pooled fit)"] = cohort.set_index("signature")["fraction"].astype(float)
        for ref in ctx.reference_dirs():
            summ = ctx.optional_table(ref / "signature_summary.tsv")
            if summ is not None and {"signature", "mean_fraction"} <= set(summ.columns):
                mean = summ.set_index("signature")["mean_fraction"].astype(float)
                rows[f"{ref.name} reference (mean)"] = mean
        if rows:
            fig = plot_exposure_bars(
                pd.DataFrame(rows).T,
                "Signature fractions: tumors, pooled cohort and reference means",
            )
            out["plot"] = ctx.figure(fig, "signature fractions")
    tests, out["tests_note"] = ctx.read(
        "compare/signatures.tsv", COHORT, "signature-group tests", ["reference"]
    )
    if tests is not None:
        out["tests"] = ctx.table(tests, "compare_signatures")
    return out
