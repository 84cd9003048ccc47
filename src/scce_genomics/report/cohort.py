"""The cohort the report describes: samples from the sheet (else the QC table) and their pairing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from scce_genomics.report.context import Context
from scce_genomics.samples import load_samples, tumor_normal_pairs

__all__ = ["load_cohort"]

_OVERVIEW = "Cohort overview"


def load_cohort(ctx: Context, samples_path: str | Path | None) -> None:
    """Set ``ctx.sheet`` and ``ctx.pairing`` before the views run."""
    ctx.sheet = _sample_sheet(ctx, samples_path)
    ctx.pairing = _pairing(ctx.sheet)


def _sample_sheet(ctx: Context, samples_path: str | Path | None) -> pd.DataFrame:
    """Samples from the sheet, else from the QC table, else empty (with a notice)."""
    if samples_path:
        sheet = load_samples(samples_path)
        cols = ["sample", "patient", "type", "tissue", "purity", "sex"]
        return sheet[[c for c in cols if c in sheet.columns]].reset_index(drop=True)
    qc, _ = ctx.read("qc/qc_table.tsv", _OVERVIEW, "sample list", ["sample"])
    if qc is None:
        return pd.DataFrame(columns=["sample", "patient", "type", "tissue"])
    ctx.issue(
        _OVERVIEW,
        "tumor–normal pairing",
        "not available",
        "no sample sheet was given (--samples): samples are taken from qc/qc_table.tsv and "
        "their patients are unknown.",
    )
    sheet = qc[[c for c in ("sample", "type", "tissue") if c in qc.columns]].copy()
    sheet["patient"] = ""
    if "type" not in sheet.columns:
        sheet["type"] = "tumor"
    return sheet


def _pairing(sheet: pd.DataFrame) -> pd.Series:
    """'tumor–normal (N)', 'tumor-only' or 'normal of T1, T2' per sample."""
    out = pd.Series("", index=sheet["sample"].astype(str), dtype=object)
    if sheet.empty:
        return out
    if (sheet["patient"].astype(str) == "").all():
        return pd.Series("unknown (no sample sheet)", index=out.index, dtype=object)
    pairs = tumor_normal_pairs(sheet)
    for tumor, normal in zip(pairs["tumor"], pairs["normal"], strict=True):
        out[tumor] = f"tumor–normal ({normal})" if normal else "tumor-only"
    for normal, group in pairs[pairs["normal"] != ""].groupby("normal"):
        out[str(normal)] = "normal of " + ", ".join(group["tumor"])
    for sample in sheet.loc[sheet["type"] == "normal", "sample"]:
        if not out[sample]:
            out[sample] = "normal without tumor"
    return out
