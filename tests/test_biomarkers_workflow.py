"""The biomarkers stage end to end: an MSI-high and an MSS tumor with their normals, and a
tumor-only MSI-high tumor whose baseline (two normals) is too small for a score."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import snakemake, write_config
from scce_genomics.simulate.cohort import CohortSpec, simulate_cohort
from scce_genomics.simulate.msi import microsatellite_fasta

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("biomarkers")
    fasta = microsatellite_fasta(work / "dense.fa", 120_000, seed=5)
    cohort = work / "cohort"
    spec = CohortSpec(
        patients=3,
        profiles=("msi", "flat", "msi"),
        tumor_only=1,
        fasta=str(fasta),
        purity_range=(0.7, 0.7),
        msi_fraction=0.3,
        stutter=True,
        tumor_depth=40,
        normal_depth=25,
        units_per_sample=1,
        snvs=80,
        seed=4,
    )
    simulate_cohort(cohort, spec)
    results = work / "results"
    config = write_config(work / "config.yaml", cohort, results, somatic={"scatter": 1})
    snakemake(config, work, str(results / "biomarkers/panel.tsv"))
    return cohort, results


def test_msi_status_of_each_tumor(run: tuple[Path, Path]) -> None:
    cohort, results = run
    panel = pd.read_csv(results / "biomarkers/panel.tsv", sep="\t").set_index("sample")
    assert list(panel.index) == ["P1T", "P2T", "P3T"]
    assert panel.loc["P1T", "msi_status"] == "MSI-H"
    assert panel.loc["P2T", "msi_status"] == "MSS"
    planted = (pd.read_csv(cohort / "truth/P1T.msi.tsv", sep="\t")["shift"] != 0).mean()
    assert abs(panel.loc["P1T", "msi_score"] - 100 * planted) < 8
    assert panel.loc["P1T", "msi_from"].startswith("tumor-normal vs matched normal P1N")
    # tumor-only against a baseline of two normals: not computed, with the reason
    assert panel.loc["P3T", "msi_status"].startswith("not computed: the baseline holds 2 normals")
    assert pd.isna(panel.loc["P3T", "msi_score"])


def test_tmb_with_ci_and_hrd_from_the_copy_number_stage(run: tuple[Path, Path]) -> None:
    _, results = run
    panel = pd.read_csv(results / "biomarkers/panel.tsv", sep="\t").set_index("sample")
    tmb = pd.read_csv(results / "somatic/tmb.tsv", sep="\t").set_index("sample")
    for tumor in panel.index:
        row = panel.loc[tumor]
        assert row["tmb_ci_low"] <= row["tmb_per_mb"] <= row["tmb_ci_high"]
        assert row["tmb_per_mb"] == tmb.loc[tumor, "tmb_per_mb"]
        # a 120-kb genome is far below the 1 Mb minimum: a number with its CI, no class
        assert row["tmb_status"].startswith("not classified: callable territory")
        assert "below the 1 Mb minimum" in tmb.loc[tumor, "warning"]
        # the copy-number stage's HRD table is read: a score, or its reason for none
        assert row["hrd_from"].startswith("cnv/hrd.tsv")
        if row["hrd_status"] == "computed":
            assert row["hrd_score"] >= 0
        else:
            assert row["hrd_status"].startswith("not computed: ") and pd.isna(row["hrd_score"])
    assert panel["reference_from"].str.startswith("ESCC").all()
    sites = pd.read_csv(results / "biomarkers/msi/P1T.sites.tsv.gz", sep="\t")
    assert {"p_value", "q_value", "unstable"} <= set(sites.columns)
    assert (results / "reference/microsatellites.tsv.gz").is_file()
