"""Alignment + QC stage end to end, and the workflow's handling of bad input."""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pysam
import pytest

from conftest import snakemake, snakemake_command, write_config

pytestmark = pytest.mark.workflow


def test_dry_run_lists_the_dag(tiny_cohort: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", tiny_cohort, tmp_path / "results")
    proc = snakemake(config, tmp_path, "-n", "--quiet", "rules")
    for rule in ("bwa_mem", "merge_markdup", "mosdepth", "qc_table", "reference_bwa_index"):
        assert rule in proc.stdout


def test_bams_merge_lanes_with_read_groups(workflow_run: Path) -> None:
    with pysam.AlignmentFile(str(workflow_run / "bam/P1T.bam")) as bam:
        groups = {rg["ID"] for rg in bam.header.to_dict()["RG"]}
        programs = [pg["ID"] for pg in bam.header.to_dict()["PG"]]
        samples = {rg["SM"] for rg in bam.header.to_dict()["RG"]}
    assert groups == {"P1T.L1", "P1T.L2"}
    assert samples == {"P1T"}
    assert any(p.startswith("samtools.") or "markdup" in p for p in programs)
    assert (workflow_run / "bam/P1T.bam.bai").is_file()


def test_qc_table_has_one_row_per_sample(workflow_run: Path, tiny_cohort: Path) -> None:
    table = pd.read_csv(workflow_run / "qc/qc_table.tsv", sep="\t")
    sheet = pd.read_csv(tiny_cohort / "samples.tsv", sep="\t")
    assert list(table["sample"]) == list(sheet["sample"])
    assert (table["mapped_fraction"] > 0.97).all()
    tumors = table[table["type"] == "tumor"]["mean_coverage"]
    normals = table[table["type"] == "normal"]["mean_coverage"]
    assert tumors.min() > normals.max()  # simulated at 24x vs 14x
    assert set(table["verdict"]) <= {"pass", "warn", "fail"}
    assert (workflow_run / "qc/multiqc/multiqc_report.html").stat().st_size > 10_000


def broken_copy(cohort: Path, dest: Path) -> Path:
    """A copy of the cohort's sheets and reference (reads linked) to break in a test."""
    dest.mkdir()
    for name in ("samples.tsv", "units.tsv"):
        shutil.copy(cohort / name, dest / name)
    (dest / "reads").symlink_to(cohort / "reads")
    (dest / "reference").symlink_to(cohort / "reference")
    return dest


@pytest.mark.parametrize(
    ("sheet", "edit", "message"),
    [
        (
            "samples.tsv",
            lambda t: t + "P1T\tP1\ttumor\tffpe\t\t\n",
            "samples.tsv:7: duplicate sample 'P1T'",
        ),
        ("samples.tsv", lambda t: t.replace("\ttumor\t", "\ttumour\t", 1), "unknown type"),
        ("units.tsv", lambda t: t.replace("P1T_L1_R1", "P1T_L9_R1"), "does not exist"),
    ],
)
def test_bad_sheets_stop_at_start_up(
    tiny_cohort: Path, tmp_path: Path, sheet: str, edit, message: str
) -> None:
    data = broken_copy(tiny_cohort, tmp_path / "data")
    (data / sheet).write_text(edit((data / sheet).read_text()))
    config = write_config(tmp_path / "c.yaml", data, tmp_path / "results")
    proc = snakemake(config, tmp_path, "-n", check=False)
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert message in output
    assert "Traceback" not in output


def test_truncated_fastq_fails_its_check(tiny_cohort: Path, tmp_path: Path) -> None:
    data = broken_copy(tiny_cohort, tmp_path / "data")
    (data / "reads").unlink()
    (data / "reads").mkdir()
    for fq in (tiny_cohort / "reads").glob("P1N_L1_*"):
        shutil.copy(fq, data / "reads" / fq.name)
    broken = data / "reads/P1N_L1_R2.fastq.gz"
    broken.write_bytes(broken.read_bytes()[:20_000])
    (data / "samples.tsv").write_text("sample\tpatient\ttype\ttissue\nP1N\tP1\tnormal\tblood\n")
    (data / "units.tsv").write_text(
        "sample\tunit\tfq1\tfq2\nP1N\tL1\treads/P1N_L1_R1.fastq.gz\treads/P1N_L1_R2.fastq.gz\n"
    )
    config = write_config(tmp_path / "c.yaml", data, tmp_path / "results")
    target = str(tmp_path / "results/qc/units/P1N.L1.reads.json")
    proc = snakemake(config, tmp_path, target, check=False)
    assert proc.returncode != 0
    log = (tmp_path / "results/logs/check_reads/P1N.L1.log").read_text()
    assert "P1N_L1_R2.fastq.gz" in log and "truncated" in log
    assert not Path(target).exists()


def test_killed_run_resumes_without_half_outputs(tiny_cohort: Path, tmp_path: Path) -> None:
    data = broken_copy(tiny_cohort, tmp_path / "data")
    (data / "samples.tsv").write_text("sample\tpatient\ttype\ttissue\nP1N\tP1\tnormal\tblood\n")
    units = pd.read_csv(tiny_cohort / "units.tsv", sep="\t")
    units[units["sample"] == "P1N"].to_csv(data / "units.tsv", sep="\t", index=False)
    results = tmp_path / "results"
    config = write_config(tmp_path / "c.yaml", data, results)
    cmd, env = snakemake_command(config, str(results / "qc/qc_table.tsv"))
    proc = subprocess.Popen(
        cmd,
        cwd=tmp_path,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while time.time() < deadline and not list((results / "bam/units").glob("*.bam*")):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (results / "bam/P1N.bam").exists() or (results / "bam/P1N.bam.bai").exists()
    snakemake(config, tmp_path, "--unlock")  # a SIGKILL leaves the lock behind
    rerun = snakemake(config, tmp_path, "--rerun-incomplete", str(results / "qc/qc_table.tsv"))
    assert rerun.returncode == 0
    with pysam.AlignmentFile(str(results / "bam/P1N.bam")) as bam:
        n = sum(1 for _ in bam.fetch(until_eof=True))
    with gzip.open(tiny_cohort / "reads/P1N_L1_R1.fastq.gz", "rt") as fq1:
        pairs = sum(1 for _ in fq1) // 4
    with gzip.open(tiny_cohort / "reads/P1N_L2_R1.fastq.gz", "rt") as fq2:
        pairs += sum(1 for _ in fq2) // 4
    assert n == 2 * pairs
