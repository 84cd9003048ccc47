"""Versions of the tools and packages a run actually used, read from the binaries and imports.

The report's methods section quotes this table, so it must describe the environment the
workflow ran in, not the one the project was written against: every version is asked of the
installed program (``--version`` output) or package metadata at run time.
"""

from __future__ import annotations

import importlib.metadata
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from scce_genomics.fileio import write_tsv

__all__ = ["PACKAGES", "TOOL_COMMANDS", "collect_versions", "write_versions"]

#: (name, command run, what it does in the workflow). bwa prints its version on stderr.
TOOL_COMMANDS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("bwa", ("bwa",), "read alignment"),
    ("samtools", ("samtools", "--version"), "BAM sorting, merging, duplicate marking, stats"),
    ("bcftools", ("bcftools", "--version"), "candidate calling, csq annotation"),
    ("htslib (tabix)", ("tabix", "--version"), "VCF indexing"),
    ("mosdepth", ("mosdepth", "--version"), "coverage"),
    ("R", ("R", "--version"), "CNVkit segmentation back end"),
    (
        "R/DNAcopy",
        ("Rscript", "-e", 'cat(as.character(packageVersion("DNAcopy")))'),
        "circular binary segmentation (CNVkit cbs)",
    ),
)

#: (distribution name, what it does in the workflow).
PACKAGES: tuple[tuple[str, str], ...] = (
    ("scce-genomics", "this workflow's library"),
    ("snakemake", "workflow engine"),
    ("cnvkit", "copy-number calling"),
    ("pysam", "BAM/VCF access"),
    ("numpy", "numerics"),
    ("pandas", "tables"),
    ("scipy", "statistical tests"),
    ("matplotlib", "figures"),
    ("SigProfilerAssignment", "COSMIC signature tables"),
    ("SigProfilerMatrixGenerator", "mutation-context conventions"),
    ("multiqc", "QC report"),
)


@dataclass(frozen=True)
class _Row:
    name: str
    kind: str
    version: str
    status: str
    source: str
    purpose: str


def _tool_version(command: tuple[str, ...]) -> tuple[str, str]:
    """First version-like token the program prints, and a status (``ok``/``missing``/...)."""
    if shutil.which(command[0]) is None:
        return "NA", f"missing: {command[0]} not on PATH"
    try:
        proc = subprocess.run(
            list(command), capture_output=True, text=True, errors="replace", timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return "NA", f"failed: {err}"
    text = proc.stdout + "\n" + proc.stderr
    match = re.search(r"Version:\s*(\S+)", text) or re.search(r"(\d+\.\d+(?:[.\-]\w+)*)", text)
    if match is None:
        return "NA", f"no version in output (exit {proc.returncode})"
    return match.group(1), "ok"


def _package_version(name: str) -> tuple[str, str]:
    try:
        return importlib.metadata.version(name), "ok"
    except importlib.metadata.PackageNotFoundError:
        return "NA", "missing: not installed"


def collect_versions() -> pd.DataFrame:
    """One row per tool and package: name, kind, version, status, source, purpose."""
    rows = [_Row("python", "interpreter", platform.python_version(), "ok", "platform", "")]
    for name, command, purpose in TOOL_COMMANDS:
        version, status = _tool_version(command)
        rows.append(_Row(name, "program", version, status, " ".join(command), purpose))
    for name, purpose in PACKAGES:
        version, status = _package_version(name)
        rows.append(_Row(name, "python package", version, status, "importlib.metadata", purpose))
    return pd.DataFrame([r.__dict__ for r in rows])


def write_versions(path: str | Path) -> pd.DataFrame:
    """Collect the versions and write them as TSV (atomically)."""
    table = collect_versions()
    write_tsv(table, path)
    return table
