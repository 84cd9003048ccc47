"""Sex chromosomes, HRD scar score and copy-number signatures of one tumor.

In: ``cnv/sex_chromosomes.tsv``, ``cnv/hrd.tsv``, ``cnv/cn_signatures.tsv`` (CNV stage). Out: the
data of ``templates/tumor/scars.html.j2``. Each part is absent when its table is, and an NA
score is shown with the stage's reason, never as zero.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from scce_genomics.report.context import Context

__all__ = ["scars_view"]


def _mine(ctx: Context, rel: str, tumor: str) -> pd.DataFrame | None:
    table = ctx.optional_table(ctx.results / rel)
    if table is None or "sample" not in table.columns:
        return None
    return table[table["sample"].astype(str) == tumor]


def scars_view(ctx: Context, tumor: str) -> dict[str, Any]:
    """Sex/X/Y rows, the HRD row (or its reason) and the fitted CN signatures with CIs."""
    out: dict[str, Any] = {}
    sex = _mine(ctx, "cnv/sex_chromosomes.tsv", tumor)
    if sex is not None and len(sex):
        out["sex"] = {
            "sex": str(sex["sex"].iloc[0]),
            "source": str(sex["sex_source"].iloc[0]),
            "reference": str(sex["reference_sex"].iloc[0]),
            "rows": [
                (str(r["chrom"]), r["expected_cn"], r["cn"], str(r["call"]), str(r["reason"]))
                for _, r in sex.fillna("").iterrows()
            ],
        }
    hrd = _mine(ctx, "cnv/hrd.tsv", tumor)
    if hrd is not None and len(hrd):
        row = hrd.iloc[0]
        out["hrd"] = {
            "computed": str(row["status"]) == "computed",
            "loh": row["hrd_loh"], "tai": row["tai"], "lst": row["lst"], "sum": row["hrd_sum"],
            "fraction": row["allele_specific_fraction"],
            "reason": "" if pd.isna(row["reason"]) else str(row["reason"]),
        }  # fmt: skip
    sigs = _mine(ctx, "cnv/cn_signatures.tsv", tumor)
    if sigs is not None and len(sigs):
        ok = sigs[sigs["signature"].astype(str) != "NA"].sort_values("fraction", ascending=False)
        out["cn_signatures"] = {
            "rows": [
                (str(r["signature"]), r["fraction"], r["ci_low"], r["ci_high"])
                for _, r in ok.iterrows()
            ],
            "n_segments": ok["n_segments"].iloc[0] if len(ok) else None,
            "cosine": ok["cosine"].iloc[0] if len(ok) else None,
            "flag": str(sigs["flag"].iloc[0]),
        }
    return out
