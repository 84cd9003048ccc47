"""``snakemake --lint`` finds nothing to say but that some rules name no conda environment.

Those rules run the package's own commands and its Python dependencies (CNVkit, MultiQC),
installed with it; every rule that runs a command-line tool names its environment
(tests/test_envs.py). Input and parameter functions live in workflow/rules/common.smk, so
rule files hold rules only, and no parameter hard-codes a prefix of a rule's files.
"""

from __future__ import annotations

import re
from pathlib import Path

from conftest import snakemake, write_config

#: The one lint the workflow keeps (see the module docstring).
ALLOWED = {"Specify a conda environment or container for each rule."}


def lints(output: str) -> list[tuple[str, str]]:
    """(what was linted, lint title) of each lint in ``snakemake --lint``'s text output."""
    found = []
    item = ""
    for line in output.splitlines():
        if header := re.match(r"Lints for (.+):$", line):
            item = header.group(1)
        elif lint := re.match(r" {4}\* (.+):$", line):
            found.append((item, lint.group(1)))
    return found


def test_lint_reports_only_rules_without_an_environment(small_pair: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.yaml", small_pair, tmp_path / "results")
    proc = snakemake(config, tmp_path, "--lint", check=False)
    output = proc.stdout + proc.stderr
    found = lints(output)
    assert found or "Congratulations" in output, f"snakemake --lint did not lint:\n{output[-3000:]}"
    unexpected = [f"{item}: {title}" for item, title in found if title not in ALLOWED]
    assert not unexpected, "snakemake --lint:\n" + "\n".join(unexpected)
