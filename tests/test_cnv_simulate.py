"""Simulated sex chromosomes and HRD scars: what the copy-number tests and benchmark rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pysam
import pytest

from scce_genomics.errors import InputError
from scce_genomics.simulate.cohort import CohortSpec, simulate_cohort

SPEC = CohortSpec(
    patients=2, profiles=("hrd",), tumor_only=0, scale=1 / 1000, tumor_depth=3,
    normal_depth=2, units_per_sample=1, snvs=40, seed=5, sex_chromosomes=True,
    sexes=("male", "female"),
)  # fmt: skip


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sexsim")
    simulate_cohort(out, SPEC)
    return out


def test_sheet_reference_and_truth_carry_the_sex(cohort: Path) -> None:
    sheet = pd.read_csv(cohort / "samples.tsv", sep="\t").set_index("sample")
    assert sheet.loc["P1T", "sex"] == sheet.loc["P1N", "sex"] == "male"
    assert sheet.loc["P2T", "sex"] == "female"
    fasta = pysam.FastaFile(str(cohort / "reference/genome.fa"))
    assert {"chrX", "chrY"} <= set(fasta.references)
    arms = pd.read_csv(cohort / "reference/arms.tsv", sep="\t")
    assert {"Xp", "Xq", "Yp", "Yq"} <= set(arms["arm"])
    male = pd.read_csv(cohort / "truth/P1T.cn.tsv", sep="\t")
    female = pd.read_csv(cohort / "truth/P2T.cn.tsv", sep="\t")
    # the hrd profile loses Xp and gains Xq: one X copy -> 0 / 2 in the male, 2 -> 1 / 3 female
    x_m = male[male["chrom"] == "chrX"].set_index("start")["total_cn"]
    x_f = female[female["chrom"] == "chrX"].set_index("start")["total_cn"]
    assert x_m.iloc[0] == 0 and x_m.iloc[-1] == 2
    assert x_f.iloc[0] == 1 and x_f.iloc[-1] == 3
    assert set(male.loc[male["chrom"] == "chrY", "total_cn"]) == {1}
    assert set(female.loc[female["chrom"] == "chrY", "total_cn"]) == {0}
    truth = json.loads((cohort / "truth/P1T.json").read_text())
    assert truth["sex"] == "male"
    assert [e["kind"] for e in truth["hrd_events"]].count("loh") == 3


def test_sex_chromosome_profiles_need_the_option(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--sex-chromosomes"):
        simulate_cohort(tmp_path, CohortSpec(profiles=("hrd",), patients=1, tumor_only=0))
    with pytest.raises(InputError, match="unknown sex"):
        simulate_cohort(tmp_path, CohortSpec(sexes=("m",), patients=1))


def test_default_genome_has_no_sex_chromosomes(tmp_path: Path) -> None:
    import numpy as np

    from scce_genomics.simulate.genome import make_genome

    genome = make_genome(np.random.default_rng(1), 1 / 2000)
    assert not {"chrX", "chrY"} & {c.name for c in genome.chromosomes}
