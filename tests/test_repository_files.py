"""Every file the Makefile, the configs, the sheets and the docs point to is in git.

A fresh clone holds only tracked files: a config or sheet that exists here but is ignored (as
``config/demo/config.yaml`` once was, hidden by an unanchored ``demo/`` in ``.gitignore``) works
on the machine that wrote it and fails everywhere else.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import REPO

#: Folders that are never in git because a documented step creates them: the virtualenv
#: (``make setup``), the demo's simulated data (``make demo``), every run's outputs (the
#: workflow's ``outdir``) and the user's own data that the template config and sheets name.
MADE_AT_RUN_TIME = {
    ".venv": "make setup",
    "demo": "make demo (scce-genomics simulate --outdir demo/data)",
    "results": "the workflow (outdir)",
    "data": "the user (template config/config.yaml and config/*.tsv)",
}

_WORD = re.compile(r"[A-Za-z0-9_.][\w.+-]*(?:/[\w.+-]*)+")


def _tracked() -> set[str]:
    proc = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        pytest.skip("not a git checkout")
    return {p for p in proc.stdout.split("\0") if p}


def _path_words(text: str) -> Iterator[str]:
    """Words of a text that look like repository paths (``a/b``, ``a/``), templates excluded."""
    for match in _WORD.finditer(text):
        word = match.group(0).rstrip(".")
        start, end = match.span()
        before = text[start - 1] if start else ""
        after = text[end : end + 1]
        if before in "<{$*/:~" or after in ("<", "{", "*", "}"):
            continue  # placeholders, variables, URLs and absolute paths
        yield word


def _strings(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


def referenced_paths() -> dict[str, set[str]]:
    """Repository-relative paths named by the Makefile, .ci/run, configs, sheets and docs."""
    refs: dict[str, set[str]] = {}

    def add(path: str, source: str) -> None:
        rel = Path(path)
        if rel.is_absolute():
            try:
                rel = rel.resolve().relative_to(REPO)
            except ValueError:
                return
        norm = Path(*[p for p in rel.parts if p not in (".", "")]) if rel.parts else rel
        top = norm.parts[0] if norm.parts else ""
        if top and (top in MADE_AT_RUN_TIME or (REPO / top).exists()):
            refs.setdefault(norm.as_posix().rstrip("/"), set()).add(source)

    for name in ("Makefile", ".ci/run"):
        text = re.sub(r"\$\([^)]*\)/?", "", (REPO / name).read_text())
        for word in _path_words(text):
            add(word, name)
    for config in sorted((REPO / "config").rglob("*.yaml")):
        source = config.relative_to(REPO).as_posix()
        for value in _strings(yaml.safe_load(config.read_text())):
            if "/" in value and " " not in value:
                add(value, source)
    for sheet in sorted((REPO / "config").rglob("*.tsv")):
        source = sheet.relative_to(REPO).as_posix()
        table = pd.read_csv(sheet, sep="\t", dtype=str, comment="#", keep_default_na=False)
        for column in ("fq1", "fq2", "bam"):
            for value in table.get(column, []):
                if value:
                    resolved = (sheet.parent / value).resolve()
                    try:
                        add(str(resolved.relative_to(REPO)), source)
                    except ValueError:
                        continue
    docs = [REPO / "README.md", REPO / "config/README.md", *sorted((REPO / "docs").glob("*.md"))]
    for doc in docs:
        text = doc.read_text()
        spans = re.findall(r"`([^`\n]+)`", text) + re.findall(r"\]\(([^)\s#]+)", text)
        for span in spans:
            for word in _path_words(span):
                if doc.parent != REPO and (doc.parent / word).exists():
                    word = (doc.parent / word).resolve().relative_to(REPO).as_posix()
                add(word, doc.relative_to(REPO).as_posix())
    return refs


def test_the_scan_finds_what_it_should() -> None:
    refs = referenced_paths()
    for expected in (
        "config/demo/config.yaml",  # Makefile
        "scripts/setup.sh",  # Makefile and README
        "resources/real/dream_tiny_b37/target.bed",  # config/real/config.yaml
        "resources/real/dream_tiny_b37/tiny/tumor/tiny_t_L001_R1_xxx.fastq.gz",  # a sheet
        "results/demo/report/report.html",  # README
    ):
        assert expected in refs, expected


def test_every_referenced_file_is_tracked() -> None:
    tracked = _tracked()
    tracked_dirs = {p.rsplit("/", i)[0] for p in tracked for i in range(1, p.count("/") + 1)}
    problems = []
    for path, sources in sorted(referenced_paths().items()):
        top = path.split("/", 1)[0]
        if top in MADE_AT_RUN_TIME:
            assert top not in tracked_dirs, f"{top}/ is made by {MADE_AT_RUN_TIME[top]}"
            continue
        if path in tracked or path in tracked_dirs:
            continue
        state = "exists but is not tracked (ignored?)" if (REPO / path).exists() else "missing"
        problems.append(f"{path}: {state}; named in {', '.join(sorted(sources))}")
    assert not problems, "\n".join(problems)


def test_demo_config_is_not_ignored() -> None:
    proc = subprocess.run(
        ["git", "check-ignore", "-q", "config/demo/config.yaml"], cwd=REPO, check=False
    )
    assert proc.returncode == 1  # 1: not ignored
