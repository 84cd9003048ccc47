"""The package mirrors the workflow: one subpackage per stage, data flowing one way.

Stages meet at files, so no stage imports the report, and the report is imported by nothing
but its own command. Every stage package has a rule file of the same name.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "scce_genomics"
RULES = PACKAGE.parents[1] / "workflow" / "rules"
STAGES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
SHARED = {"cli", "config", "cosmic", "errors", "failures", "fileio", "parallel", "samples", "tools"}


def _imports(path: Path) -> set[str]:
    """Every ``scce_genomics.X`` module a file imports, at any depth (lazy imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("scce_genomics.")}


def test_top_level_holds_only_shared_helpers() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules <= SHARED, f"stage code at the top level: {sorted(modules - SHARED)}"


@pytest.mark.parametrize("stage", [s for s in STAGES if s != "report"])
def test_stages_never_import_the_report(stage: str) -> None:
    for path in (PACKAGE / stage).rglob("*.py"):
        bad = {m for m in _imports(path) if m.startswith("scce_genomics.report")}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {sorted(bad)}"


def test_shared_helpers_import_no_stage() -> None:
    for name in SHARED - {"cli"}:
        stage_imports = {m for m in _imports(PACKAGE / f"{name}.py") if m.split(".")[1] in STAGES}
        assert not stage_imports, f"{name}.py imports stages {sorted(stage_imports)}"


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_has_a_docstring_and_a_rule_file(stage: str) -> None:
    init = PACKAGE / stage / "__init__.py"
    assert ast.get_docstring(ast.parse(init.read_text())), f"{init} has no docstring"
    if stage != "simulate":  # the simulator feeds the workflow; it is not a stage of it
        assert (RULES / f"{stage}.smk").is_file(), f"no workflow/rules/{stage}.smk for {stage}/"


def test_cli_parser_builds_without_heavy_imports() -> None:
    """Every rule pays the CLI's start-up: building the parser must not import the science stack."""
    code = (
        "import sys; from scce_genomics.cli import build_parser; build_parser(); "
        "print(','.join(m for m in ('pandas', 'numpy', 'scipy', 'matplotlib', 'pysam') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"building the parser imported {out.stdout.strip()}"


def test_every_option_has_help_text() -> None:
    from scce_genomics.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = []
    for name, command in sub.choices.items():
        for action in command._actions:
            if action.option_strings and action.dest != "help" and not action.help:
                missing.append(f"{name} {action.option_strings[0]}")
    assert not missing, f"options without help text: {missing}"
