"""Immunotherapy biomarkers: TMB with its CI beside the ESCC reference, MSI and HRD per tumor.

In: ``biomarkers/panel.tsv`` (one row per tumor) and ``biomarkers/reference_tmb.tsv`` (the
reference's per-patient SNVs/Mb). Out: the data of ``templates/sections/biomarkers.html.j2``:
counts per status, a compact table (values with their CIs and statuses; the full panel with the
``*_from`` columns goes to the TSV), the reference distribution with each tumor on it, and one
"not computed" notice per biomarker and reason.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from scce_genomics.report.context import Context
from scce_genomics.report.elements import is_missing

__all__ = ["plot_tmb_reference", "view"]

SECTION = "Biomarkers"
_NEEDED = ["sample", "tmb_per_mb", "tmb_status", "msi_score", "msi_status", "hrd_status"]


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _interval(value: Any, low: Any, high: Any) -> str:
    """``value (low–high)``, or NA."""
    if is_missing(value):
        return "NA"
    text = _num(float(value))
    if not (is_missing(low) or is_missing(high)):
        text += f" ({_num(float(low))}–{_num(float(high))})"
    return text


def _compact(panel: pd.DataFrame) -> pd.DataFrame:
    """What a reader scans: each value with its CI and the status that goes with it."""
    rows = []
    for _, r in panel.iterrows():
        rows.append(
            {
                "sample": r["sample"],
                "TMB /Mb (95% CI)": _interval(
                    r["tmb_per_mb"], r.get("tmb_ci_low"), r.get("tmb_ci_high")
                ),
                "TMB status": r["tmb_status"],
                "callable Mb": r.get("tmb_callable_mb"),
                "SNVs/Mb": r.get("snv_per_mb"),
                "percentile in reference": r.get("reference_percentile"),
                "MSI score % (95% CI)": _interval(
                    r["msi_score"], r.get("msi_score_ci_low"), r.get("msi_score_ci_high")
                ),
                "MSI status": r["msi_status"],
                "MSI-H from %": r.get("msi_threshold"),
                "HRD score": r.get("hrd_score"),
                "HRD status": r["hrd_status"],
            }
        )
    return pd.DataFrame(rows)


def _status_counts(values: pd.Series) -> list[tuple[int, str]]:
    kinds = values.astype(str).map(lambda s: "not computed" if s.startswith("not ") else s)
    return [(int(n), str(k)) for k, n in kinds.value_counts().items()]


def plot_tmb_reference(reference: pd.Series, tumors: pd.Series, name: str) -> Figure:
    """The reference's per-patient SNVs/Mb (dots, log scale) with each tumor as a labelled line."""
    fig, ax = plt.subplots(figsize=(8, 2.6))
    values = reference.to_numpy(dtype=float)
    positive = values[values > 0]
    jitter = np.random.default_rng(0).uniform(-0.25, 0.25, positive.size)
    ax.scatter(positive, jitter, s=12, color="#7F7F7F", alpha=0.7, label=f"{name} patients")
    ax.axvline(float(np.median(positive)), color="#7F7F7F", ls="--", lw=1, label=f"{name} median")
    for k, (sample, snv) in enumerate(tumors.dropna().items()):
        if snv > 0:
            ax.axvline(float(snv), color=f"C{k % 10}", lw=2)
            ax.text(float(snv), 0.35, str(sample), rotation=90, va="bottom", ha="right", fontsize=8)
    ax.set_xscale("log")
    ax.set_ylim(-0.5, 1.2)
    ax.set_yticks([])
    ax.set_xlabel("somatic SNVs per Mb (log scale)")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def view(ctx: Context) -> dict[str, Any]:
    panel, note = ctx.read("biomarkers/panel.tsv", SECTION, "biomarker panel", _NEEDED)
    if panel is None:
        return {"note": note}
    panel = panel.assign(sample=panel["sample"].astype(str))
    out: dict[str, Any] = {
        "panel": ctx.table(_compact(panel), "biomarkers", tsv=panel),
        "msi_cards": _status_counts(panel["msi_status"]),
        "tmb_cards": _status_counts(panel["tmb_status"].str.replace(r" \(.*", "", regex=True)),
        "notes": [],
    }
    for column, label in (("tmb_status", "TMB"), ("msi_status", "MSI"), ("hrd_status", "HRD")):
        skipped = panel[panel[column].astype(str).str.startswith("not computed")]
        for reason, part in skipped.groupby(column):
            who = ", ".join(part["sample"])
            why = str(reason).removeprefix("not computed: ")
            out["notes"].append(ctx.issue(SECTION, f"{label} of {who}", "not computed", why))
    first = panel.iloc[0]
    for key in ("tmb_threshold", "msi_threshold", "reference_from", "tmb_scope"):
        out[key] = None if key not in panel.columns or is_missing(first[key]) else first[key]
    reference = ctx.optional_table(ctx.results / "biomarkers/reference_tmb.tsv")
    if reference is not None and len(reference) and "snv_per_mb" in reference.columns:
        name = str(out["reference_from"] or "reference").split(" ")[0]
        tumors = panel.set_index("sample")["snv_per_mb"].astype(float)
        figure = plot_tmb_reference(reference["snv_per_mb"], tumors, name)
        out["figure"] = ctx.figure(figure, f"SNVs per Mb of each tumor beside {name}")
    return out
