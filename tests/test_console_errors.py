"""Every failure explains itself on the console (snakemake's stderr), not only in a log file.

Start-up checks stop a run before any job with one line naming the file, line or key and the
fix; a job that fails has its rule, wildcards and the reason line of its log printed by the
Snakefile's ``onerror:`` handler, for a plain ``snakemake --cores N``.
"""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import pysam
import pytest

from conftest import snakemake
from test_hostile_inputs import pair_config, pair_copy

pytestmark = pytest.mark.workflow


def only_normal(data: Path, units: str) -> None:
    """Sheets of ``data`` reduced to the normal P1N with the given units rows."""
    (data / "samples.tsv").write_text("sample\tpatient\ttype\ttissue\nP1N\tP1\tnormal\tblood\n")
    (data / "units.tsv").write_text(units)


def ubam(pair: Path, path: Path) -> Path:
    """The normal's reads as an unaligned BAM."""
    reads = [str(pair / f"reads/P1N_L1_R{i}.fastq.gz") for i in (1, 2)]
    subprocess.run(["samtools", "import", "-1", *reads[:1], "-2", reads[1], "-o", str(path)])
    return path


# --- start-up -------------------------------------------------------------------------------


def start(config: Path, workdir: Path) -> subprocess.CompletedProcess:
    """A real (not dry) run asking for a cheap target: a dry run logs to stdout, not stderr."""
    return snakemake(config, workdir, str(workdir / "results/reference/build.txt"), check=False)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: (d / "samples.tsv").write_text(""), "samples.tsv: the sheet is empty"),
        (lambda d: (d / "units.tsv").write_text(""), "units.tsv: the sheet is empty"),
        (
            lambda d: (d / "gff").write_text("1\tx\tgene\t1\t9\t.\t+\t.\tID=a\n"),
            "gff:1: not a GFF3 file",
        ),
    ],
    ids=["empty-samples", "empty-units", "gff3-header"],
)
def test_bad_inputs_stop_at_start_up_with_one_line(
    small_pair: Path, tmp_path: Path, edit, expected: str
) -> None:
    data = pair_copy(small_pair, tmp_path / "data")
    edit(data)
    config = pair_config(tmp_path / "c.yaml", data, tmp_path / "results")
    if (data / "gff").exists():
        text = config.read_text().replace(str(data / "reference/genes.gff3"), str(data / "gff"))
        config.write_text(text)
    proc = start(config, tmp_path)
    assert proc.returncode != 0
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"out_dir": "x"}, "unknown key 'out_dir' in the top level"),
        ({"cnv": {"bin_sise": 500}}, "unknown key 'bin_sise' in cnv"),
        (
            {"somatic": {"thresholds": {"min_dept": 3}}},
            "unknown key 'min_dept' in somatic.thresholds",
        ),
        ({"cnv": {"bin_size": 10}}, "key cnv.bin_size: 10 is less than the minimum of 100"),
        ({"somatic": {"scatter": "many"}}, "key somatic.scatter"),
    ],
)
def test_config_keys_are_checked_at_every_level(
    small_pair: Path, tmp_path: Path, extra: dict, expected: str
) -> None:
    config = pair_config(tmp_path / "c.yaml", small_pair, tmp_path / "results", **extra)
    proc = start(config, tmp_path)
    assert proc.returncode != 0
    assert expected in proc.stderr
    assert len(proc.stderr.splitlines()) < 15  # the reason, not the schema


def test_malformed_targets_bed_named_with_its_line(small_pair: Path, tmp_path: Path) -> None:
    """The targets BED is read at start-up (it sizes the pileup chunks): a bad line is named."""
    contig = (small_pair / "reference/genome.fa").read_text().split()[0][1:]
    bed = tmp_path / "targets.bed"
    bed.write_text(f"{contig}\t100\t900\n{contig}\tten\t2000\n")
    config = pair_config(tmp_path / "c.yaml", small_pair, tmp_path / "results", targets=str(bed))
    proc = start(config, tmp_path)
    assert proc.returncode != 0
    assert f"{bed}:2: a BED line needs contig, start and end" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_targets_bed_without_intervals_stops_at_start_up(small_pair: Path, tmp_path: Path) -> None:
    bed = tmp_path / "targets.bed"
    bed.write_text("track name=kit\n# nothing else\n")
    config = pair_config(tmp_path / "c.yaml", small_pair, tmp_path / "results", targets=str(bed))
    proc = start(config, tmp_path)
    assert proc.returncode != 0
    assert f"invalid targets BED: {bed}: no interval in it" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("kind", ["bam", "cram"])
def test_alignments_of_another_reference_stop_at_start_up(
    small_pair: Path, tmp_path: Path, kind: str
) -> None:
    """Same contig names, other lengths: found before any job, not when its check runs."""
    data = pair_copy(small_pair, tmp_path / "data")
    fai = pysam.FastaFile(str(small_pair / "reference/genome.fa"))
    header = {
        "HD": {"VN": "1.6"},
        "SQ": [{"SN": c, "LN": n + 1} for c, n in zip(fai.references, fai.lengths, strict=True)],
    }
    other = tmp_path / f"other.{kind}"
    mode = "wc" if kind == "cram" else "wb"
    extra = (
        {"reference_filename": str(small_pair / "reference/genome.fa")} if kind == "cram" else {}
    )
    with pysam.AlignmentFile(str(other), mode, header=header, **extra):
        pass
    only_normal(data, f"sample\tunit\tbam\nP1N\tL1\t{other}\n")
    # a BAM is compared when used as given; a CRAM always (it is decoded with the FASTA)
    realign = kind == "cram"
    config = pair_config(
        tmp_path / "c.yaml", data, tmp_path / "results", alignment={"realign_bam": realign}
    )
    proc = start(config, tmp_path)
    assert proc.returncode != 0
    assert f"{data / 'units.tsv'}:2: column bam: sample 'P1N' unit 'L1'" in proc.stderr
    assert "differ in length" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- job time -------------------------------------------------------------------------------


def failing_check(small_pair: Path, tmp_path: Path, units: str) -> subprocess.CompletedProcess:
    data = pair_copy(small_pair, tmp_path / "data")
    only_normal(data, units)
    config = pair_config(tmp_path / "c.yaml", data, tmp_path / "results")
    target = str(tmp_path / "results/qc/units/P1N.L1.reads.json")
    proc = snakemake(config, tmp_path, target, check=False)
    assert proc.returncode != 0
    assert not Path(target).exists()
    return proc


def test_truncated_gzip_fastq_reason_on_console(small_pair: Path, tmp_path: Path) -> None:
    short = tmp_path / "R2.fastq.gz"
    short.write_bytes((small_pair / "reads/P1N_L1_R2.fastq.gz").read_bytes()[:20_000])
    proc = failing_check(
        small_pair,
        tmp_path,
        f"sample\tunit\tfq1\tfq2\nP1N\tL1\treads/P1N_L1_R1.fastq.gz\t{short}\n",
    )
    line = next(x for x in proc.stderr.splitlines() if x.strip().startswith("check_reads ("))
    assert "check_reads (sample=P1N, unit=L1): error:" in line
    assert str(short) in line and "truncated" in line
    assert "logs/check_reads/P1N.L1.log" in line


def test_mates_with_different_read_counts_reason_on_console(
    small_pair: Path, tmp_path: Path
) -> None:
    short = tmp_path / "R2.fastq.gz"
    with gzip.open(small_pair / "reads/P1N_L1_R2.fastq.gz", "rt") as src:
        lines = src.readlines()
    with gzip.open(short, "wt") as dst:
        dst.writelines(lines[:400])
    proc = failing_check(
        small_pair,
        tmp_path,
        f"sample\tunit\tfq1\tfq2\nP1N\tL1\treads/P1N_L1_R1.fastq.gz\t{short}\n",
    )
    assert "has fewer reads than its mate file (after 100 pairs)" in proc.stderr
    assert "check_reads (sample=P1N, unit=L1)" in proc.stderr


def test_truncated_bam_reason_on_console(small_pair: Path, tmp_path: Path) -> None:
    bam = ubam(small_pair, tmp_path / "n.bam")
    bam.write_bytes(bam.read_bytes()[:30_000])
    proc = failing_check(small_pair, tmp_path, f"sample\tunit\tbam\nP1N\tL1\t{bam}\n")
    assert "check_reads (sample=P1N, unit=L1): error:" in proc.stderr
    assert "is it truncated?" in proc.stderr
