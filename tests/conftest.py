"""Shared fixtures: a tiny simulated cohort, made once per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scce_genomics.simulate.cohort import CohortSpec, simulate_cohort

REPO = Path(__file__).resolve().parents[1]

#: Small enough for CI (2 cores): ~0.9 Mb genome, 3 patients, one tumor-only.
TINY = CohortSpec(
    patients=3,
    profiles=("escc", "sclc", "escc"),
    tumor_only=1,
    scale=1 / 1000,
    tumor_depth=24,
    normal_depth=14,
    units_per_sample=2,
    snvs=120,
    seed=11,
)


#: One tumor/normal pair, smaller still: for runs that test input handling, not accuracy.
PAIR = CohortSpec(
    patients=1,
    profiles=("escc",),
    tumor_only=0,
    scale=1 / 2000,
    tumor_depth=14,
    normal_depth=10,
    units_per_sample=1,
    snvs=40,
    seed=5,
)


@pytest.fixture(scope="session")
def small_pair(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Reference, reads and sheets of one simulated tumor/normal pair."""
    outdir = tmp_path_factory.mktemp("small_pair")
    simulate_cohort(outdir, PAIR)
    return outdir


@pytest.fixture(scope="session")
def tiny_cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Reference, reads, truth and sample sheets of a tiny synthetic cohort."""
    outdir = tmp_path_factory.mktemp("tiny_cohort")
    simulate_cohort(outdir, TINY)
    return outdir


def write_config(path: Path, cohort: Path, outdir: Path, **extra: object) -> Path:
    """A workflow config for ``cohort`` writing into ``outdir``."""
    import yaml

    config = {
        "samples": str(cohort / "samples.tsv"),
        "units": str(cohort / "units.tsv"),
        "outdir": str(outdir),
        "reference": {
            "fasta": str(cohort / "reference" / "genome.fa"),
            "build": "custom",
            "gff3": str(cohort / "reference" / "genes.gff3"),
            "arms": str(cohort / "reference" / "arms.tsv"),
        },
    }
    config.update(extra)
    path.write_text(yaml.safe_dump(config))
    return path


def snakemake_command(config: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that run the workflow with ``config`` on 2 cores."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("MPLBACKEND", "Agg")
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(REPO / "Snakefile"),
        "--configfile",
        str(config),
        "--cores",
        "2",
        *args,
    ]
    return cmd, env


def snakemake(
    config: Path, workdir: Path, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the workflow with ``config`` in ``workdir`` (2 cores), capturing its output."""
    cmd, env = snakemake_command(config, *args)
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stderr[-6000:]}")
    return proc


@pytest.fixture(scope="session")
def workflow_run(tiny_cohort: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole workflow run once on the tiny cohort; returns its output directory."""
    workdir = tmp_path_factory.mktemp("workflow_run")
    results = workdir / "results"
    # two pileup chunks, concatenated per tumor (`auto` gives this tiny genome one)
    config = write_config(workdir / "config.yaml", tiny_cohort, results, somatic={"scatter": 2})
    snakemake(config, workdir)
    return results
