"""Stored-tissue QC (FFPE damage, identity, contamination) beside the alignment QC table.

In: any per-sample table the tissue stage leaves under ``qc/`` (``qc/*.tsv``,
``qc/*/cohort.tsv``). Out: those tables, and the QC table with their headline damage, identity
and contamination columns joined on, so one row per sample says whether its tissue and pairing
can be trusted; the reasons, intervals and methods stay in the tissue table shown below it,
where a contamination figure and its 95 % CI read as one cell.
"""

from __future__ import annotations

import re

import pandas as pd

from scce_genomics.report.context import Context

__all__ = ["join_tissue_columns", "tissue_display", "tissue_tables"]

#: Columns of a tissue-QC table worth a place in the QC table.
_KEY_COLUMNS = re.compile(
    r"ffpe|damage|artifact|orientation|identity|concord|swap|contam|sex_check|verdict", re.I
)
#: Detail columns left to the tissue table itself: reasons, methods, intervals, site counts.
_DETAIL_COLUMNS = re.compile(r"_reason$|_method$|_ci_(low|high)$|het_discordance|_sites$", re.I)


def tissue_tables(ctx: Context) -> list[tuple[str, pd.DataFrame]]:
    """(stem, table) of every per-sample table other QC steps left in qc/."""
    found: list[tuple[str, pd.DataFrame]] = []
    qc_dir = ctx.results / "qc"
    if not qc_dir.is_dir():
        return found
    for path in sorted(qc_dir.glob("*.tsv")) + sorted(qc_dir.glob("*/cohort.tsv")):
        if path.name == "qc_table.tsv" or path.stat().st_size == 0:
            continue
        try:
            table = pd.read_csv(path, sep="\t")
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
            ctx.issue("Cohort overview", path.name, "unreadable", ctx.rel(path))
            continue
        if "sample" in table.columns or "tumor" in table.columns:
            found.append((str(path.relative_to(qc_dir).with_suffix("")), table))
    return found


def join_tissue_columns(qc: pd.DataFrame, tissue: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """The QC table with each tissue table's damage/identity/verdict columns added."""
    merged = qc.copy()
    for _, extra in tissue:
        key = "sample" if "sample" in extra.columns else "tumor"
        cols = [
            c
            for c in extra.columns
            if _KEY_COLUMNS.search(str(c))
            and not _DETAIL_COLUMNS.search(str(c))
            and c != key
            and c not in merged.columns
        ]
        if cols and not extra[key].duplicated().any():
            renamed = extra[[key, *cols]].rename(columns={key: "sample"})
            merged = merged.merge(renamed, on="sample", how="left")
    return merged


def tissue_display(table: pd.DataFrame) -> pd.DataFrame:
    """A tissue table as shown: contamination with its 95 % CI in one cell (the TSV keeps both)."""
    bounds = ["contamination_ci_low", "contamination_ci_high"]
    if "contamination" not in table.columns or not set(bounds) <= set(table.columns):
        return table
    shown = table.copy()
    value = pd.to_numeric(shown["contamination"], errors="coerce")
    low, high = (pd.to_numeric(shown[c], errors="coerce") for c in bounds)
    shown["contamination"] = [
        "NA" if pd.isna(v) else f"{v:.4f} ({lo:.4f}–{hi:.4f})"
        for v, lo, hi in zip(value, low, high, strict=True)
    ]
    return shown.drop(columns=bounds).rename(columns={"contamination": "contamination (95% CI)"})
