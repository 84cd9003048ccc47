"""The whole workflow on real reads: DREAM tiny tumor/normal lanes on a small b37 reference.

Real base qualities, error profiles, multi-lane samples and b37 contig names (``1``, not
``chr1``) catch what random synthetic genomes hide. The run targets ``all``, so every stage the
workflow has is exercised on real data.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import pysam
import pytest
import yaml

from conftest import REPO, snakemake

pytestmark = pytest.mark.workflow

REAL = REPO / "config/real"
LANES = {"9876T": 6, "1234N": 5}


def real_config(path: Path, outdir: Path, **reference: str) -> Path:
    """config/real/config.yaml with its repository-relative paths made absolute.

    The targets BED is given the UCSC header lines that capture kits' BEDs begin with (Agilent's
    among them): every stage must read past them.
    """
    config = yaml.safe_load((REAL / "config.yaml").read_text())
    for key in ("samples", "units", "targets"):
        config[key] = str(REPO / config[key])
    kit_bed = path.with_name("kit_targets.bed")
    header = "browser position 1:130000-140000\ntrack name=targets description=kit\n"
    kit_bed.write_text(header + Path(config["targets"]).read_text())
    config["targets"] = str(kit_bed)
    for key in ("fasta", "gff3"):
        config["reference"][key] = str(REPO / config["reference"][key])
    config["reference"].update(reference)
    config["outdir"] = str(outdir)
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("real_run")
    results = workdir / "results"
    snakemake(real_config(workdir / "config.yaml", results), workdir, "all")
    return results


def test_lanes_merge_into_one_bam_per_sample_with_b37_names(real_run: Path) -> None:
    for sample, lanes in LANES.items():
        with pysam.AlignmentFile(str(real_run / f"bam/{sample}.bam")) as bam:
            header = bam.header.to_dict()
            mapped = {s.contig: s.mapped for s in bam.get_index_statistics()}
        assert len({rg["ID"] for rg in header["RG"]}) == lanes
        assert {rg["SM"] for rg in header["RG"]} == {sample}
        assert [sq["SN"] for sq in header["SQ"]][:3] == ["1", "2", "3"]
        # the reads come from two capture targets on 1:130-140 kb
        assert mapped["1"] > 0.98 * sum(mapped.values())
    assert (real_run / "reference/build.txt").read_text().strip() == "GRCh37"
    arms = pd.read_csv(real_run / "reference/arms.tsv", sep="\t", dtype={"chrom": str})
    assert {"1", "2", "3", "X"} <= set(arms["chrom"])


def test_qc_on_real_reads(real_run: Path) -> None:
    table = pd.read_csv(real_run / "qc/qc_table.tsv", sep="\t").set_index("sample")
    assert set(table.index) == set(LANES)
    assert table.loc["9876T", "type"] == "tumor" and table.loc["1234N", "type"] == "normal"
    assert (table["mapped_fraction"] > 0.95).all()  # upstream reports 98-99 %
    assert (table["error_rate"].between(0.001, 0.05)).all()  # real reads, unlike simulated ones
    assert table["insert_size_mean"].between(200, 500).all()
    assert (table["mean_coverage"] > 20).all()  # ~50x on the two targets
    assert set(table["verdict"]) <= {"pass", "warn", "fail"}
    # every verdict other than pass names the metric that caused it
    assert ((table["verdict"] == "pass") == table["reasons"].fillna("").eq("")).all()


def test_later_stages_keep_b37_names(real_run: Path) -> None:
    """Whatever later stage the workflow has must write b37 contig names and both samples."""
    vcf = real_run / "somatic/9876T.vcf.gz"
    if vcf.exists():
        with pysam.VariantFile(str(vcf)) as handle:
            assert list(handle.header.samples)[-1] == "9876T" or "9876T" in handle.header.samples
            assert all(not c.startswith("chr") for c in handle.header.contigs)
            assert all(not r.chrom.startswith("chr") for r in handle)
    summary = real_run / "cnv/summary.tsv"
    if summary.exists():
        assert "9876T" in set(pd.read_csv(summary, sep="\t")["sample"])
    assert "9876T" in (real_run / "report/report.html").read_text(errors="replace")


def test_b37_reads_with_the_hg38_reference_stop_at_start_up(tmp_path: Path) -> None:
    hg38 = REPO / "resources/real/hg38_chr21_22-23Mb/hg38_chr21_22000000_23000000.fasta"
    for build in ("GRCh37", "GRCh38"):
        config = real_config(
            tmp_path / f"{build}.yaml", tmp_path / "out", fasta=str(hg38), build=build
        )
        proc = snakemake(config, tmp_path, "-n", check=False)
        output = proc.stdout + proc.stderr
        assert proc.returncode != 0
        assert "GRCh37" in output and "GRCh38" in output, output[-2000:]
        assert "Traceback" not in output


# --- BAM and CRAM input, on BAMs made from the same real reads ------------------------------


def bam_config(path: Path, outdir: Path, units: Path, realign: bool) -> Path:
    config = yaml.safe_load(real_config(path, outdir).read_text())
    config["units"] = str(units)
    config["alignment"] = {"realign_bam": realign}
    path.write_text(yaml.safe_dump(config))
    return path


def calls(vcf: Path) -> list[tuple[object, ...]]:
    """Every record of a somatic VCF (PASS or not) with its filters and tumor read counts."""
    with pysam.VariantFile(str(vcf)) as handle:
        return [
            (r.chrom, r.pos, r.ref, r.alts, tuple(r.filter), r.samples["9876T"]["AD"])
            for r in handle
        ]


def primary_reads(bam: Path) -> int:
    with pysam.AlignmentFile(str(bam), check_sq=False) as handle:
        return sum(
            1 for r in handle.fetch(until_eof=True) if not (r.is_secondary or r.is_supplementary)
        )


def test_unaligned_bams_per_lane_give_the_calls_of_the_fastqs(
    real_run: Path, tmp_path: Path
) -> None:
    """The same reads as one unaligned BAM per lane, realigned: the same calls, record by record."""
    sheet = pd.read_csv(REPO / "config/real/units.tsv", sep="\t")
    rows = []
    for row in sheet.itertuples():
        ubam = tmp_path / f"{row.sample}.{row.unit}.unaligned.bam"
        fastqs = [str((REPO / "config/real" / fq).resolve()) for fq in (row.fq1, row.fq2)]
        subprocess.run(
            ["samtools", "import", "-1", fastqs[0], "-2", fastqs[1], "-o", str(ubam)], check=True
        )
        rows.append(f"{row.sample}\t{row.unit}\t{ubam}\tGRCh37\n")
    units = tmp_path / "units.tsv"
    units.write_text("sample\tunit\tbam\tbuild\n" + "".join(rows))
    results = tmp_path / "results"
    config = bam_config(tmp_path / "c.yaml", results, units, realign=True)
    snakemake(config, tmp_path, str(results / "somatic/9876T.vcf.gz"))
    expected = calls(real_run / "somatic/9876T.vcf.gz")
    assert expected, "the FASTQ run has candidate records to compare"
    assert calls(results / "somatic/9876T.vcf.gz") == expected


def test_bams_used_as_given_give_the_calls_of_the_fastqs(real_run: Path, tmp_path: Path) -> None:
    """The FASTQ run's own BAMs as input (realign_bam: false): same calls; read groups renamed."""
    units = tmp_path / "units.tsv"
    units.write_text(
        "sample\tunit\tbam\n" + "".join(f"{s}\tB1\t{real_run / f'bam/{s}.bam'}\n" for s in LANES)
    )
    results = tmp_path / "results"
    config = bam_config(tmp_path / "c.yaml", results, units, realign=False)
    snakemake(config, tmp_path, str(results / "somatic/9876T.vcf.gz"))
    assert calls(results / "somatic/9876T.vcf.gz") == calls(real_run / "somatic/9876T.vcf.gz")
    with pysam.AlignmentFile(str(results / "bam/9876T.bam")) as bam:
        groups = bam.header.to_dict()["RG"]
    assert [(g["ID"], g["SM"]) for g in groups] == [("9876T.B1", "9876T")]
    assert primary_reads(results / "bam/9876T.bam") == primary_reads(real_run / "bam/9876T.bam")


@pytest.mark.parametrize("realign", [True, False])
@pytest.mark.parametrize("kind", ["bam", "cram"])
def test_region_extracted_alignments_lose_no_read(
    real_run: Path, tmp_path: Path, realign: bool, kind: str
) -> None:
    """A region cut out of a BAM is mostly orphan mates: every read must reach the sample BAM."""
    region = tmp_path / f"region.{kind}"
    fasta = real_run / "reference/genome.fa"
    fmt = ["-C", "-T", str(fasta)] if kind == "cram" else ["-b"]
    pysam.samtools.view(
        *fmt,
        "-o",
        str(region),
        str(real_run / "bam/9876T.bam"),
        "1:133500-134200",
        catch_stdout=False,
    )
    with pysam.AlignmentFile(str(region), reference_filename=str(fasta)) as bam:
        reads = [r for r in bam if not (r.is_secondary or r.is_supplementary)]
    names = [r.query_name for r in reads]
    orphans = sum(1 for n in names if names.count(n) == 1)
    assert orphans > 50 and orphans < len(reads)  # pairs and orphans both present
    units = tmp_path / "units.tsv"
    units.write_text(f"sample\tunit\tbam\n9876T\tR1\t{region}\n1234N\tL1\t{region}\n")
    results = tmp_path / "results"
    config = bam_config(tmp_path / "c.yaml", results, units, realign=realign)
    snakemake(config, tmp_path, str(results / "bam/9876T.bam"))
    assert primary_reads(results / "bam/9876T.bam") == len(reads)
