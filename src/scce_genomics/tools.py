"""Command-line tools the workflow runs, their minimum versions, and where to get them.

The set-up step installs them from Debian packages when it can; otherwise this table is what it
prints, so a user on a cluster knows the conda or module names to load instead.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

__all__ = ["TOOLS", "Tool", "check_tools", "tool_version"]


@dataclass(frozen=True)
class Tool:
    command: str
    version_args: tuple[str, ...]
    minimum: tuple[int, ...]
    debian: str
    conda: str
    purpose: str


TOOLS: tuple[Tool, ...] = (
    Tool("bwa", (), (0, 7, 17), "bwa", "bioconda::bwa", "read alignment"),
    Tool("samtools", ("--version",), (1, 16), "samtools", "bioconda::samtools", "BAM handling"),
    Tool(
        "bcftools",
        ("--version",),
        (1, 16),
        "bcftools",
        "bioconda::bcftools",
        "candidate calling, csq",
    ),
    Tool("tabix", ("--version",), (1, 16), "tabix", "bioconda::htslib", "VCF indexing"),
    Tool("bgzip", ("--version",), (1, 16), "tabix", "bioconda::htslib", "VCF compression"),
    Tool(
        "mosdepth", ("--version",), (0, 3), "mosdepth libhts-dev", "bioconda::mosdepth", "coverage"
    ),
    Tool(
        "Rscript",
        ("--version",),
        (4, 0),
        "r-base-core r-bioc-dnacopy",
        "conda-forge::r-base bioconda::bioconductor-dnacopy",
        "CNVkit CBS segmentation",
    ),
)


def tool_version(tool: Tool) -> tuple[int, ...] | None:
    """Parse the first dotted version number a tool prints (bwa prints it on stderr)."""
    if shutil.which(tool.command) is None:
        return None
    proc = subprocess.run(
        [tool.command, *tool.version_args],
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
    )
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", proc.stdout + proc.stderr)
    if not match:
        return (0,)
    return tuple(int(x) for x in match.groups() if x is not None)


def check_tools(verbose: bool = False) -> list[Tool]:
    """Return the tools that are missing or too old; print a fix-it table when ``verbose``."""
    bad = []
    for tool in TOOLS:
        version = tool_version(tool)
        ok = version is not None and version >= tool.minimum
        if verbose:
            shown = "missing" if version is None else ".".join(map(str, version))
            need = ".".join(map(str, tool.minimum))
            print(f"{'ok  ' if ok else 'FAIL'} {tool.command:<9} {shown:<10} (need >= {need})")
        if not ok:
            bad.append(tool)
    if bad and verbose:
        print(
            "\nMissing tools. On Debian/Ubuntu as root: apt-get install -y "
            + " ".join(sorted({t.debian for t in bad})),
            file=sys.stderr,
        )
        print("With conda/mamba: mamba install " + " ".join(t.conda for t in bad), file=sys.stderr)
        print(
            "On a cluster with modules, load: " + ", ".join(t.command for t in bad), file=sys.stderr
        )
    return bad
