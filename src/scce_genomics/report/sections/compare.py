"""The cohort against the ESCC and contrast references: verdict, tests and side-by-side figures.

In: ``compare/summary.tsv``, ``compare/genes.tsv``, ``compare/focal.tsv``,
``compare/spectra_samples.tsv`` (per tumor) and the parts other views draw (spectra,
exposures, oncoplot, arm frequencies). Out: the data of ``templates/sections/comparison.html.j2``
and ``templates/tumor/similarity.html.j2``.
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
_METHOD_COLUMNS = ("ci_method", "typicality_method", "verdict_rule")


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
    return out


def _verdict(summary: pd.DataFrame) -> dict[str, str]:
    overall = summary[summary["family"].astype(str) == "overall"]
    verdict = text_or_na(overall["verdict"].iloc[0]) if len(overall) else "NA"
    reason = ""
    if len(overall) and "verdict_reason" in overall and overall["verdict_reason"].notna().any():
        reason = str(overall["verdict_reason"].dropna().iloc[0])
    kind = "not" if verdict.startswith("not") else "like" if "like" in verdict else "inc"
    return {"text": verdict, "kind": kind, "reason": reason}


def _by_family(ctx: Context, summary: pd.DataFrame) -> Any:
    """One row per feature family: its verdict and the statistics of the target reference."""
    fam = summary[summary["family"].astype(str) != "overall"]
    target = fam[fam["reference"].astype(str) == ctx.target]
    if target.empty:
        return None
    t = ctx.target
    cols = {"family": "family", "verdict": "verdict", "closest": "closest reference",
            "closest_support": "support (closest)", "similarity": f"similarity to {t}",
            "ci_low": "CI low", "ci_high": "CI high", "p_typical": f"p_typical ({t})",
            "verdict_reason": "why", "reason": "note"}  # fmt: skip
    table = target[[c for c in cols if c in target.columns]].rename(columns=cols)
    return ctx.table(table, "verdict_by_family")


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
    """The per-tumor closest reference by SBS96, with the table's reason (always one for NA)."""
    call = text_or_na(row.get("call", np.nan))
    reason = row.get("reason", np.nan)
    if not is_missing(reason):
        return call, str(reason)
    return call, None if call != "NA" else "compare/spectra_samples.tsv gives no reason"


def similarity_view(ctx: Context, tumor: str) -> dict[str, Any]:
    here = f"Per sample: {tumor}"
    similarity, note = ctx.read(
        "compare/spectra_samples.tsv", "Per sample", "similarity to references", ["sample"]
    )
    if similarity is None:
        return {"note": note}
    hit = similarity[similarity["sample"].astype(str) == tumor]
    if hit.empty:
        why = "no row in compare/spectra_samples.tsv."
        return {"note": ctx.issue(here, "similarity to references", "not computed", why)}
    row = hit.iloc[0]
    refs = sorted({c.split("_", 1)[1] for c in hit.columns if c.startswith("cosine_")})
    metrics = ("cosine", "percentile", "posterior", "support")
    long = pd.DataFrame(
        [{"reference": r, **{m: row.get(f"{m}_{r}", np.nan) for m in metrics}} for r in refs]
    )
    call, reason = closest_reference(row)
    return {
        "call": call,
        "reason": reason,
        "method": text_or_na(row.get("method", np.nan)),
        "table": ctx.table(long, f"similarity_{tumor}"),
    }
