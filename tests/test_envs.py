"""Conda environments (workflow/envs/) agree with the tool tables of scripts/setup.sh and
scce_genomics.tools, and every rule that runs a tool names an environment that has it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from scce_genomics.tools import TOOLS

REPO = Path(__file__).resolve().parents[1]
ENVS = REPO / "workflow" / "envs"
RULES = REPO / "workflow" / "rules"
#: setup.sh lists these for the browser test and the checkout, not for the workflow.
NOT_WORKFLOW = {"chromium", "git"}


def setup_table(name: str) -> dict[str, list[str]]:
    """A ``declare -A NAME=( [cmd]=value ... )`` table of scripts/setup.sh: cmd -> words."""
    text = (REPO / "scripts" / "setup.sh").read_text()
    body = re.search(rf"declare -A {name}=\((.*?)\n\)", text, re.S)
    assert body, f"no {name} table in scripts/setup.sh"
    pairs = re.findall(r"\[(\w+)\]=(?:\"([^\"]*)\"|(\S+))", body.group(1))
    return {cmd: (quoted or plain).split() for cmd, quoted, plain in pairs}


def env_specs(path: Path) -> dict[str, str | None]:
    """``channel::name`` -> minimum version (None when unpinned) of an environment file."""
    env = yaml.safe_load(path.read_text())
    assert {"conda-forge", "bioconda"} <= set(env["channels"]), path.name
    specs: dict[str, str | None] = {}
    for dep in env["dependencies"]:
        match = re.fullmatch(r"(\S+::\S+?)(?: >=(\S+))?", dep)
        assert match, f"{path.name}: write '{dep}' as 'channel::name' or 'channel::name >=X.Y'"
        specs[match.group(1)] = match.group(2)
    return specs


def expected_minimums() -> dict[str, str | None]:
    """conda package -> the minimum version the project asks for (tools.py, pyproject)."""
    conda = setup_table("CONDA")
    minimum: dict[str, str | None] = {
        pkg: None for cmd, pkgs in conda.items() if cmd not in NOT_WORKFLOW for pkg in pkgs
    }
    for tool in TOOLS:
        # A tool's minimum is its first package's (r-base for Rscript, not DNAcopy).
        minimum[tool.conda.split()[0]] = ".".join(map(str, tool.minimum))
    pyproject = (REPO / "pyproject.toml").read_text()
    python = re.search(r'^requires-python = ">=(\S+)"$', pyproject, re.M)
    assert python, "pyproject.toml states no requires-python >= X.Y"
    minimum["conda-forge::python"] = python.group(1)
    minimum["conda-forge::pip"] = None
    return minimum


def rule_blocks() -> list[tuple[str, str, str]]:
    """(file, rule name, rule text) of every rule in workflow/rules/."""
    blocks = []
    for smk in sorted(RULES.glob("*.smk")):
        parts = re.split(r"^(?:rule|checkpoint) (\w+):\n", smk.read_text(), flags=re.M)
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            body = re.split(r"^\S", body, maxsplit=1, flags=re.M)[0]  # up to the next top level
            blocks.append((smk.name, name, body))
    return blocks


def test_setup_sh_and_tools_py_name_the_same_conda_packages() -> None:
    conda = setup_table("CONDA")
    for tool in TOOLS:
        assert conda[tool.command] == tool.conda.split(), tool.command


@pytest.mark.parametrize("env", sorted(p.name for p in ENVS.glob("*.yaml")))
def test_env_packages_and_minimum_versions_match_the_tool_tables(env: str) -> None:
    expected = expected_minimums()
    for spec, version in env_specs(ENVS / env).items():
        assert spec in expected, f"{env}: {spec} is not in scripts/setup.sh's CONDA table"
        assert version == expected[spec], (
            f"{env}: {spec} >={version}, but the project asks for >={expected[spec]}"
        )


def test_every_workflow_tool_has_an_environment() -> None:
    wanted = set(expected_minimums())
    assert set(env_specs(ENVS / "python.yaml")) == wanted
    per_tool = set().union(*(env_specs(p) for p in ENVS.glob("*.yaml") if p.name != "python.yaml"))
    assert per_tool == wanted - {"conda-forge::python", "conda-forge::pip"}


def test_rules_that_run_a_tool_name_an_environment_that_has_it() -> None:
    conda = setup_table("CONDA")
    commands = sorted(set(conda) - NOT_WORKFLOW)
    used = re.compile(rf"(?:^|[\s(\"|;&}}])({'|'.join(commands)})\s")
    checked = 0
    for smk, rule, body in rule_blocks():
        tools = set(used.findall(body))
        directive = re.search(r"^\s+conda:\n\s+\"([^\"]+)\"", body, re.M)
        if not tools and not directive:
            continue
        assert directive, f"{smk}: rule {rule} runs {sorted(tools)} but has no conda: directive"
        env = (RULES / directive.group(1)).resolve()
        assert env.parent == ENVS and env.is_file(), f"{smk}: rule {rule}: no {env}"
        have = set(env_specs(env))
        for tool in tools:
            assert set(conda[tool]) <= have, f"{smk}: rule {rule} runs {tool}, {env.name} lacks it"
        checked += 1
    assert checked >= 10
