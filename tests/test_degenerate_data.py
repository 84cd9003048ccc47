"""Small and degenerate real data end in a report, with reasons, never in a traceback.

GRCh37: the DREAM real reads (two capture targets, ~10 kb) in amplicon mode, with settings that
leave nothing to measure: no copy-number bin after ``cnvkit fix`` and no somatic call.
GRCh38: a tumor/normal pair simulated on 40 kb of real GRCh38 sequence, aligned to the 1 Mb
piece it comes from, in WGS mode (with a GFF3 naming a contig the FASTA lacks) and in hybrid
capture mode (with a target that ends exactly at the contig end and no heterozygous SNP).
The hybrid GRCh37 run is ``test_real_data.py``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pysam
import pytest
import yaml

from conftest import REPO, snakemake
from scce_genomics.simulate.cohort import CohortSpec, simulate_cohort
from test_real_data import real_config

pytestmark = pytest.mark.workflow

HG38 = REPO / "resources/real/hg38_chr21_22-23Mb"
HG38_FASTA = HG38 / "hg38_chr21_22000000_23000000.fasta"
#: 40 kb of the piece (1-based, piece coordinates), the only place the reads come from.
REGION = (400_001, 440_000)


def assert_report_says_why(results: Path) -> None:
    """The report is there, and every stage left its outputs (NA with a reason, not a crash)."""
    assert (results / "report/report.html").stat().st_size > 10_000
    for name in ("cnv/summary.tsv", "somatic/tmb.tsv", "compare/summary.tsv"):
        assert (results / name).stat().st_size > 0, name
    # the references' model fitted early was the one used (same digest in both processes)
    assert "refitted" not in (results / "logs/compare/compare.log").read_text()


@pytest.fixture(scope="module")
def grch37_nothing_to_measure(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DREAM reads, amplicon mode; no read passes the CNV MAPQ floor and no call its TLOD."""
    work = tmp_path_factory.mktemp("grch37_nothing")
    config = yaml.safe_load(real_config(work / "base.yaml", work / "results").read_text())
    config["cnv"] = {"method": "amplicon", "min_mapq": 61}  # MAPQ tops out at 60
    config["somatic"] = {"thresholds": {"min_tlod": 1000.0}}
    (work / "c.yaml").write_text(yaml.safe_dump(config))
    snakemake(work / "c.yaml", work, "all")
    return work / "results"


def test_no_bins_and_no_calls_still_give_a_report(grch37_nothing_to_measure: Path) -> None:
    results = grch37_nothing_to_measure
    assert_report_says_why(results)
    assert len(pd.read_csv(results / "cnv/9876T.cnr", sep="\t")) == 0
    log = (results / "logs/cnv/tumor/9876T.log").read_text()
    assert "no bins left after cnvkit fix" in log
    assert "scatter and diagram not drawn" in log
    assert (results / "cnv/plots/9876T.scatter.png").stat().st_size > 1000
    summary = pd.read_csv(results / "cnv/summary.tsv", sep="\t").set_index("sample")
    assert pd.isna(summary.loc["9876T", "fraction_genome_altered"])
    assert "0%" in summary.loc["9876T", "reason"]
    tmb = pd.read_csv(results / "somatic/tmb.tsv", sep="\t").set_index("sample")
    assert tmb.loc["9876T", "n_snv"] == 0
    fit = pd.read_csv(results / "signatures/SBS_fit_summary.tsv", sep="\t")
    assert set(fit["flag"]) == {"no_mutations"}


@pytest.fixture(scope="module")
def grch38_pair(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Reads of a tumor/normal pair from 40 kb of real GRCh38 sequence."""
    out = tmp_path_factory.mktemp("grch38_pair")
    spec = CohortSpec(
        patients=1,
        tumor_only=0,
        profiles=("escc",),
        tumor_depth=30,
        normal_depth=30,
        units_per_sample=1,
        snvs=20,
        seed=3,
        fasta=str(HG38_FASTA),
        region=f"chr21:{REGION[0]}-{REGION[1]}",
    )
    simulate_cohort(out, spec)
    return out


def grch38_config(work: Path, pair: Path, **extra: object) -> Path:
    """The pair against the whole 1 Mb GRCh38 piece, arms from the bundled GRCh38 table."""
    config = {
        "samples": str(pair / "samples.tsv"),
        "units": str(pair / "units.tsv"),
        "outdir": str(work / "results"),
        "reference": {"fasta": str(HG38_FASTA), "build": "GRCh38", "gff3": "", "arms": ""},
        **extra,
    }
    gff3 = work / "genes.gff3"
    start = REGION[0] + 5_000
    gff3.write_text(
        "##gff-version 3\n##sequence-region chr21 1 1000001\n"
        f"chr21\ttest\tgene\t{start}\t{start + 900}\t.\t+\t.\tID=gene:G1;Name=TP53\n"
        "chr22\ttest\tgene\t100\t900\t.\t+\t.\tID=gene:G2;Name=CHEK2\n"
    )
    config["reference"]["gff3"] = str(gff3)
    path = work / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_grch38_wgs_small_pair_gives_a_report(grch38_pair: Path, tmp_path: Path) -> None:
    config = grch38_config(tmp_path, grch38_pair)
    snakemake(config, tmp_path, "all")
    results = tmp_path / "results"
    assert_report_says_why(results)
    assert (results / "reference/build.txt").read_text().strip() == "GRCh38"
    warning = (results / "logs/reference/prepare.log").read_text()
    assert "1 of 2 features lie on 1 contig(s) absent from the reference FASTA (chr22)" in warning
    assert len(pd.read_csv(results / "cnv/P1T.cnr", sep="\t")) > 0


def test_grch38_capture_with_a_target_at_the_contig_end(grch38_pair: Path, tmp_path: Path) -> None:
    length = int((HG38 / f"{HG38_FASTA.name}.fai").read_text().split("\t")[1])
    targets = tmp_path / "targets.bed"
    targets.write_text(
        f"chr21\t{REGION[0] + 4_000}\t{REGION[0] + 24_000}\n"
        f"chr21\t{length - 1_000}\t{length}\n"  # ends at the last base; no read there
    )
    config = grch38_config(
        tmp_path,
        grch38_pair,
        targets=str(targets),
        cnv={"method": "hybrid"},
        # no read passes: no heterozygous SNP for the CNV stage (and no somatic candidate)
        somatic={"mpileup_extra": "-q 61"},
    )
    snakemake(config, tmp_path, "all")
    results = tmp_path / "results"
    assert_report_says_why(results)
    with pysam.VariantFile(str(results / "cnv/baf/P1T.hets.vcf.gz")) as vcf:
        assert sum(1 for _ in vcf) == 0
    calls = pd.read_csv(results / "cnv/P1T.call.cns", sep="\t")
    assert len(calls) > 0
