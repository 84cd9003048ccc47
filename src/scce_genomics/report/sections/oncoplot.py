"""Driver alterations across the cohort: the oncoplot and its matrix.

In: ``somatic/cohort.maf`` and ``cnv/gene_calls.tsv``. Out: the oncoplot part of the
comparison section (most altered driver-list genes first, tumors ordered by them).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from scce_genomics.report.context import Context
from scce_genomics.report.plots import plot_oncoplot
from scce_genomics.report.sections.somatic import non_silent

__all__ = ["oncoplot"]

SECTION = "Cohort comparison"


def oncoplot(ctx: Context) -> dict[str, Any]:
    tumors = ctx.tumors
    maf, maf_note = ctx.read(
        "somatic/cohort.maf",
        SECTION,
        "oncoplot mutations",
        ["Hugo_Symbol", "Variant_Classification", "Tumor_Sample_Barcode"],
    )
    calls, cn_note = ctx.read(
        "cnv/gene_calls.tsv", SECTION, "oncoplot copy number", ["sample", "gene", "call"]
    )
    out: dict[str, Any] = {"notes": [maf_note, cn_note], "n_drivers": len(ctx.drivers)}
    if maf is None and calls is None:
        return out
    genes = list(dict.fromkeys(ctx.drivers))
    cells = pd.DataFrame("", index=genes, columns=tumors, dtype=object)
    cnv = pd.DataFrame("", index=genes, columns=tumors, dtype=object)
    if maf is not None:
        hits = non_silent(maf)
        hits = hits[
            hits["Hugo_Symbol"].astype(str).isin(genes)
            & hits["Tumor_Sample_Barcode"].astype(str).isin(tumors)
        ]
        for (gene, sample), group in hits.groupby(["Hugo_Symbol", "Tumor_Sample_Barcode"]):
            classes = group["Variant_Classification"].astype(str).unique()
            cells.loc[str(gene), str(sample)] = classes[0] if len(classes) == 1 else "Multi_Hit"
    if calls is not None:
        cn = calls[
            calls["gene"].astype(str).isin(genes)
            & calls["sample"].astype(str).isin(tumors)
            & calls["call"].astype(str).isin(["amp", "deep_del"])
        ]
        for gene, sample, call in zip(cn["gene"], cn["sample"], cn["call"], strict=True):
            cnv.loc[str(gene), str(sample)] = str(call)
    altered = ((cells != "") | (cnv != "")).sum(axis=1)
    ranked = altered[altered > 0].sort_values(ascending=False, kind="stable").index
    keep = [str(g) for g in ranked[: ctx.oncoplot_max]]
    if not keep:
        out["none"] = True
        return out
    hit = ((cells != "") | (cnv != "")).loc[keep]
    # most altered genes first; tumors sorted by their alterations in that gene order
    order = sorted(tumors, key=lambda t: tuple(-hit[t].to_numpy(dtype=int)))
    fig = plot_oncoplot(cells.loc[keep, order], cnv.loc[keep, order])
    mut_arr = cells.loc[keep, order].to_numpy(dtype=str)
    cn_arr = cnv.loc[keep, order].to_numpy(dtype=str)
    both = (mut_arr != "") & (cn_arr != "")
    joined = np.char.add(np.char.add(mut_arr, np.where(both, "+", "")), cn_arr)
    matrix = pd.DataFrame(joined, index=keep, columns=order)
    out["plot"] = ctx.figure(fig, "oncoplot of driver genes")
    out["table"] = ctx.table(matrix.rename_axis("gene").reset_index(), "oncoplot_matrix")
    return out
