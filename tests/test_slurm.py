"""The workflow through a real SLURM scheduler (``--executor slurm``) gives the local results.

Starts the one-node cluster of scripts/slurm-local.sh (root; slurm-wlm and munge come from apt
when missing), runs alignment + QC of a one-patient cohort locally and on SLURM, compares BAM
records and the QC table, and prints the SLURM/local wall-time ratio (a figure, not a timed
assertion: the machine may be shared). A corrupt FASTQ must fail on SLURM with its log path and
a non-zero exit.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from conftest import REPO, snakemake, write_config
from scce_genomics.simulate.cohort import CohortSpec, simulate_cohort

pytestmark = [pytest.mark.slurm, pytest.mark.workflow]

SCRIPT = REPO / "scripts" / "slurm-local.sh"
#: One patient, tumor + normal, one lane each: the smallest cohort with every alignment/QC rule.
SPEC = CohortSpec(
    patients=1,
    profiles=("escc",),
    tumor_only=0,
    scale=1 / 1500,
    tumor_depth=20,
    normal_depth=12,
    units_per_sample=1,
    snvs=50,
    seed=5,
)
SAMPLES = ("P1N", "P1T")


def _skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root to start slurmctld/slurmd (scripts/slurm-local.sh)"
    if shutil.which("slurmctld") is None and shutil.which("apt-get") is None:
        return "slurm-wlm is not installed and there is no apt-get to install it"
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return "snakemake-executor-plugin-slurm is not installed"
    return None


@pytest.fixture(scope="module")
def slurm_cluster() -> Iterator[None]:
    """A running local cluster; stopped afterwards if this fixture started it."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    was_running = subprocess.run([SCRIPT, "status"], capture_output=True).returncode == 0
    started = subprocess.run([SCRIPT, "start"], capture_output=True, text=True)
    if started.returncode != 0:
        pytest.fail(f"scripts/slurm-local.sh start failed:\n{started.stderr[-3000:]}")
    yield
    if not was_running:
        subprocess.run([SCRIPT, "stop"], capture_output=True, check=False)
        # Snakemake's SLURM plugin asks `scontrol show config` at every start, local runs too:
        # a stopped cluster must answer at once, not after MessageTimeout (9 s by default)
        begin = time.perf_counter()
        subprocess.run(["scontrol", "show", "config"], capture_output=True, check=False)
        assert time.perf_counter() - begin < 3, "scontrol waits for the stopped controller"


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("slurm_cohort")
    simulate_cohort(outdir, SPEC)
    return outdir


def on_slurm(config: Path, workdir: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    """Run ``targets`` through the local cluster's profile.

    Jobs (and group jobs, via --cores) ask for one CPU, so two run side by side on a 2-CPU
    node, and their results must still equal the local run's with 2 threads.
    """
    return snakemake(
        config,
        workdir,
        "--profile",
        str(REPO / "profiles" / "slurm-local"),
        "--max-threads",
        "1",
        "--cores",
        "1",
        *targets,
        check=False,
    )


def record_digest(bam: Path) -> str:
    """MD5 of the BAM's records (not its header, whose @PG lines carry paths and versions)."""
    view = subprocess.run(["samtools", "view", str(bam)], capture_output=True, check=True).stdout
    assert view.count(b"\n") > 1000
    return hashlib.md5(view).hexdigest()


def test_slurm_run_matches_local_run(slurm_cluster: None, cohort: Path, tmp_path: Path) -> None:
    results, wall = {}, {}
    for mode in ("local", "slurm"):
        workdir = tmp_path / mode
        workdir.mkdir()
        outdir = workdir / "results"
        config = write_config(workdir / "config.yaml", cohort, outdir)
        target = str(outdir / "qc" / "qc_table.tsv")
        start = time.perf_counter()
        if mode == "local":
            snakemake(config, workdir, target)
        else:
            proc = on_slurm(config, workdir, target)
        wall[mode] = time.perf_counter() - start
        if mode == "slurm":
            assert proc.returncode == 0, proc.stderr[-6000:]
            # the jobs really went through sbatch: one for the reference, one per sample
            submitted = proc.stderr.count("has been submitted with SLURM jobid")
            assert submitted == 1 + len(SAMPLES), proc.stderr[-6000:]
            assert "group_sample" in proc.stderr
        results[mode] = outdir
    print(
        f"\nSLURM/local wall time, alignment + QC of {', '.join(SAMPLES)}: "
        f"{wall['slurm']:.1f} s / {wall['local']:.1f} s = {wall['slurm'] / wall['local']:.2f}×"
    )

    for sample in SAMPLES:
        local, slurm = (results[m] / "bam" / f"{sample}.bam" for m in ("local", "slurm"))
        assert record_digest(local) == record_digest(slurm), sample
    tables = [pd.read_csv(results[m] / "qc" / "qc_table.tsv", sep="\t") for m in results]
    assert list(tables[0]["sample"]) == list(SAMPLES)
    pd.testing.assert_frame_equal(tables[0], tables[1])


def test_failing_rule_surfaces_with_log(slurm_cluster: None, cohort: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad_R1.fastq.gz"
    with gzip.open(bad, "wt") as handle:  # quality shorter than the sequence
        handle.write("@r1/1\nACGTACGTAC\n+\nIIII\n")
    units = pd.read_csv(cohort / "units.tsv", sep="\t")
    units.loc[0, "fq1"] = str(bad)
    units.loc[0, "fq2"] = str(cohort / units.loc[0, "fq2"])
    units.loc[1:, ["fq1", "fq2"]] = units.loc[1:, ["fq1", "fq2"]].map(lambda p: str(cohort / p))
    units.to_csv(tmp_path / "units.tsv", sep="\t", index=False)
    outdir = tmp_path / "results"
    config = write_config(tmp_path / "config.yaml", cohort, outdir)
    text = config.read_text().replace(str(cohort / "units.tsv"), str(tmp_path / "units.tsv"))
    config.write_text(text)
    sample, unit = units.loc[0, "sample"], units.loc[0, "unit"]

    proc = on_slurm(config, tmp_path, str(outdir / "qc" / "units" / f"{sample}.{unit}.reads.json"))

    assert proc.returncode != 0
    assert "Error in rule check_reads" in proc.stderr
    rule_log = outdir / "logs" / "check_reads" / f"{sample}.{unit}.log"
    assert str(rule_log) in proc.stderr
    assert "bad_R1.fastq.gz" in rule_log.read_text()
    slurm_logs = list((tmp_path / ".snakemake" / "slurm_logs").rglob("*.log"))
    assert slurm_logs, "the failed job's SLURM log is kept"
    assert any(str(path) in proc.stderr for path in slurm_logs)
