"""Atomic outputs: a file appears under its final name only once it is complete.

Snakemake deletes the outputs of a failed job, but our CLI is also run by hand; writing to a
temporary sibling and renaming means a killed process never leaves a half-written file that
looks complete.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from scce_genomics.errors import InputError

if TYPE_CHECKING:  # pandas is imported by callers; the CLI starts without it
    import pandas as pd

__all__ = ["atomic_open", "atomic_outputs", "atomic_path", "write_bgzipped_vcf", "write_tsv"]


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only on success."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, final)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_open(path: str | Path) -> Iterator[IO[str]]:
    """Open ``path`` for text writing atomically; ``.gz`` paths are gzip-compressed."""
    with atomic_path(path) as tmp:
        if str(path).endswith(".gz"):
            with gzip.open(tmp, "wt", compresslevel=6) as zipped:
                yield zipped
        else:
            with open(tmp, "w") as handle:
                yield handle


@contextlib.contextmanager
def atomic_outputs(paths: Mapping[str, str | Path]) -> Iterator[dict[str, Path]]:
    """Yield temporary paths for several outputs; move them onto ``paths`` only if all succeed.

    Each temporary path keeps its final file name (tools derive sample names and formats from
    it), in a hidden folder beside the first output.
    """
    finals = {key: Path(path) for key, path in paths.items()}
    if not finals:
        yield {}
        return
    first = next(iter(finals.values()))
    first.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{first.name}.", suffix=".tmp", dir=first.parent))
    try:
        temporary = {key: staging / key / final.name for key, final in finals.items()}
        for path in temporary.values():
            path.parent.mkdir()
        yield temporary
        for key, final in finals.items():
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary[key], final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def is_gzip(path: str | Path) -> bool:
    """True when the file starts with the gzip magic bytes (gzip and bgzip alike)."""
    with open(path, "rb") as probe:
        return probe.read(2) == b"\x1f\x8b"


def open_text(path: str | Path) -> IO[str]:
    """Open a plain or gzipped file for reading text: inputs arrive either way."""
    return gzip.open(path, "rt") if is_gzip(path) else open(path)


def is_bed_header(line: str) -> bool:
    """A BED line without an interval: blank, ``#`` comment, UCSC ``track`` or ``browser``
    (capture kits' BEDs often begin with the latter two)."""
    return not line.strip() or line.startswith(("#", "track", "browser"))


def read_bed_intervals(path: str | Path) -> dict[str, list[tuple[int, int]]]:
    """Intervals per contig of a plain or gzipped BED (columns past the third are ignored;
    ``#``, ``track`` and ``browser`` lines skipped)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("BED not found", path)
    intervals: dict[str, list[tuple[int, int]]] = {}
    number = 0
    try:
        with open_text(path) as handle:
            for line in handle:
                number += 1  # kept past the loop: the error names the line
                if is_bed_header(line):
                    continue
                fields = line.split("\t")
                intervals.setdefault(fields[0], []).append((int(fields[1]), int(fields[2])))
    except (OSError, EOFError, ValueError, IndexError):
        raise InputError(
            "a BED line needs contig, start and end (whole numbers, tab-separated)", path, number
        ) from None
    return intervals


def open_binary(path: str | Path) -> IO[bytes]:
    """Open a plain or gzipped file for reading bytes."""
    return cast(IO[bytes], gzip.open(path, "rb")) if is_gzip(path) else open(path, "rb")


def write_tsv(df: pd.DataFrame, path: str | Path, index: bool = False) -> None:
    """Write a tab-separated table atomically, with ``NA`` for missing values."""
    with atomic_open(path) as handle:
        df.to_csv(handle, sep="\t", index=index, na_rep="NA")


def write_bgzipped_vcf(path: str | Path, header: list[str], records: Iterable[str]) -> None:
    """Write VCF lines bgzipped with a tabix index, the file complete or absent (no half VCF).

    ``records`` are body lines, or blocks of them (no final newline), e.g. from a generator
    that builds a large VCF a slice at a time.
    """
    import pysam

    with atomic_path(path) as tmp:
        plain = tmp.with_name(tmp.name + ".vcf")
        with atomic_open(plain) as handle:
            handle.write("\n".join(header) + "\n")
            for record in records:
                handle.write(record + "\n")
        pysam.tabix_compress(str(plain), str(tmp), force=True)
        plain.unlink()
    pysam.tabix_index(str(path), preset="vcf", force=True)
