"""Sex check and the one stored-tissue QC table (identity, contamination, damage, purity, sex).

The table is what a reader checks before trusting a tumor's calls: a swapped or contaminated
pair, heavy FFPE deamination or oxidation, a tumor with little tumor content.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pysam

from scce_genomics.fileio import read_bed_intervals

__all__ = ["cohort_flags", "grade", "purity_comparison", "sex_check", "tissue_qc_table"]

_X = ("chrX", "X")
_Y = ("chrY", "Y")


def sex_check(bam: str | Path, sheet_sex: str = "", targets: str | Path = "") -> dict[str, Any]:
    """Sex from X and Y read density relative to the autosomes (index statistics only).

    Female: X ~ autosomes, Y ~ 0; male: X ~ half, Y > 0. With a targets BED the density is per
    targeted base. NA, with the reason, when the reference (or the targets) has no X (e.g. the
    synthetic genome).
    """
    with pysam.AlignmentFile(str(bam)) as aln:
        stats = {s.contig: s.mapped for s in aln.get_index_statistics()}
        lengths = dict(zip(aln.references, aln.lengths, strict=True))
    result: dict[str, Any] = {"sheet_sex": sheet_sex or "NA"}
    has_x = any(c in lengths for c in _X)
    if targets:
        intervals = read_bed_intervals(targets)
        lengths = {c: sum(end - start for start, end in spans) for c, spans in intervals.items()}
    x = next((c for c in _X if c in lengths), None)
    y = next((c for c in _Y if c in lengths), None)
    if x is None:
        reason = "targets do not cover X" if has_x else "reference has no X chromosome"
        result.update(inferred_sex="NA", sex_check="NA", reason=reason)
        return result
    auto = [c for c in lengths if c not in _X + _Y and stats.get(c, 0) > 0]
    auto_density = sum(stats[c] for c in auto) / max(sum(lengths[c] for c in auto), 1)
    if auto_density == 0:
        result.update(inferred_sex="NA", sex_check="NA", reason="no autosomal reads")
        return result
    x_ratio = stats.get(x, 0) / lengths[x] / auto_density
    y_ratio = stats.get(y, 0) / lengths[y] / auto_density if y else float("nan")
    if x_ratio > 0.8 and (y is None or y_ratio < 0.1):
        inferred = "female"
    elif x_ratio < 0.7 and (y is None or y_ratio > 0.1):
        inferred = "male"
    else:
        inferred = "ambiguous"
    check = "NA" if not sheet_sex else ("pass" if inferred == sheet_sex else "fail")
    result.update(
        x_ratio=round(x_ratio, 3),
        y_ratio=round(y_ratio, 3) if y else None,
        inferred_sex=inferred,
        sex_check=check,
        reason="" if y else "no Y chromosome in the reference; X ratio only",
    )
    return result


def grade(value: float, warn: float, fail: float) -> str:
    """pass/warn/fail for a metric where larger is worse; NA for a missing value."""
    if value is None or not np.isfinite(value):
        return "NA"
    return "fail" if value >= fail else ("warn" if value >= warn else "pass")


def cohort_flags(cohort: str | Path, names: pd.Index) -> pd.DataFrame:
    """Per sample: the other samples whose genotypes contradict the sheet, and a verdict.

    ``duplicate_patient:X`` (X of another patient shares this sample's genotype) and
    ``mismatch_within_patient:X`` (X of the same patient does not) both fail the sample.
    """
    pairs = pd.read_csv(cohort, sep="\t", dtype=str, keep_default_na=False)
    flags: dict[str, list[str]] = {str(n): [] for n in names}
    tested: set[str] = set()
    for a, b, flag in pairs[["sample_a", "sample_b", "flag"]].itertuples(index=False):
        if flag == "NA":
            continue
        tested.update((a, b))
        if flag != "ok":
            flags.setdefault(a, []).append(f"{flag}:{b}")
            flags.setdefault(b, []).append(f"{flag}:{a}")
    out = pd.DataFrame(index=names)
    out["genotype_flags"] = [";".join(flags.get(str(n), [])) for n in names]
    out["cohort_verdict"] = [
        ("fail" if flags.get(str(n)) else "pass") if n in tested else "NA" for n in names
    ]
    return out


#: QC-table column <- key of the identity JSON (``tissue-identity``).
_IDENTITY_COLUMNS = {
    "identity_sites": "informative_sites",
    "identity_opposite_fraction": "opposite_fraction",
    "identity_relatedness": "hom_relatedness",
    "identity_het_discordance": "het_discordance",
    "identity_verdict": "verdict",
    "identity_reason": "reason",
}
#: QC-table column <- column of the contamination TSV (``tissue-contamination``).
_CONTAMINATION_COLUMNS = {
    "contamination": "contamination",
    "contamination_ci_low": "ci_low",
    "contamination_ci_high": "ci_high",
    "contamination_method": "method",
    "contamination_reason": "reason",
}


def _read_json(paths: list[str]) -> list[dict[str, Any]]:
    return [json.loads(Path(p).read_text()) for p in paths]


def tissue_qc_table(
    samples: pd.DataFrame,
    identity: list[str],
    contamination: list[str],
    damage: list[str],
    purity: list[str],
    sex: list[str],
    thresholds: dict[str, Any],
    cnv_summary: str = "",
    cohort: str = "",
) -> pd.DataFrame:
    """One row per sample; tumors carry their pair's identity verdict and purity estimates."""
    table = samples[["sample", "patient", "type", "tissue"]].copy().set_index("sample")
    table["identity_verdict"] = "NA"
    for rec in _read_json(identity):
        tumor = rec["tumor"]
        table.loc[tumor, "matched_normal"] = rec["normal"]
        for column, key in _IDENTITY_COLUMNS.items():
            value = rec.get(key)
            table.loc[tumor, column] = np.nan if value is None else value
    if cohort:
        table = table.join(cohort_flags(cohort, table.index))
    cont = pd.concat([pd.read_csv(p, sep="\t") for p in contamination]) if contamination else None
    if cont is not None and len(cont):
        cont = cont.drop_duplicates("sample").set_index("sample")
        for column, key in _CONTAMINATION_COLUMNS.items():
            table[column] = cont[key].reindex(table.index) if key in cont else np.nan
    else:
        table["contamination"] = np.nan
    c = thresholds["contamination"]
    table["contamination_verdict"] = [
        grade(v, c["warn"], c["fail"]) for v in table["contamination"]
    ]
    for p in damage:
        d = pd.read_csv(p, sep="\t")
        name = str(d["sample"].iloc[0])
        for sub, key in (("C>T", "ct"), ("G>T", "gt")):
            row = d[d["substitution"] == sub].iloc[0]
            table.loc[name, f"{key}_artifact_rate"] = float(row["artifact_rate"])
            table.loc[name, f"{key}_orientation_bias"] = float(row["orientation_bias"])
    ct, gt = thresholds["deamination"], thresholds["oxidation"]
    table["ct_verdict"] = [grade(v, ct["warn"], ct["fail"]) for v in table["ct_artifact_rate"]]
    table["gt_verdict"] = [grade(v, gt["warn"], gt["fail"]) for v in table["gt_artifact_rate"]]
    for rec in _read_json(purity):
        table.loc[rec["sample"], "purity_early"] = rec["purity_estimate"]
    if "purity_early" not in table:
        table["purity_early"] = np.nan
    table["purity_sheet"] = samples.set_index("sample")["purity"].reindex(table.index)
    table["purity_cnv"] = np.nan
    if cnv_summary and Path(cnv_summary).is_file():
        cnv = pd.read_csv(cnv_summary, sep="\t").set_index("sample")
        table["purity_cnv"] = cnv["purity"].reindex(table.index)
    for p in sex:
        rec = json.loads(Path(p).read_text())
        table.loc[rec["sample"], "inferred_sex"] = rec["inferred_sex"]
        table.loc[rec["sample"], "sex_check"] = rec["sex_check"]
        table.loc[rec["sample"], "sex_reason"] = rec.get("reason", "")
    verdicts = [str(c) for c in table.columns if str(c).endswith("_verdict")] + (
        ["sex_check"] if sex else []
    )
    rank = {"pass": 0, "NA": 0, "warn": 1, "fail": 2}
    worst = table[verdicts].fillna("NA").map(lambda v: rank.get(str(v), 0)).max(axis=1)
    table["tissue_verdict"] = worst.map({0: "pass", 1: "warn", 2: "fail"})
    if "identity_sites" in table:
        table["identity_sites"] = table["identity_sites"].astype("Int64")
    digits = {"artifact_rate": 6, "orientation_bias": 3, "contamination": 5, "purity": 3}
    for col in table.columns:
        for suffix, n in digits.items():
            if suffix in str(col) and pd.api.types.is_float_dtype(table[col]):
                table[col] = table[col].round(n)
    return table.reset_index()


def purity_comparison(
    samples: pd.DataFrame, purity: list[str], cnv_summary: str | Path
) -> pd.DataFrame:
    """Early (germline-imbalance) purity next to the CNV stage's purity and the sheet's.

    The CNV fit uses every segment and supersedes the early estimate; a large difference says
    one of them misread the tumor (e.g. no clonal one-copy loss for the early estimate).
    """
    tumors = samples.loc[samples["type"] == "tumor", "sample"].tolist()
    table = pd.DataFrame(index=pd.Index(tumors, name="sample"))
    table["purity_sheet"] = samples.set_index("sample")["purity"].reindex(table.index)
    table["purity_early"] = np.nan
    for rec in _read_json(purity):
        if rec["sample"] in table.index and rec.get("purity_estimate") is not None:
            table.loc[rec["sample"], "purity_early"] = float(rec["purity_estimate"])
    cnv = pd.read_csv(cnv_summary, sep="\t", dtype={"sample": str}).set_index("sample")
    table["purity_cnv"] = cnv["purity"].reindex(table.index)
    source = cnv["purity_source"] if "purity_source" in cnv else pd.Series(dtype=str)
    table["purity_cnv_source"] = source.reindex(table.index).fillna("NA")
    table["early_minus_cnv"] = (table["purity_early"] - table["purity_cnv"]).round(3)
    return table.reset_index()
