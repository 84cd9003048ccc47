"""Stored-tissue QC end to end: the tiny cohort's verdicts, a swapped pair stopped, real reads."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import snakemake, write_config
from test_real_data import real_config

pytestmark = pytest.mark.workflow


def test_tissue_qc_table_on_the_tiny_cohort(workflow_run: Path) -> None:
    table = pd.read_csv(workflow_run / "qc/tissue_qc.tsv", sep="\t").set_index("sample")
    assert list(table.loc[["P1T", "P2T"], "identity_verdict"]) == ["pass", "pass"]
    assert (table.loc[["P1T", "P2T"], "identity_opposite_fraction"] < 0.02).all()
    assert (table.loc[["P1T", "P2T"], "identity_sites"] >= 20).all()
    assert (table["cohort_verdict"] == "pass").all()
    assert (table.loc[["P1N", "P2N"], "contamination"] < 0.01).all()
    assert (table.loc[["P1T", "P2T"], "contamination_ci_high"] < 0.02).all()
    # P3T has no normal and the cohort no population frequencies: NA with the reason
    assert pd.isna(table.loc["P3T", "contamination_verdict"])  # "NA" in the TSV
    assert "tumor-only without population allele" in table.loc["P3T", "contamination_reason"]
    # P1T is FFPE (simulated deamination), P2T fresh
    assert table.loc["P1T", "ct_artifact_rate"] > 10 * max(
        table.loc["P2T", "ct_artifact_rate"], 1e-4
    )
    assert table.loc["P1T", "ct_orientation_bias"] > 0.9
    assert table["sex_check"].isna().all()  # NA: the synthetic genome has no X/Y


def test_swapped_pair_is_stopped_and_shown(
    workflow_run: Path, tiny_cohort: Path, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    for sub in ("bam", "reference"):  # reuse the aligned BAMs: only the sheet changes
        shutil.copytree(workflow_run / sub, results / sub, copy_function=os.link)
    sheet = pd.read_csv(tiny_cohort / "samples.tsv", sep="\t", dtype=str, keep_default_na=False)
    sheet.loc[sheet["sample"] == "P1T", "patient"] = "P2"  # P1's tumor with P2's normal
    sheet.loc[sheet["sample"] == "P2T", "patient"] = "P1"
    sheet.to_csv(tmp_path / "samples.tsv", sep="\t", index=False)
    config = write_config(
        tmp_path / "config.yaml", tiny_cohort, results, samples=str(tmp_path / "samples.tsv")
    )
    targets = [str(results / f"qc/identity/{t}.json") for t in ("P1T", "P2T")]
    proc = snakemake(
        config, tmp_path, "--keep-going", str(results / "qc/tissue_qc.tsv"), *targets, check=False
    )
    assert proc.returncode != 0
    assert "tumor P1T and normal P2N do not come from one individual" in proc.stderr
    assert "opposite homozygotes" in proc.stderr
    assert "identity_warn_only" in proc.stderr
    assert not (results / "qc/identity/P1T.json").exists()
    table = pd.read_csv(results / "qc/tissue_qc.tsv", sep="\t").set_index("sample")
    assert list(table.loc[["P1T", "P2T"], "identity_verdict"]) == ["fail", "fail"]
    assert "duplicate_patient:P1N" in table.loc["P1T", "genotype_flags"]
    assert table.loc["P1T", "tissue_verdict"] == "fail"


def test_identity_and_contamination_on_the_real_pair(tmp_path: Path) -> None:
    """DREAM tiny: two capture targets of ~5 kb; whatever the sites allow, stated with them."""
    results = tmp_path / "results"
    config = real_config(tmp_path / "config.yaml", results)
    targets = [results / "qc/identity/9876T.metrics.json", results / "qc/contamination/DREAM.tsv"]
    snakemake(config, tmp_path, *map(str, targets))
    ident = json.loads(targets[0].read_text())
    assert ident["verdict"] in ("pass", "NA")
    n = ident["informative_sites"]
    if ident["verdict"] == "NA":
        assert ident["reason"].startswith(f"only {n} sites homozygous in both samples")
    else:
        assert n >= 20 and ident["opposite_homozygotes"] == 0
    cont = pd.read_csv(targets[1], sep="\t").set_index("sample").fillna({"reason": ""})
    tumor = cont.loc["9876T"]
    assert np.isnan(tumor["contamination"]) == tumor["reason"].startswith("not computed")
