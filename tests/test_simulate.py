from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pandas as pd
import pysam
import pytest

from scce_genomics.cli import main
from scce_genomics.simulate.cohort import CohortSpec, simulate_cohort

SMALL = CohortSpec(
    patients=2,
    profiles=("escc", "sclc"),
    tumor_only=1,
    scale=1 / 2000,
    tumor_depth=6,
    normal_depth=4,
    units_per_sample=1,
    snvs=80,
    seed=3,
)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim")
    simulate_cohort(out, SMALL)
    return out


def digest(path: Path) -> str:
    return hashlib.sha256(gzip.open(path).read()).hexdigest()


def test_same_seed_same_reads(cohort: Path, tmp_path: Path) -> None:
    simulate_cohort(tmp_path, SMALL)
    for name in ("P1T_L1_R1.fastq.gz", "P1N_L1_R2.fastq.gz"):
        assert digest(cohort / "reads" / name) == digest(tmp_path / "reads" / name)
    assert (cohort / "reference/genome.fa").read_text() == (
        tmp_path / "reference/genome.fa"
    ).read_text()


def test_sheets_pair_and_tumor_only(cohort: Path) -> None:
    samples = pd.read_csv(cohort / "samples.tsv", sep="\t")
    assert list(samples["sample"]) == ["P1N", "P1T", "P2T"]
    units = pd.read_csv(cohort / "units.tsv", sep="\t")
    assert all((cohort / p).is_file() for p in units["fq1"])


def test_truth_alleles_match_reference(cohort: Path) -> None:
    fasta = pysam.FastaFile(str(cohort / "reference/genome.fa"))
    kinds = set()
    with pysam.VariantFile(str(cohort / "truth/P1T.somatic.vcf.gz")) as vcf:
        records = list(vcf)
    assert len(records) >= 60
    for rec in records:
        assert fasta.fetch(rec.chrom, rec.start, rec.stop) == rec.ref
        assert 0 < rec.info["VAF"] <= 1
        kinds.add(rec.info["TYPE"])
    assert {"SNV", "INS", "DEL"} <= kinds


def test_escc_profile_is_apobec_rich_and_sclc_tobacco_rich(cohort: Path) -> None:
    def sources(sample: str) -> pd.Series:
        with pysam.VariantFile(str(cohort / f"truth/{sample}.somatic.vcf.gz")) as vcf:
            return pd.Series([r.info["SOURCE"] for r in vcf]).value_counts()

    escc, sclc = sources("P1T"), sources("P2T")
    assert escc.get("SBS2", 0) + escc.get("SBS13", 0) > escc.get("SBS4", 0)
    assert sclc.get("SBS4", 0) > sclc.get("SBS2", 0)
    assert "RB1" in sclc.index and "TP53" in escc.index


def test_copy_number_truth_has_planted_events(cohort: Path) -> None:
    arms = pd.read_csv(cohort / "reference/arms.tsv", sep="\t")
    cn = pd.read_csv(cohort / "truth/P2T.cn.tsv", sep="\t")
    arm13q = arms[arms["arm"] == "13q"].iloc[0]
    on_13q = cn[(cn["chrom"] == "chr13") & (cn["start"] >= arm13q["start"])]
    assert (on_13q["minor_cn"] == 0).all()  # 13q loss (LOH) in the SCLC-like tumor
    assert (cn["total_cn"] == 0).any()  # RB1 homozygous deletion
    info = json.loads((cohort / "truth/P2T.json").read_text())
    assert info["matched_normal"] is None and 0.5 <= info["purity"] <= 0.85


def read_count(path: Path) -> int:
    return sum(1 for _ in gzip.open(path)) // 4


def test_depth_scales_read_count(cohort: Path) -> None:
    tumor = read_count(cohort / "reads/P1T_L1_R1.fastq.gz")
    normal = read_count(cohort / "reads/P1N_L1_R1.fastq.gz")
    assert tumor / normal == pytest.approx(6 / 4, rel=0.15)


def base_fractions(path: Path) -> dict[str, float]:
    with gzip.open(path, "rt") as handle:
        seqs = "".join(handle.read().split("\n")[1::4])
    return {b: seqs.count(b) / len(seqs) for b in "ACGT"}


def test_ffpe_damage_is_c_to_t_on_the_original_strand(tmp_path: Path) -> None:
    """Read 1 sequences the damaged original strand (C>T); read 2 its copy (G>A)."""
    fractions = {}
    for rate in (0.0, 0.05):
        spec = CohortSpec(
            patients=1,
            profiles=("flat",),
            tumor_only=1,
            scale=1 / 2000,
            tumor_depth=6,
            units_per_sample=1,
            snvs=10,
            ffpe_rate=rate,
            seed=5,
        )
        out = tmp_path / str(rate)
        simulate_cohort(out, spec)
        fractions[rate] = (
            base_fractions(out / "reads/P1T_L1_R1.fastq.gz"),
            base_fractions(out / "reads/P1T_L1_R2.fastq.gz"),
        )
    (r1_clean, r2_clean), (r1_ffpe, r2_ffpe) = fractions[0.0], fractions[0.05]
    assert r1_ffpe["C"] < r1_clean["C"] - 0.005 and r1_ffpe["T"] > r1_clean["T"] + 0.005
    assert r2_ffpe["G"] < r2_clean["G"] - 0.005 and r2_ffpe["A"] > r2_clean["A"] + 0.005
    assert abs(r1_ffpe["A"] - r1_clean["A"]) < 0.003  # no A>T-type change on read 1


def test_cli_rejects_unknown_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["simulate", "--outdir", str(tmp_path), "--profiles", "escc,gbm"])
    assert code == 2
    assert "unknown profile(s) ['gbm']" in capsys.readouterr().err
