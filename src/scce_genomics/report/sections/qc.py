"""Cohort overview: who was sequenced, how pairs were formed, and whether the data passed QC.

In: the sample sheet, ``qc/qc_table.tsv``, tissue-QC tables, ``qc/multiqc/``. Out: the data of
``templates/sections/overview.html.j2``.
"""

from __future__ import annotations

import os
from typing import Any

from scce_genomics.report.context import Context
from scce_genomics.report.sections.tissue import (
    join_tissue_columns,
    tissue_display,
    tissue_tables,
)

__all__ = ["view"]

SECTION = "Cohort overview"


def view(ctx: Context) -> dict[str, Any]:
    sheet, pairing, tumors = ctx.sheet, ctx.pairing, ctx.tumors
    kinds = [str(pairing.get(t, "")) for t in tumors]
    unknown = any(k.startswith("unknown") for k in kinds)
    tissues = (
        ", ".join(f"{k}: {v}" for k, v in sheet["tissue"].astype(str).value_counts().items())
        if "tissue" in sheet.columns
        else "NA"
    )
    cards = [
        (len(sheet), "samples"),
        (len(tumors), "tumors"),
        (
            "?" if unknown else sum(k.startswith("tumor–normal") for k in kinds),
            "tumor–normal pairs",
        ),
        ("?" if unknown else kinds.count("tumor-only"), "tumor-only"),
        (tissues, "tissue"),
    ]
    if sheet.empty:
        samples: Any = ctx.issue(
            SECTION, "sample list", "not available", "no sample sheet given and no QC table found."
        )
    else:
        samples = ctx.table(
            sheet.assign(pairing=sheet["sample"].astype(str).map(pairing)), "samples"
        )
    out: dict[str, Any] = {"cards": cards, "samples": samples, "verdicts": {}, "tissue": []}
    qc, out["qc_note"] = ctx.read("qc/qc_table.tsv", SECTION, "QC table", ["sample"])
    if qc is not None:
        tissue = tissue_tables(ctx)
        merged = join_tissue_columns(qc, tissue)
        if "verdict" in merged.columns:
            out["verdicts"] = dict(merged["verdict"].astype(str).value_counts())
        out["qc"] = ctx.table(merged, "qc_table")
        if not tissue:
            out["tissue_note"] = ctx.issue(
                SECTION,
                "FFPE damage and tumor/normal identity",
                "not run",
                "no tissue-QC table (a qc/*.tsv with a sample column other than "
                "qc_table.tsv) found.",
            )
        out["tissue"] = [
            (f"qc/{stem}.tsv", ctx.table(tissue_display(t), f"qc_{stem}", tsv=t))
            for stem, t in tissue
        ]
    mqc = ctx.results / "qc" / "multiqc" / "multiqc_report.html"
    if mqc.is_file():
        out["multiqc"] = os.path.relpath(mqc, ctx.out.parent)
    else:
        out["multiqc_note"] = ctx.issue(
            SECTION, "MultiQC report", "not run", f"{ctx.rel(mqc)} is missing."
        )
    return out
