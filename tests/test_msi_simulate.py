"""The simulator's MSI truth: planted length changes, stutter and germline repeat alleles."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

from scce_genomics.biomarkers.microsatellites import scan_fasta
from scce_genomics.simulate.cohort import CohortSpec, simulate_cohort
from scce_genomics.simulate.genome import Chromosome, SyntheticGenome
from scce_genomics.simulate.msi import add_stutter, genome_sites, microsatellite_fasta
from scce_genomics.simulate.reads import Source, haplotype


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("msi_sim")
    fasta = microsatellite_fasta(work / "dense.fa", 80_000, seed=3)
    spec = CohortSpec(
        patients=2,
        profiles=("msi", "flat"),
        tumor_only=0,
        fasta=str(fasta),
        tumor_depth=4,
        normal_depth=3,
        units_per_sample=1,
        snvs=60,
        seed=8,
        msi_fraction=0.3,
        stutter=True,
    )
    simulate_cohort(work / "sim", spec)
    return work / "sim"


def test_dense_genome_holds_a_microsatellite_every_few_hundred_bp(cohort: Path) -> None:
    sites = scan_fasta(cohort / "reference/genome.fa")
    assert 80_000 / 400 < len(sites) < 80_000 / 150
    assert 0.45 < (sites["unit_length"] == 1).mean() < 0.75


def test_msi_tumor_has_its_planted_fraction_and_mss_none(cohort: Path) -> None:
    info = {
        s["sample"]: s for s in json.loads((cohort / "truth/cohort.json").read_text())["samples"]
    }
    assert info["P1T"]["msi"]["status"] == "MSI-H" and info["P2T"]["msi"]["status"] == "MSS"
    hi = pd.read_csv(cohort / "truth/P1T.msi.tsv", sep="\t")
    mss = pd.read_csv(cohort / "truth/P2T.msi.tsv", sep="\t")
    n = len(hi)
    assert abs((hi["shift"] != 0).mean() - 0.3) < 3 * np.sqrt(0.3 * 0.7 / n) + 0.03
    assert (mss["shift"] == 0).all()
    homo = hi[(hi["unit"].str.len() == 1) & (hi["shift"] != 0)]
    assert (homo["shift"] < 0).mean() > 0.7  # mostly one or two units lost
    assert (homo["shift"] != 0).sum() > 2 * (hi[hi["unit"].str.len() > 1]["shift"] != 0).mean()
    cn = pd.read_csv(cohort / "truth/P1T.cn.tsv", sep="\t")
    assert (cn["total_cn"] == 2).all()  # MSI-high tumors are planted copy-neutral


def test_msi_events_are_left_aligned_indels_of_whole_units(cohort: Path) -> None:
    truth = pd.read_csv(cohort / "truth/P1T.msi.tsv", sep="\t").set_index("start")
    with (
        pysam.FastaFile(str(cohort / "reference/genome.fa")) as fa,
        pysam.VariantFile(str(cohort / "truth/P1T.somatic.vcf.gz")) as vcf,
    ):
        seq = fa.fetch("msi1")
        events = [r for r in vcf if r.info["SOURCE"] == "MSI"]
    assert len(events) == (truth["shift"] != 0).sum()
    for rec in events:
        site = truth.loc[rec.pos]  # VCF POS (1-based anchor) = the repeat's 0-based start
        assert seq[rec.pos - 1 : rec.pos - 1 + len(rec.ref)] == rec.ref
        change = len(rec.alts[0]) - len(rec.ref)
        assert change == site["shift"] * len(site["unit"])


def test_germline_repeat_alleles_come_from_one_population(cohort: Path) -> None:
    def repeat_alleles(path: Path) -> set[int]:
        with pysam.VariantFile(str(path)) as vcf:
            return {r.pos for r in vcf if r.info["TYPE"] in ("INS", "DEL")}

    a = repeat_alleles(cohort / "truth/P1.germline.vcf.gz")
    b = repeat_alleles(cohort / "truth/P2.germline.vcf.gz")
    sites = set(pd.read_csv(cohort / "truth/P1T.msi.tsv", sep="\t")["start"])
    assert a and b and a <= sites and b <= sites
    assert len(a & b) >= 1  # common polymorphic sites shared between people


def test_stutter_keeps_depth_and_shortens_one_unit_at_its_sites() -> None:
    rng = np.random.default_rng(0)
    seq = rng.choice(4, 3000).astype(np.uint8)
    seq[1000:1015] = 0  # A x 15
    seq[999], seq[1015] = 2, 1
    seq[2000:2012] = np.tile(np.array([1, 3], np.uint8), 6)  # (CT) x 6
    seq[1999], seq[2012] = 0, 0
    genome = SyntheticGenome([Chromosome("c", seq, (0, 0))])
    sites = genome_sites(genome)
    assert len(sites) == 2
    parent = Source({"c": haplotype(seq, [])}, {"c": np.ones(3000, dtype=np.float32)})
    sources = add_stutter([parent], genome, sites)
    assert sum(float(s.weight["c"][0]) for s in sources) == pytest.approx(1.0)
    lengths = {s.haps["c"].seq.size for s in sources[1:]}
    assert lengths <= {3000 - 1, 3000 + 1, 3000 - 2, 3000 + 2}
    # the homopolymer stutters more than the short dinucleotide repeat
    short = [s for s in sources[1:] if s.haps["c"].seq.size < 3000]
    homo = sum(
        float(s.weight["c"][0])
        for s in short
        if s.haps["c"].seq[1000:1014].tolist() == [0] * 14 and s.haps["c"].seq[1014] == 1
    )
    dinuc = sum(float(s.weight["c"][0]) for s in short) - homo
    assert homo > dinuc > 0


def test_default_profiles_plant_no_msi(tmp_path: Path) -> None:
    spec = CohortSpec(
        patients=1,
        profiles=("flat",),
        tumor_only=1,
        scale=1 / 2000,
        tumor_depth=1,
        normal_depth=1,
        units_per_sample=1,
        snvs=20,
        seed=2,
    )
    summary = simulate_cohort(tmp_path, spec)
    assert "msi" not in summary["samples"][0]
    assert not (tmp_path / "truth/P1T.msi.tsv").exists()


def test_cli_plants_msi_and_refuses_a_bad_fraction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scce_genomics.cli import main

    fasta = microsatellite_fasta(tmp_path / "dense.fa", 30_000, seed=1)
    argv = [
        "simulate",
        "--outdir",
        str(tmp_path / "sim"),
        "--fasta",
        str(fasta),
        "--patients",
        "1",
        "--profiles",
        "msi",
        "--tumor-only",
        "1",
        "--tumor-depth",
        "1",
        "--units",
        "1",
        "--snvs",
        "10",
        "--stutter",
    ]
    assert main([*argv, "--msi-fraction", "1.5"]) == 2
    assert "--msi-fraction must be a share of sites" in capsys.readouterr().err
    assert main([*argv, "--msi-fraction", "0.5"]) == 0
    truth = pd.read_csv(tmp_path / "sim/truth/P1T.msi.tsv", sep="\t")
    assert 0.3 < (truth["shift"] != 0).mean() < 0.7
