"""Per sample: one summary row per tumor, then each tumor's panels (``TUMOR_PANELS``).

In: ``somatic/cohort.maf``, ``somatic/tmb.tsv``, ``cnv/summary.tsv``,
``signatures/SBS_exposures.tsv``, ``compare/tumors.tsv``. Out: the data of
``templates/sections/samples.html.j2`` (the panels are run by the builder, one per tumor).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from scce_genomics.report.context import Context
from scce_genomics.report.elements import slug
from scce_genomics.report.sections.compare import closest_reference
from scce_genomics.report.sections.somatic import MAF_COLUMNS, non_silent, tmb_view
from scce_genomics.report.sections.spectra import EXPOSURE_COLUMNS

__all__ = ["view"]

SECTION = "Per sample"


def view(ctx: Context) -> dict[str, Any]:
    tumors = ctx.tumors
    if not tumors:
        why = "the cohort has no tumor."
        return {"note": ctx.issue(SECTION, "tumor results", "not available", why), "tumors": []}
    maf, _ = ctx.read("somatic/cohort.maf", SECTION, "somatic mutations", MAF_COLUMNS)
    tmb, _ = ctx.read("somatic/tmb.tsv", SECTION, "TMB", ["sample", "tmb_per_mb"])
    cnv, _ = ctx.read("cnv/summary.tsv", SECTION, "purity/ploidy (CNV summary)", ["sample"])
    exposures, _ = ctx.read(
        "signatures/SBS_exposures.tsv", SECTION, "signature exposures", EXPOSURE_COLUMNS
    )
    similarity, _ = ctx.read(
        "compare/tumors.tsv", SECTION, "probabilities over the references", ["sample"]
    )
    rows = [_summary_row(ctx, t, maf, tmb, cnv, exposures, similarity) for t in tumors]
    return {
        "summary": ctx.table(pd.DataFrame(rows), "tumor_summary"),
        "tumors": [(t, slug(t), str(ctx.pairing.get(t, ""))) for t in tumors],
    }


def _first(table: pd.DataFrame | None, tumor: str) -> pd.Series | None:
    if table is None or "sample" not in table.columns:
        return None
    hit = table[table["sample"].astype(str) == tumor]
    return hit.iloc[0] if len(hit) else pd.Series(dtype=object)


def _or_nan(value: float | None) -> float:
    return np.nan if value is None else value


def _summary_row(
    ctx: Context,
    tumor: str,
    maf: pd.DataFrame | None,
    tmb: pd.DataFrame | None,
    cnv: pd.DataFrame | None,
    exposures: pd.DataFrame | None,
    similarity: pd.DataFrame | None,
) -> dict[str, object]:
    row: dict[str, object] = {"sample": tumor, "pairing": ctx.pairing.get(tumor, "")}
    if maf is not None:
        mine = maf[maf["Tumor_Sample_Barcode"].astype(str) == tumor]
        vt = mine["Variant_Type"].astype(str)
        hits = non_silent(mine)
        row["SNV"] = int((vt == "SNP").sum())
        row["DNP/ONP"] = int(vt.isin(["DNP", "TNP", "ONP"]).sum())
        row["indel"] = int(vt.isin(["INS", "DEL"]).sum())
        row["non-silent"] = len(hits)
        row["driver mutations"] = int(hits["Hugo_Symbol"].astype(str).isin(ctx.drivers).sum())
    burden = _first(tmb, tumor)
    if burden is not None:
        shown = tmb_view(burden) if len(burden) else {}
        row["TMB (/Mb)"] = _or_nan(shown.get("value"))
        row["callable Mb"] = _or_nan(shown.get("mb"))
        if tmb is not None and {"tmb_ci_low", "tmb_ci_high"} <= set(tmb.columns):
            row["TMB 95% CI"] = (
                f"{shown['low']:g}–{shown['high']:g}"
                if shown.get("low") is not None and shown.get("high") is not None
                else np.nan
            )
    fit = _first(cnv, tumor)
    if fit is not None:
        for col in ("purity", "ploidy", "fraction_genome_altered"):
            if cnv is not None and col in cnv.columns:
                row[col] = float(fit[col]) if col in fit.index else np.nan
    if exposures is not None:
        mine = exposures[exposures["sample"].astype(str) == tumor]
        mine = mine[mine["exposure"].astype(float) > 0]
        top = mine.sort_values("exposure", ascending=False)["signature"].head(3)
        row["top signatures"] = ", ".join(top.astype(str)) if len(top) else "none"
    hit = _first(similarity, tumor)
    if hit is not None and similarity is not None and "call" in similarity.columns:
        if len(hit):
            call, reason = closest_reference(hit)
            row["closest reference"] = f"NA ({reason})" if call == "NA" else call
        else:
            row["closest reference"] = "NA (no row in compare/tumors.tsv)"
    return row
