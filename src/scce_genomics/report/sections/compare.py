"""The cohort against the ESCC and contrast references: verdict, tests and side-by-side figures.

In: ``compare/summary.tsv`` (per family and reference), ``compare/tumors.tsv`` (per tumor
calibrated probabilities and the cohort row), ``compare/calibration.tsv`` and
``compare/reliability.png`` (cross-validation of the classifier), ``compare/genes.tsv``,
``compare/focal.tsv`` and the parts other views draw (spectra, exposures, oncoplot, arm
frequencies). Out: the data of ``templates/sections/comparison.html.j2`` and
``templates/tumor/similarity.html.j2``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from scce_genomics.report.context import Context
from scce_genomics.report.elements import is_missing, text_or_na
from scce_genomics.report.plots import plot_forest
from scce_genomics.report.sections.arms import arm_frequencies
from scce_genomics.report.sections.oncoplot import oncoplot
from scce_genomics.report.sections.spectra import cohort_exposures, cohort_spectra

__all__ = ["closest_reference", "similarity_view", "view"]

SECTION = "Cohort comparison"
GENE_TEST_COLUMNS = ["reference", "gene", "odds_ratio", "or_ci_low", "or_ci_high", "p_value",
                     "fdr", "cohort_alt", "cohort_n", "ref_alt", "ref_n"]  # fmt: skip
#: Long per-row texts of the summary, stated once under its table.
_METHOD_COLUMNS = ("ci_method", "typicality_method", "verdict_rule", "closest_definition")
#: Families of the classifier, short names of their per-tumor columns (``p_<short>_<ref>``).
_FAMILY_COLUMN = {
    "SBS96 spectrum": "sbs96",
    "signatures": "signatures",
    "driver genes": "genes",
    "arm CNV": "arms",
    "focal CNV": "focal",
}


def view(ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {"target": ctx.target, "fdr": ctx.fdr}
    summary, out["summary_note"] = ctx.read(
        "compare/summary.tsv", SECTION, "verdict summary", ["family", "reference", "verdict"]
    )
    if summary is not None:
        out["verdict"] = _verdict(summary)
        out["by_family"] = ctx.guarded(SECTION, "verdict by family", _by_family, ctx, summary)
        methods = [c for c in _METHOD_COLUMNS if c in summary.columns]
        shown = summary.drop(columns=methods)
        out["summary"] = ctx.table(shown, "compare_summary", tsv=summary)
        out["methods"] = [
            (c, list(summary[c].dropna().astype(str).unique()))
            for c in methods
            if summary[c].notna().any()
        ]
    parts = (
        ("spectra", "side-by-side spectra", cohort_spectra),
        ("exposures", "cohort exposures", cohort_exposures),
        ("oncoplot", "oncoplot", oncoplot),
        ("forest", "forest plot", _forest),
        ("arms", "arm frequencies", arm_frequencies),
    )
    for key, item, make in parts:
        out[key] = ctx.guarded(SECTION, item, make, ctx)
    focal, out["focal_note"] = ctx.read(
        "compare/focal.tsv", SECTION, "focal tests", ["reference", "gene"]
    )
    if focal is not None:
        out["focal"] = ctx.table(focal, "compare_focal")
    out["tumors"] = ctx.guarded(SECTION, "per-tumor probabilities", _tumors, ctx)
    out["calibration"] = ctx.guarded(SECTION, "calibration", _calibration, ctx)
    return out


def _tumors(ctx: Context) -> dict[str, Any]:
    """Every tumor's calibrated probabilities (all its families) and the cohort row."""
    table, note = ctx.read("compare/tumors.tsv", SECTION, "per-tumor probabilities", ["sample"])
    if table is None:
        return {"note": note}
    refs = [c[len("probability_") :] for c in table.columns if c.startswith("probability_")]
    cols = ["sample", "families", *(f"probability_{r}" for r in refs), "closest", "call", "reason"]
    shown = table[[c for c in cols if c in table.columns]].rename(
        columns={f"probability_{r}": f"P({r})" for r in refs}
    )
    return {
        "table": ctx.table(shown, "compare_tumors", tsv=table),
        "definition": _first_text(table, "closest_definition"),
        "marginalised": _first_text(table, "marginalised"),
    }


def _first_text(table: pd.DataFrame, column: str) -> str | None:
    """The first value of a column that repeats one text on every row (None if absent)."""
    if column not in table.columns:
        return None
    values = table[column].dropna()
    return str(values.iloc[0]) if len(values) else None


def _calibration(ctx: Context) -> dict[str, Any]:
    """Patient-level cross-validation of the classifier: reliability plot and scores."""
    table, note = ctx.read(
        "compare/calibration.tsv", SECTION, "classifier calibration", ["family", "accuracy"]
    )
    plot = ctx.png_file("compare/reliability.png", "reliability diagram")
    if table is None:
        return {"note": note, "plot": plot}
    shown = table.drop(columns=[c for c in ("method",) if c in table.columns])
    return {
        "table": ctx.table(shown, "compare_calibration", tsv=table),
        "plot": plot,
        "method": _first_text(table, "method"),
    }


def _verdict(summary: pd.DataFrame) -> dict[str, str]:
    overall = summary[summary["family"].astype(str) == "overall"]
    verdict = text_or_na(overall["verdict"].iloc[0]) if len(overall) else "NA"
    reason = ""
    if len(overall) and "verdict_reason" in overall and overall["verdict_reason"].notna().any():
        reason = str(overall["verdict_reason"].dropna().iloc[0])
    kind = "not" if verdict.startswith("not") else "like" if "like" in verdict else "inc"
    return {"text": verdict, "kind": kind, "reason": reason}


def _direction(verdict: str, closest: str, target: str) -> str:
    if verdict == f"{target}-like":
        return f"toward {target}"
    if verdict == f"not {target}-like":
        return f"away from {target} (closest {closest})"
    return verdict


def _by_family(ctx: Context, summary: pd.DataFrame) -> Any:
    """One row per family: which way it points, the mean probability of every reference, and
    the target's support and typicality."""
    fam = summary[summary["family"].astype(str) != "overall"]
    target = fam[fam["reference"].astype(str) == ctx.target]
    if target.empty:
        return None
    t = ctx.target
    rows = []
    for family, part in fam.groupby("family", sort=False):
        mine = part[part["reference"].astype(str) == t]
        first = part.iloc[0]
        verdict, closest = text_or_na(first.get("verdict")), text_or_na(first.get("closest"))
        row: dict[str, object] = {
            "family": family,
            "verdict": verdict,
            "direction": _direction(verdict, closest, t),
        }
        if "mean_probability" in part.columns:
            for _, r in part.iterrows():
                row[f"P({r['reference']})"] = r["mean_probability"]
        if len(mine):
            m = mine.iloc[0]
            row[f"support ({t} closest)"] = m.get("support_as_closest", np.nan)
            row[f"p_typical ({t})"] = m.get("p_typical", np.nan)
            row[f"similarity to {t}"] = m.get("similarity", np.nan)
        row["why"] = first.get("verdict_reason", np.nan)
        rows.append(row)
    return ctx.table(pd.DataFrame(rows), "verdict_by_family")


def _forest(ctx: Context) -> dict[str, Any]:
    genes, note = ctx.read("compare/genes.tsv", SECTION, "gene frequency tests", GENE_TEST_COLUMNS)
    if genes is None:
        staged = ctx.png_file("compare/gene_forest.png", "gene forest plot")
        return {"note": note, "staged": staged}
    genes = genes.sort_values(["reference", "p_value"], kind="stable", na_position="last")
    mine = genes[(genes["reference"].astype(str) == ctx.target) & genes["odds_ratio"].notna()]
    fdr = pd.to_numeric(mine["fdr"], errors="coerce")
    always = mine["always_reported"].astype(str) == "True" if "always_reported" in mine else False
    shown = mine[mine["gene"].astype(str).isin(ctx.drivers) | (fdr < ctx.fdr) | always]
    out: dict[str, Any] = {"n_shown": len(shown), "n_tested": len(mine)}
    if shown.empty:
        out["note"] = ctx.issue(
            SECTION,
            "forest plot",
            "not computed",
            f"no driver-list or significant gene has an odds ratio versus {ctx.target} "
            "(see the reason column of the table).",
        )
    else:
        fig = plot_forest(shown, ctx.target, ctx.fdr)
        out["plot"] = ctx.figure(fig, "gene forest plot")
    out["table"] = ctx.table(genes, "compare_genes", max_rows=300)
    return out


def closest_reference(row: pd.Series) -> tuple[str, str | None]:
    """The per-tumor call of the classifier (all families), with the table's reason for NA."""
    call = text_or_na(row.get("call", np.nan))
    reason = row.get("reason", np.nan)
    if not is_missing(reason):
        return call, str(reason)
    return call, None if call != "NA" else "compare/tumors.tsv gives no reason"


def similarity_view(ctx: Context, tumor: str) -> dict[str, Any]:
    here = f"Per sample: {tumor}"
    tumors, note = ctx.read(
        "compare/tumors.tsv", "Per sample", "probabilities over the references", ["sample"]
    )
    if tumors is None:
        return {"note": note}
    hit = tumors[tumors["sample"].astype(str) == tumor]
    if hit.empty:
        why = "no row in compare/tumors.tsv (the tumor has no family the classifier uses)."
        return {"note": ctx.issue(here, "probabilities over the references", "not computed", why)}
    row = hit.iloc[0]
    refs = [c[len("probability_") :] for c in hit.columns if c.startswith("probability_")]
    long = []
    for r in refs:
        item: dict[str, object] = {"reference": r, "P (all its families)": row[f"probability_{r}"]}
        for family, short in _FAMILY_COLUMN.items():
            if f"p_{short}_{r}" in hit.columns:
                item[f"P ({family} alone)"] = row[f"p_{short}_{r}"]
        for m in ("cosine", "percentile"):
            if f"{m}_{r}" in hit.columns:
                item[f"SBS96 {m}"] = row[f"{m}_{r}"]
        long.append(item)
    call, reason = closest_reference(row)
    return {
        "call": call,
        "reason": reason,
        "families": text_or_na(row.get("families", np.nan)),
        "definition": text_or_na(row.get("closest_definition", np.nan)),
        "table": ctx.table(pd.DataFrame(long), f"similarity_{tumor}"),
    }
