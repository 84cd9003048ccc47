from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from scce_genomics.fileio import atomic_open, atomic_path


def test_atomic_file_appears_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.tsv"
    with pytest.raises(RuntimeError), atomic_open(target) as handle:
        handle.write("half")
        raise RuntimeError("killed")
    assert not target.exists()
    assert list(target.parent.iterdir()) == []
    with atomic_open(target) as handle:
        handle.write("whole\n")
    assert target.read_text() == "whole\n"


def test_atomic_gzip(tmp_path: Path) -> None:
    target = tmp_path / "x.tsv.gz"
    with atomic_open(target) as handle:
        handle.write("a\tb\n")
    with gzip.open(target, "rt") as handle:
        assert handle.read() == "a\tb\n"


def test_atomic_path_keeps_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "x.txt"
    target.write_text("old")
    with pytest.raises(ValueError), atomic_path(target) as tmp:
        tmp.write_text("new")
        raise ValueError
    assert target.read_text() == "old"
