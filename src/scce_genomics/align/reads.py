"""Input read checks: catch truncated or malformed FASTQ/BAM before hours of alignment.

bwa reports a truncated gzip or an unpaired mate deep inside its own log, after the run; reading
each input once up front names the file and the record at fault instead.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pysam

from scce_genomics.errors import InputError
from scce_genomics.fileio import open_binary

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "alignment_contigs",
    "check_bam",
    "check_bam_units",
    "check_fastq_pair",
    "compare_contigs",
    "is_cram",
]


_BLOCK = 1 << 22


def _record_lines(path: Path) -> Iterator[list[bytes]]:
    """The file's lines, in runs of whole 4-line records (blocks of a few MB, CR/LF-safe)."""
    number = 0  # records yielded so far
    try:
        with open_binary(path) as handle:
            rest = b""
            lines: list[bytes] = []
            while True:
                block = handle.read(_BLOCK)
                if block:
                    data = rest + block
                    if b"\r" in data:
                        data = data.replace(b"\r\n", b"\n")
                    split = data.split(b"\n")
                    rest = split.pop()  # the block's last, unfinished line
                else:  # a last line without its newline
                    split, rest = ([rest.rstrip(b"\r")] if rest else []), b""
                lines += split
                whole = len(lines) - len(lines) % 4
                if whole:
                    yield lines[:whole]
                    number += whole // 4
                    lines = lines[whole:]
                if not block:
                    break
            if lines:
                raise InputError(
                    f"record {number + 1} is incomplete (file ends mid-record); the file is "
                    "truncated — copy it again",
                    path,
                    4 * number + 1,
                )
    except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as err:
        raise InputError(
            f"corrupt or truncated compressed file ({err}); copy it again", path
        ) from None


def _name_blocks(path: Path) -> Iterator[list[bytes]]:
    """Per block of records: their read names, after checking each record's 4-line layout.

    Checks run on whole blocks (bytes joins and length lists, no per-record Python loop); the
    record at fault is searched for only when a block fails.
    """
    number = 0
    for lines in _record_lines(path):
        heads, seqs, pluses, quals = lines[0::4], lines[1::4], lines[2::4], lines[3::4]
        n = len(heads)
        layout_ok = (
            b"".join(h[:1] for h in heads) == b"@" * n
            and b"".join(p[:1] for p in pluses) == b"+" * n
        )
        if not layout_ok:
            bad = next(i for i in range(n) if heads[i][:1] != b"@" or pluses[i][:1] != b"+")
            raise InputError(
                f"record {number + bad + 1} is not FASTQ (header must start with '@', third "
                "line with '+')",
                path,
                4 * (number + bad) + 1,
            )
        seq_lengths, qual_lengths = list(map(len, seqs)), list(map(len, quals))
        if seq_lengths != qual_lengths:
            bad = next(i for i in range(n) if seq_lengths[i] != qual_lengths[i])
            raise InputError(
                f"record {number + bad + 1}: sequence and quality lengths differ "
                f"({seq_lengths[bad]} vs {qual_lengths[bad]})",
                path,
                4 * (number + bad) + 1,
            )
        yield [(h[1:].split(None, 1) or [b""])[0] for h in heads]
        number += n


def _same_fragments(first: list[bytes], second: list[bytes]) -> int | None:
    """Index of the first pair whose names differ (ignoring /1 and /2), or None."""
    if first == second:
        return None
    if [x.removesuffix(b"/1") for x in first] == [y.removesuffix(b"/2") for y in second]:
        return None
    return next(
        i
        for i, (x, y) in enumerate(zip(first, second, strict=True))
        if x.removesuffix(b"/1") != y.removesuffix(b"/2")
    )


def check_fastq_pair(fq1: str | Path, fq2: str | Path | None) -> int:
    """Validate one or two FASTQ files (mates in the same order); return the pair count."""
    fq1 = Path(fq1)
    if fq2 is None or str(fq2) == "":
        return sum(len(names) for names in _name_blocks(fq1))
    fq2 = Path(fq2)
    count = 0
    mates = _name_blocks(fq2)
    waiting: list[bytes] = []  # names of fq2 read ahead of fq1

    def short(path: Path) -> InputError:
        return InputError(
            f"has fewer reads than its mate file (after {count} pairs); the pair is "
            "truncated or mismatched",
            path,
        )

    for names in _name_blocks(fq1):
        while len(waiting) < len(names):
            more = next(mates, None)
            if more is None:
                count += _checked(names[: len(waiting)], waiting, count, fq2)
                raise short(fq2)
            waiting += more
        count += _checked(names, waiting[: len(names)], count, fq2)
        waiting = waiting[len(names) :]
    if waiting or next(mates, None) is not None:
        raise short(fq1)
    if count == 0:
        raise InputError("no reads", fq1)
    return count


def _checked(first: list[bytes], second: list[bytes], before: int, fq2: Path) -> int:
    """The number of pairs in two equal-length name lists; an error at the first mismatch."""
    bad = _same_fragments(first, second)
    if bad is not None:
        record = before + bad + 1
        raise InputError(
            f"read {record} is {first[bad].decode()!r} but its mate is "
            f"{second[bad].decode()!r}; the two files are not in the same order",
            fq2,
            4 * (record - 1) + 1,
        )
    return len(first)


def alignment_contigs(bam: str | Path) -> dict[str, int]:
    """``@SQ`` names and lengths of a BAM/CRAM header (read without the reference)."""
    try:
        with pysam.AlignmentFile(str(bam), "r", check_sq=False) as handle:
            header = handle.header.to_dict()
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read the BAM/CRAM header ({err}); is it a BAM?", bam) from None
    return {str(sq["SN"]): int(sq["LN"]) for sq in header.get("SQ", [])}


def compare_contigs(bam_contigs: dict[str, int], reference: dict[str, int]) -> str:
    """Why a BAM's ``@SQ`` lines do not fit the reference ('' when every one does).

    Every contig of the BAM must be in the reference with the same length: reads on a contig
    the reference lacks, or of another length (another build or patch), cannot be piled up
    against it. The reference may hold more contigs than the BAM.
    """
    if not bam_contigs:
        return "the header has no @SQ lines (unaligned reads?)"
    missing = [c for c in bam_contigs if c not in reference]
    other = [c for c, n in bam_contigs.items() if c in reference and reference[c] != n]
    if other:
        c = other[0]
        return (
            f"{len(other)} contig(s) differ in length from the reference FASTA, e.g. {c!r} is "
            f"{bam_contigs[c]:,} bp in the BAM but {reference[c]:,} bp in the FASTA"
        )
    if missing:
        return (
            f"{len(missing)} of {len(bam_contigs)} contig(s) are not in the reference FASTA, "
            f"e.g. {missing[0]!r} (FASTA has {', '.join(list(reference)[:3])}, ...)"
        )
    return ""


def check_bam(bam: str | Path, contigs: dict[str, int] | None, reference: str | Path = "") -> int:
    """Read a BAM/CRAM to the end (a truncated file fails here) and count its records.

    With ``contigs`` its ``@SQ`` lines must fit them (:func:`compare_contigs`); a CRAM is
    decoded with ``reference``.
    """
    bam = Path(bam)
    if contigs is not None:
        problem = compare_contigs(alignment_contigs(bam), contigs)
        if problem:
            raise InputError(
                f"the BAM header does not match the reference: {problem}; the BAM was aligned "
                "to another reference: set alignment.realign_bam: true or use the matching "
                "reference",
                bam,
            )
    try:
        with pysam.AlignmentFile(
            str(bam), "r", check_sq=False, reference_filename=str(reference) or None
        ) as handle:
            count = sum(1 for _ in handle.fetch(until_eof=True))
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read BAM/CRAM ({err}); is it truncated?", bam) from None
    if count == 0:
        raise InputError("the BAM/CRAM holds no reads", bam)
    return count


def is_cram(path: str | Path) -> bool:
    """CRAM files start with the magic bytes ``CRAM``."""
    with open(path, "rb") as probe:
        return probe.read(4) == b"CRAM"


def check_bam_units(
    units: pd.DataFrame,
    units_path: str | Path,
    reference: Callable[[], dict[str, int]],
    realign_bam: bool,
) -> None:
    """Start-up check of the BAM/CRAM inputs of ``units.tsv`` against the reference FASTA.

    A BAM used as given (``realign_bam: false``) and every CRAM (decoded with the reference)
    must have the reference's contigs, names and lengths; found now, before any job runs, a
    mismatch cannot stop the run hours later. ``reference`` returns the FASTA's contig lengths
    and is called only when a unit needs it.
    """
    contigs: dict[str, int] | None = None
    for row in units.itertuples(index=False):
        bam = str(getattr(row, "bam", "") or "")
        if not bam:
            continue
        cram = is_cram(bam)
        if realign_bam and not cram:
            continue
        if contigs is None:
            contigs = reference()
        problem = compare_contigs(alignment_contigs(bam), contigs)
        if problem:
            why = (
                "a CRAM is decoded with the reference FASTA, so it must be the one the CRAM was "
                "written with; convert it to BAM with its own reference (samtools view -b -T)"
                if cram
                else "the BAM is used as given (alignment.realign_bam: false); set "
                "alignment.realign_bam: true to realign its reads, or use its reference"
            )
            raise InputError(
                f"column bam: sample {row.sample!r} unit {row.unit!r}: {bam}: {problem}; {why}",
                units_path,
                int(getattr(row, "sheet_line", 0)) or None,
            )
