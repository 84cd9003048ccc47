"""Somatic mutations of one tumor: counts by class, TMB with its territory, driver genes.

In: ``somatic/cohort.maf``, ``somatic/tmb.tsv``, ``cnv/gene_calls.tsv``. Out: the data of
``templates/tumor/mutations.html.j2`` and ``templates/tumor/drivers.html.j2``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from scce_genomics.report.context import Context
from scce_genomics.report.elements import is_missing, text_or_na
from scce_genomics.somatic.maf import NON_SILENT

__all__ = ["MAF_COLUMNS", "MIN_TMB_MB", "drivers_view", "mutations_view", "non_silent", "tmb_view"]

SECTION = "Per sample"
MAF_COLUMNS = ["Hugo_Symbol", "Variant_Classification", "Variant_Type", "Tumor_Sample_Barcode"]

#: Callable territory (Mb) below which a TMB gets a caveat when ``somatic/tmb.tsv`` carries no
#: warning of its own: under ~1 Mb a handful of mutations moves the burden by whole units.
MIN_TMB_MB = 1.0


def non_silent(maf: pd.DataFrame) -> pd.DataFrame:
    return maf[maf["Variant_Classification"].astype(str).isin(NON_SILENT)]


def tumor_mutations(ctx: Context, tumor: str) -> pd.DataFrame | None:
    """The tumor's MAF rows, or None when the MAF is not there."""
    maf, _ = ctx.read("somatic/cohort.maf", SECTION, "somatic mutations", MAF_COLUMNS)
    return None if maf is None else maf[maf["Tumor_Sample_Barcode"].astype(str) == tumor]


def mutations_view(ctx: Context, tumor: str) -> dict[str, Any]:
    here = f"{SECTION}: {tumor}"
    out: dict[str, Any] = {"cards": None, "notes": []}
    _, note = ctx.read("somatic/cohort.maf", SECTION, "somatic mutations", MAF_COLUMNS)
    out["notes"].append(note)
    mine = tumor_mutations(ctx, tumor)
    if mine is not None:
        if mine.empty:
            out["notes"].append(
                ctx.issue(
                    here,
                    "somatic mutations",
                    "none found",
                    "no somatic mutation passed the filters in this tumor; "
                    "its spectrum and signature exposures cannot be computed.",
                )
            )
        counts = mine["Variant_Classification"].astype(str).value_counts().head(8)
        out["cards"] = [(len(mine), "somatic mutations")] + [
            (int(v), str(k).replace("_", " ")) for k, v in counts.items()
        ]
    tmb, tmb_note = ctx.read("somatic/tmb.tsv", SECTION, "TMB", ["sample", "tmb_per_mb"])
    out["tmb_note"] = tmb_note
    if tmb is not None:
        hit = tmb[tmb["sample"].astype(str) == tumor]
        if hit.empty:
            out["tmb_note"] = ctx.issue(here, "TMB", "not computed", "no row in somatic/tmb.tsv.")
        else:
            out["tmb"] = tmb_view(hit.iloc[0])
            out["tmb_table"] = ctx.table(hit, f"tmb_{tumor}")
    return out


def _number(row: pd.Series, *names: str) -> float | None:
    for name in names:
        if name in row.index and not is_missing(row[name]):
            return float(pd.to_numeric(row[name], errors="coerce"))
    return None


def tmb_view(row: pd.Series) -> dict[str, Any]:
    """The burden with its territory, interval and warnings, as the TMB row supports them.

    ``tmb_ci_low``/``tmb_ci_high`` (Poisson 95% CI), ``territory_mb`` and ``warning`` are shown
    when the somatic stage writes them; without a warning column the territory itself decides
    the caveat (below ``MIN_TMB_MB``).
    """
    mb = _number(row, "territory_mb", "callable_mb")
    n = _number(row, "n_snv")
    if n is not None and _number(row, "n_indel") is not None:
        n += _number(row, "n_indel") or 0.0
    value = _number(row, "tmb_per_mb")
    low, high = _number(row, "tmb_ci_low"), _number(row, "tmb_ci_high")
    reason = None
    if value is None:
        if "reason" in row.index and not is_missing(row["reason"]):
            reason = str(row["reason"])
        elif mb == 0:
            reason = "no callable territory (0 Mb reached the depth the caller needs)"
        else:
            reason = "somatic/tmb.tsv gives no burden and no reason"
    warning = None
    if "warning" in row.index and not is_missing(row["warning"]):
        warning = str(row["warning"])
    return {
        "value": value,
        "low": low,
        "high": high,
        "mb": mb,
        "n": n,
        "reason": reason,
        "warning": warning,
        # without a warning column of its own, the territory decides the caveat
        "small_territory": "warning" not in row.index
        and value is not None
        and mb is not None
        and mb < MIN_TMB_MB,
        "min_mb": MIN_TMB_MB,
        "no_interval": value is not None and (low is None or high is None),
    }


def drivers_view(ctx: Context, tumor: str) -> dict[str, Any]:
    mine = tumor_mutations(ctx, tumor)
    gene_calls, gene_note = ctx.read(
        "cnv/gene_calls.tsv", SECTION, "gene copy number", ["sample", "gene", "call"]
    )
    _, maf_note = ctx.read("somatic/cohort.maf", SECTION, "somatic mutations", MAF_COLUMNS)
    rows: dict[str, dict[str, object]] = {}
    if mine is not None:
        hits = non_silent(mine)
        for gene, group in hits[hits["Hugo_Symbol"].astype(str).isin(ctx.drivers)].groupby(
            "Hugo_Symbol"
        ):
            prot = [""] * len(group)
            if "HGVSp_Short" in group:
                # long frameshift notations are cut; the MAF has them in full
                full = group["HGVSp_Short"].fillna("").astype(str)
                prot = list(full.where(full.str.len() <= 24, full.str.slice(0, 21) + "…"))
            entry = rows.setdefault(str(gene), {})
            entry["mutations"] = "; ".join(
                f"{c.replace('_', ' ')}{' ' + p if p else ''}"
                for c, p in zip(group["Variant_Classification"].astype(str), prot, strict=True)
            )
            entry["VAF"] = ""
            if {"t_alt_count", "t_depth"} <= set(group.columns):
                depth = pd.to_numeric(group["t_depth"], errors="coerce")
                vafs = pd.to_numeric(group["t_alt_count"], errors="coerce") / depth.where(depth > 0)
                entry["VAF"] = ", ".join("NA" if is_missing(v) else f"{v:.2f}" for v in vafs)
    if gene_calls is not None:
        calls = gene_calls[
            (gene_calls["sample"].astype(str) == tumor)
            & gene_calls["gene"].astype(str).isin(ctx.drivers)
        ]
        missing = calls["call"].map(is_missing).astype(bool)
        calls = calls[~missing & (calls["call"].astype(str) != "neutral")]
        for _, row in calls.iterrows():
            entry = rows.setdefault(str(row["gene"]), {})
            entry["CN call"] = text_or_na(row["call"])
            if "log2" in row:
                entry["log2"] = row["log2"]
            if "cn" in row:
                entry["CN"] = row["cn"]
    out: dict[str, Any] = {"notes": [maf_note, gene_note], "n_drivers": len(ctx.drivers)}
    if rows:
        table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("gene").reset_index()
        for col in ("mutations", "VAF", "CN call"):
            if col in table.columns:
                table[col] = table[col].fillna("")
        out["table"] = ctx.table(table.sort_values("gene"), f"drivers_{tumor}")
    else:
        out["absent"] = [
            what
            for what, source in (
                ("no non-silent mutation", mine),
                ("no copy-number change", gene_calls),
            )
            if source is not None
        ]
    return out
