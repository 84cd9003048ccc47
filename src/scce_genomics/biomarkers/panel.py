"""The biomarker panel: TMB (with its CI), MSI and HRD per tumor, each with its source.

One row per tumor. A value that could not be computed is NA, and its status column says
"not computed: <reason>" — never a number standing in for one. TMB is classified high/low
against ``tmb_threshold`` (10 mutations/Mb, the cut-off of pembrolizumab's tumor-agnostic
approval) only when the callable territory reaches ``min_territory_mb``; the CI is given
either way, and whether it spans the cut-off. The tumor's SNVs/Mb are placed in a reference
cohort's distribution (per-patient SNV counts of its SBS96 catalogues over its assay's
territory, e.g. the ESCC exomes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from scce_genomics.biomarkers.tables import read_checked
from scce_genomics.errors import InputError
from scce_genomics.somatic.tmb import TMB_COLUMNS

__all__ = ["PANEL_COLUMNS", "PanelParams", "ReferenceTmb", "build_panel", "reference_tmb"]

PANEL_COLUMNS = [
    "sample",
    "tmb_per_mb",
    "tmb_ci_low",
    "tmb_ci_high",
    "tmb_status",
    "tmb_threshold",
    "tmb_mutations",
    "tmb_callable_mb",
    "tmb_scope",
    "tmb_from",
    "snv_per_mb",
    "reference_snv_per_mb_median",
    "reference_snv_per_mb_q1",
    "reference_snv_per_mb_q3",
    "reference_percentile",
    "reference_from",
    "msi_score",
    "msi_score_ci_low",
    "msi_score_ci_high",
    "msi_status",
    "msi_threshold",
    "msi_from",
    "hrd_score",
    "hrd_status",
    "hrd_from",
]


#: Columns of the copy-number stage's HRD table and how the panel names them.
_HRD_PARTS = (("hrd_loh", "HRD-LOH"), ("tai", "TAI"), ("lst", "LST"))


@dataclass(frozen=True)
class PanelParams:
    tmb_threshold: float = 10.0
    min_territory_mb: float = 1.0


@dataclass
class ReferenceTmb:
    """Per-patient SNVs/Mb of a reference cohort, and how they were obtained."""

    name: str
    values: pd.Series
    description: str


def reference_tmb(folder: str | Path) -> ReferenceTmb:
    """SNVs/Mb per patient of a reference profile: SBS96 column sums over its territory."""
    folder = Path(folder)
    try:
        meta = yaml.safe_load((folder / "profile.yaml").read_text()) or {}
        catalogues = pd.read_csv(folder / "sbs96_catalogues.tsv", sep="\t", index_col=0)
        summary = pd.read_csv(folder / "tmb.tsv", sep="\t").set_index("metric")["value"]
    except (OSError, pd.errors.ParserError, KeyError, yaml.YAMLError) as err:
        raise InputError(
            f"not a reference profile with SBS96 catalogues and tmb.tsv ({err})", folder
        ) from None
    if "territory_mb" not in summary.index:
        raise InputError("the reference's tmb.tsv has no territory_mb", folder / "tmb.tsv")
    mb = float(summary["territory_mb"])
    values = catalogues.sum(axis=0).astype(float) / mb
    values.index.name = "sample"
    name = str(meta.get("name", folder.name))
    description = (
        f"{name} ({meta.get('assay', 'assay unknown')}, {values.size} patients): SNVs per Mb "
        f"of the {meta.get('opportunity', '')} territory ({mb:g} Mb), all FILTER values"
    )
    return ReferenceTmb(name, values, description)


def _read_table(path: str | Path, what: str, need: Sequence[str]) -> pd.DataFrame:
    table = read_checked(path, what, need, text="sample")
    return table.set_index("sample")


def _short(path: str | Path) -> str:
    """``stage/file`` of a results path, enough to find it and short enough to read."""
    p = Path(path)
    return f"{p.parent.name}/{p.name}" if p.parent.name else p.name


def _one(table: pd.DataFrame | None, sample: str) -> pd.Series | None:
    """The first row of ``sample`` in a table indexed by sample, or None."""
    if table is None or sample not in table.index:
        return None
    return table.loc[[sample]].iloc[0]


def _tmb_part(row: pd.Series | None, params: PanelParams, tmb_path: str) -> dict[str, object]:
    out: dict[str, object] = {"tmb_threshold": params.tmb_threshold}
    if row is None:
        out["tmb_status"] = f"not computed: no row in {_short(tmb_path)}"
        return out
    tmb, low, high = (float(row[k]) for k in ("tmb_per_mb", "tmb_ci_low", "tmb_ci_high"))
    mb = float(row["callable_mb"])
    out.update(
        tmb_per_mb=tmb,
        tmb_ci_low=low,
        tmb_ci_high=high,
        tmb_mutations=int(row["n_mutations"]),
        tmb_callable_mb=mb,
        tmb_scope=row["scope"],
        snv_per_mb=float(row["snv_per_mb"]),
        tmb_from=(
            f"{_short(tmb_path)}: {int(row['n_mutations'])} PASS mutations "
            f"({int(row['n_snv'])} SNV/MNV, {int(row['n_indel'])} indel) over {mb:g} callable "
            "Mb; 95% CI exact Poisson (Garwood)"
        ),
    )
    warning = row.get("warning")
    if np.isnan(tmb):
        out["tmb_status"] = str(warning) if warning else "not computed: no callable territory"
    elif mb < params.min_territory_mb:
        out["tmb_status"] = (
            f"not classified: callable territory {mb:g} Mb is below the "
            f"{params.min_territory_mb:g} Mb minimum (biomarkers.tmb.min_territory_mb)"
        )
    else:
        cut = params.tmb_threshold
        status = "TMB-high" if tmb >= cut else "TMB-low"
        if low < cut <= high:
            status += f" (95% CI spans {cut:g}/Mb)"
        out["tmb_status"] = status
    return out


def _reference_part(snv: object, reference: ReferenceTmb | None) -> dict[str, object]:
    if reference is None:
        return {"reference_from": "not computed: no reference given"}
    from scipy.stats import percentileofscore

    values = reference.values.to_numpy()
    out: dict[str, object] = {
        "reference_snv_per_mb_median": round(float(np.median(values)), 3),
        "reference_snv_per_mb_q1": round(float(np.quantile(values, 0.25)), 3),
        "reference_snv_per_mb_q3": round(float(np.quantile(values, 0.75)), 3),
        "reference_from": reference.description,
    }
    if isinstance(snv, float) and not np.isnan(snv):
        out["reference_percentile"] = round(float(percentileofscore(values, snv, "mean")), 1)
    return out


def _msi_part(row: pd.Series | None) -> dict[str, object]:
    if row is None:
        return {"msi_status": "not computed: no MSI result for this tumor"}
    covered, total = int(row["sites_covered"]), int(row["sites"])
    source = (
        f"{row['mode']} vs {row['compared_with']}: {covered} of {total} microsatellites with "
        f"≥ {int(row['min_coverage'])} spanning reads, {int(row['sites_unstable'])} unstable "
        f"({row['test']})"
    )
    if row["mode"] == "tumor-normal":
        source += "; score = estimated % unstable sites (mixture model, 95% Wald CI)"
    return {
        "msi_score": row["msi_score"],
        "msi_score_ci_low": row["msi_score_ci_low"],
        "msi_score_ci_high": row["msi_score_ci_high"],
        "msi_status": row["msi_status"],
        "msi_threshold": row["msi_threshold"],
        "msi_from": source,
    }


def _hrd_part(row: pd.Series | None, hrd_path: str, reason: str) -> dict[str, object]:
    """The copy-number stage's HRD sum (HRD-LOH + TAI + LST) with its components."""
    if row is None:
        return {"hrd_status": reason}
    source = _short(hrd_path)
    status = str(row.get("status", "computed"))
    if status != "computed" or pd.isna(row["hrd_sum"]):
        why = row.get("reason")
        why = why if isinstance(why, str) and why else "no HRD score in the copy-number table"
        return {"hrd_status": f"not computed: {why}", "hrd_from": source}
    parts = [(label, row[c]) for c, label in _HRD_PARTS if c in row.index]
    detail = ", ".join(f"{label} {int(value)}" for label, value in parts if not pd.isna(value))
    return {
        "hrd_score": float(row["hrd_sum"]),
        "hrd_status": "computed",
        "hrd_from": f"{source}: " + (f"{detail} (sum)" if detail else "HRD sum"),
    }


def build_panel(
    tumors: list[str],
    tmb_path: str,
    msi_paths: list[str],
    hrd_path: str,
    reference: ReferenceTmb | None,
    params: PanelParams = PanelParams(),
) -> pd.DataFrame:
    """One row per tumor (PANEL_COLUMNS)."""
    tmb = _read_table(tmb_path, "TMB table", [c for c in TMB_COLUMNS if c != "warning"])
    msi = (
        pd.concat(
            [_read_table(p, "MSI summary", ("sample", "mode", "msi_score")) for p in msi_paths]
        )
        if msi_paths
        else pd.DataFrame()
    )
    hrd, hrd_reason = None, "not computed: HRD score not available (no copy-number HRD table)"
    if hrd_path:
        hrd = _read_table(hrd_path, "HRD table", ("sample", "hrd_sum"))
        hrd_reason = f"not computed: no row for this tumor in {_short(hrd_path)}"
    rows = []
    for tumor in tumors:
        row: dict[str, object] = {"sample": tumor}
        tmb_part = _tmb_part(_one(tmb, tumor), params, tmb_path)
        row.update(tmb_part)
        snv = tmb_part.get("snv_per_mb")
        # a burden over too small a territory is not placed among the reference's patients
        unplaced = str(tmb_part.get("tmb_status", "")).startswith("not ")
        row.update(_reference_part(np.nan if unplaced else snv, reference))
        row.update(_msi_part(_one(msi, tumor)))
        row.update(_hrd_part(_one(hrd, tumor), hrd_path, hrd_reason))
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=PANEL_COLUMNS)
