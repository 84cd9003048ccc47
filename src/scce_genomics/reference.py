"""Reference preparation: a plain FASTA, GFF3 and chromosome-arm table named like the FASTA.

Real references arrive gzipped or bgzipped, with ``chr1`` or ``1`` contig names, and arm tables
come from cytobands of a named build; every later stage relies on the three agreeing, so they are
checked and harmonised once here.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pandas as pd

from scce_genomics.errors import InputError
from scce_genomics.fileio import atomic_open, atomic_path

__all__ = [
    "BUILD_CHR1_LENGTH",
    "fasta_contigs",
    "harmonise_contig",
    "prepare_reference",
]

#: chr1 length identifies the two human builds.
BUILD_CHR1_LENGTH = {"GRCh37": 249_250_621, "GRCh38": 248_956_422}


def _open_text(path: Path):  # type: ignore[no-untyped-def]
    with open(path, "rb") as handle:
        magic = handle.read(2)
    return gzip.open(path, "rt") if magic == b"\x1f\x8b" else open(path)


def fasta_contigs(path: str | Path) -> dict[str, int]:
    """Contig names and lengths of a FASTA (plain or gzipped), checking it is well formed."""
    path = Path(path)
    if not path.is_file():
        raise InputError("reference FASTA not found; check reference.fasta in the config", path)
    contigs: dict[str, int] = {}
    name: str | None = None
    try:
        with _open_text(path) as handle:
            for number, line in enumerate(handle, start=1):
                if line.startswith(">"):
                    name = line[1:].split()[0] if line[1:].strip() else ""
                    if not name:
                        raise InputError("FASTA header without a name", path, number)
                    if name in contigs:
                        raise InputError(f"contig {name!r} appears twice", path, number)
                    contigs[name] = 0
                elif name is None:
                    if line.strip():
                        raise InputError(
                            "not a FASTA file: the first line must start with '>'", path, number
                        )
                else:
                    contigs[name] += len(line.strip())
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read FASTA ({err}); is the file truncated?", path) from None
    if not contigs:
        raise InputError("FASTA has no sequences", path)
    empty = [c for c, n in contigs.items() if n == 0]
    if empty:
        raise InputError(f"contig(s) with no sequence: {', '.join(empty[:5])}", path)
    return contigs


def harmonise_contig(name: str, contigs: set[str]) -> str | None:
    """Map ``chr3``/``3`` (and ``chrM``/``MT``) onto the naming the FASTA uses, or None."""
    if name in contigs:
        return name
    bare = name.removeprefix("chr")
    for candidate in (bare, f"chr{bare}", "MT" if bare == "M" else "", "chrM" if bare == "MT" else ""):
        if candidate and candidate in contigs:
            return candidate
    return None


def _arms_table(arms: Path, contigs: dict[str, int]) -> pd.DataFrame:
    try:
        table = pd.read_csv(arms, sep="\t", dtype={"chrom": str})
    except (OSError, pd.errors.ParserError) as err:
        raise InputError(f"cannot read arm table ({err})", arms) from None
    missing = {"chrom", "arm", "start", "end"} - set(table.columns)
    if missing:
        raise InputError(
            f"arm table lacks column(s) {', '.join(sorted(missing))}; need chrom, arm, start, end",
            arms,
        )
    table = table[["chrom", "arm", "start", "end"]].copy()
    table["chrom"] = [harmonise_contig(c, set(contigs)) for c in table["chrom"]]
    table = table.dropna(subset=["chrom"])
    if table.empty:
        raise InputError(
            "no arm in the table is on a contig of the reference FASTA; check reference.build "
            "and reference.arms",
            arms,
        )
    table["end"] = [min(int(e), contigs[c]) for c, e in zip(table["chrom"], table["end"], strict=True)]
    return table[table["end"] > table["start"]]


def prepare_reference(
    fasta: str | Path,
    gff3: str | Path,
    outdir: str | Path,
    build: str,
    arms: str | Path,
) -> dict[str, Path]:
    """Write ``genome.fa`` (uncompressed), ``genes.gff3``, ``arms.tsv`` and ``build.txt``."""
    outdir = Path(outdir)
    contigs = fasta_contigs(fasta)
    if build in BUILD_CHR1_LENGTH:
        chr1 = harmonise_contig("chr1", set(contigs))
        if chr1 is not None and contigs[chr1] not in BUILD_CHR1_LENGTH.values():
            pass  # a partial chromosome (test pieces): nothing to compare against
        elif chr1 is not None and contigs[chr1] != BUILD_CHR1_LENGTH[build]:
            other = next(b for b, n in BUILD_CHR1_LENGTH.items() if n == contigs[chr1])
            raise InputError(
                f"reference.build says {build} but the FASTA's chromosome 1 is {other}; fix "
                "reference.build or use the matching FASTA",
                fasta,
            )
    gff3 = Path(gff3)
    if not gff3.is_file():
        raise InputError("GFF3 annotation not found; check reference.gff3 in the config", gff3)
    with _open_text(gff3) as handle:
        first = handle.readline()
    if not first.startswith("##gff-version 3"):
        raise InputError("not a GFF3 file: the first line must be '##gff-version 3'", gff3, 1)
    arms_path = Path(arms)
    if not arms_path.is_file():
        raise InputError(
            "arm table not found; give reference.arms (chrom, arm, start, end) for a custom build",
            arms_path,
        )
    table = _arms_table(arms_path, contigs)
    out = {
        "fasta": outdir / "genome.fa",
        "gff3": outdir / "genes.gff3",
        "arms": outdir / "arms.tsv",
        "build": outdir / "build.txt",
    }
    with atomic_path(out["fasta"]) as tmp, _open_text(Path(fasta)) as src, open(tmp, "w") as dst:
        shutil.copyfileobj(src, dst)
    with atomic_path(out["gff3"]) as tmp, _open_text(gff3) as src, open(tmp, "w") as dst:
        shutil.copyfileobj(src, dst)
    with atomic_open(out["arms"]) as handle:
        table.to_csv(handle, sep="\t", index=False)
    with atomic_open(out["build"]) as handle:
        handle.write(build + "\n")
    return out
