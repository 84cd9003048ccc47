"""Every rule tells a cluster what it needs, and the profiles name rules that exist.

A rule without ``mem_mb``/``runtime`` gets a site's defaults on SLURM: too little memory kills
it, too short a runtime cancels it hours in. The workflow is parsed (all rules, not only the
ones a given config's DAG reaches), so rules added by any stage later are checked too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO, snakemake, write_config

#: Rules that only collect targets (no job is run for them).
NORUN = {"all"}
PROFILES = sorted((REPO / "profiles").glob("*/config.yaml"))


@pytest.fixture(scope="module")
def parsed(tiny_cohort: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Rules of the parsed workflow: name -> declared resources, threads, localrule flag."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import (
        ConfigSettings,
        OutputSettings,
        ResourceSettings,
        StorageSettings,
    )

    workdir = tmp_path_factory.mktemp("parse")
    config = write_config(workdir / "config.yaml", tiny_cohort, workdir / "results")
    with SnakemakeApi(OutputSettings(quiet={"all"})) as api:  # type: ignore[arg-type]
        workflow_api = api.workflow(
            resource_settings=ResourceSettings(),
            config_settings=ConfigSettings(configfiles=[config]),
            storage_settings=StorageSettings(),
            snakefile=REPO / "Snakefile",
            workdir=workdir,
        )
        workflow = workflow_api._workflow
        rules = {
            rule.name: {
                "resources": dict(rule.resources),
                "threads": rule.resources["_cores"],
                "norun": rule.norun,
                "wildcards": set(rule.wildcard_names),
            }
            for rule in workflow.rules
        }
        local = set(workflow._localrules)
    # The public CLI lists the same rules: guards against the private API changing under us.
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    listed = subprocess.run(
        [
            sys.executable,
            *("-m", "snakemake", "-s", str(REPO / "Snakefile")),
            *("--configfile", str(config), "--list-rules"),
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {"rules": rules, "local": local, "listed": set(listed)}


def test_parser_sees_every_rule(parsed: dict[str, Any]) -> None:
    assert set(parsed["rules"]) == parsed["listed"]
    assert len(parsed["rules"]) >= 10


def test_every_rule_declares_memory_and_runtime(parsed: dict[str, Any]) -> None:
    missing = [
        f"{name}: {', '.join(key for key in ('mem_mb', 'runtime') if key not in rule['resources'])}"
        for name, rule in parsed["rules"].items()
        if name not in NORUN and not {"mem_mb", "runtime"} <= set(rule["resources"])
    ]
    assert not missing, "rules without `resources: mem_mb=..., runtime=...`: " + "; ".join(missing)


def test_declared_resources_are_positive(parsed: dict[str, Any]) -> None:
    bad = []
    for name, rule in parsed["rules"].items():
        for key in ("mem_mb", "runtime", "disk_mb"):
            value = rule["resources"].get(key)
            value = getattr(value, "value", value)  # snakemake wraps values in Resource()
            if isinstance(value, int | float) and value <= 0:
                bad.append(f"{name}.{key}={value}")
        threads = getattr(rule["threads"], "value", rule["threads"])
        if isinstance(threads, int) and threads < 1:
            bad.append(f"{name}.threads={threads}")
    assert not bad


def test_localrules_exist_and_are_small(parsed: dict[str, Any]) -> None:
    local = parsed["local"]
    assert {"all", "qc_table"} <= local
    assert local <= set(parsed["rules"])
    for name in local - NORUN:
        threads = parsed["rules"][name]["threads"]
        assert getattr(threads, "value", threads) == 1, f"local rule {name} is multi-threaded"


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.parent.name)
def test_profiles_name_existing_rules(profile: Path, parsed: dict[str, Any]) -> None:
    settings = yaml.safe_load(profile.read_text())
    named = set(settings.get("groups") or {})
    named |= set(settings.get("set-resources") or {})
    named |= set(settings.get("set-threads") or {})
    unknown = named - set(parsed["rules"])
    assert not unknown, f"{profile} names rules the workflow lacks: {sorted(unknown)}"
    if settings.get("executor") == "slurm":
        assert "slurm_partition" in settings["default-resources"]


def test_profiles_exist() -> None:
    assert {p.parent.name for p in PROFILES} >= {"slurm", "slurm-local", "local"}


SLURM_PROFILES = [p for p in PROFILES if yaml.safe_load(p.read_text()).get("executor") == "slurm"]
#: Wildcards of rules that run once per lane, sample, patient, tumor or genome chunk.
PER_SAMPLE = {"unit", "sample", "patient", "tumor", "chunk", "kind"}


@pytest.mark.parametrize("profile", SLURM_PROFILES, ids=lambda p: p.parent.name)
def test_groups_hold_no_local_rule(profile: Path, parsed: dict[str, Any]) -> None:
    """A group with a local rule would run whole on the submit host, bwa included."""
    groups = yaml.safe_load(profile.read_text()).get("groups") or {}
    assert not set(groups) & parsed["local"], sorted(set(groups) & parsed["local"])


@pytest.mark.parametrize("profile", SLURM_PROFILES, ids=lambda p: p.parent.name)
def test_every_per_sample_cluster_rule_is_grouped(profile: Path, parsed: dict[str, Any]) -> None:
    """Per-sample steps run as part of a few jobs per sample, never one cluster job each."""
    groups = yaml.safe_load(profile.read_text()).get("groups") or {}
    loose = sorted(
        name
        for name, rule in parsed["rules"].items()
        if rule["wildcards"] & PER_SAMPLE and name not in parsed["local"] and name not in groups
    )
    assert not loose, f"add to `groups:` of profiles/slurm and profiles/slurm-local: {loose}"


def test_test_cluster_profile_groups_like_the_site_profile() -> None:
    """profiles/slurm-local tests what profiles/slurm gives a site."""
    site, local = (
        yaml.safe_load((REPO / "profiles" / name / "config.yaml").read_text())
        for name in ("slurm", "slurm-local")
    )
    for key in ("groups", "group-components"):
        assert site.get(key) and site.get(key) == local.get(key), key


#: shell commands of the multi-threaded steps after alignment (the regex group: their threads)
SHARED_STEPS = {
    "panel of normals": r"scce-genomics pon build .*?--threads (\d+)",
    "callable regions": r"mosdepth -t (\d+) -n --fast-mode --quantize",
    "coverage QC": r"mosdepth -t (\d+) -n --fast-mode --by",
}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--cores", "2"), 1),
        (("--cores", "8"), 2),
        (("--cores", "2", "--set-threads", "somatic_pon=2", "mosdepth=2", "callable_regions=2"), 2),
    ],
    ids=["2-cores", "8-cores", "set-threads"],
)
def test_steps_after_alignment_take_half_the_local_cores(
    tiny_cohort: Path, tmp_path: Path, args: tuple[str, ...], expected: int
) -> None:
    """On 2 cores a 2-thread job would wait for every one-thread job; --set-threads still wins."""
    config = write_config(tmp_path / "config.yaml", tiny_cohort, tmp_path / "results")
    proc = snakemake(config, tmp_path, "-n", "-p", *args)
    for step, pattern in SHARED_STEPS.items():
        found = {int(n) for n in re.findall(pattern, proc.stdout)}
        assert found == {expected}, f"{step}: threads {found} with {' '.join(args)}"


def test_every_run_reads_the_workflow_profile(tiny_cohort: Path, tmp_path: Path) -> None:
    """profiles/default (the greedy job picking) applies from any working directory."""
    config = write_config(tmp_path / "config.yaml", tiny_cohort, tmp_path / "results")
    proc = snakemake(config, tmp_path, "-n")
    assert f"workflow specific profile {REPO / 'profiles' / 'default'}" in proc.stderr
    assert yaml.safe_load((REPO / "profiles" / "default" / "config.yaml").read_text()) == {
        "scheduler": "greedy"
    }
