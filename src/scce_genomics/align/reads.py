"""Input read checks: catch truncated or malformed FASTQ/BAM before hours of alignment.

bwa reports a truncated gzip or an unpaired mate deep inside its own log, after the run; reading
each input once up front names the file and the record at fault instead.
"""

from __future__ import annotations

import gzip
import itertools
import zlib
from pathlib import Path

import pysam

from scce_genomics.errors import InputError
from scce_genomics.fileio import open_binary

__all__ = ["check_bam", "check_fastq_pair"]


def _records(path: Path):  # type: ignore[no-untyped-def]
    """Yield (record number, name) for each FASTQ record, checking the 4-line layout."""
    try:
        with open_binary(path) as handle:
            number = 0
            while True:
                lines = list(itertools.islice(handle, 4))
                if not lines:
                    return
                number += 1
                line_no = 4 * (number - 1) + 1
                if len(lines) < 4:
                    raise InputError(
                        f"record {number} is incomplete (file ends mid-record); the file is "
                        "truncated — copy it again",
                        path,
                        line_no,
                    )
                head, seq, plus, qual = (x.rstrip(b"\r\n") for x in lines)
                if not head.startswith(b"@") or not plus.startswith(b"+"):
                    raise InputError(
                        f"record {number} is not FASTQ (header must start with '@', third line "
                        "with '+')",
                        path,
                        line_no,
                    )
                if len(seq) != len(qual):
                    raise InputError(
                        f"record {number}: sequence and quality lengths differ "
                        f"({len(seq)} vs {len(qual)})",
                        path,
                        line_no,
                    )
                yield number, head[1:].split()[0]
    except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as err:
        raise InputError(
            f"corrupt or truncated compressed file ({err}); copy it again", path
        ) from None


def check_fastq_pair(fq1: str | Path, fq2: str | Path | None) -> int:
    """Validate one or two FASTQ files (mates in the same order); return the pair count."""
    fq1 = Path(fq1)
    if fq2 is None or str(fq2) == "":
        return sum(1 for _ in _records(fq1))
    fq2 = Path(fq2)
    count = 0
    for first, second in itertools.zip_longest(_records(fq1), _records(fq2)):
        if first is None or second is None:
            short = fq1 if first is None else fq2
            raise InputError(
                f"has fewer reads than its mate file (after {count} pairs); the pair is "
                "truncated or mismatched",
                short,
            )
        name1, name2 = first[1], second[1]
        if name1.removesuffix(b"/1") != name2.removesuffix(b"/2"):
            raise InputError(
                f"read {first[0]} is {name1.decode()!r} but its mate is {name2.decode()!r}; "
                "the two files are not in the same order",
                fq2,
                4 * (first[0] - 1) + 1,
            )
        count += 1
    if count == 0:
        raise InputError("no reads", fq1)
    return count


def check_bam(bam: str | Path, contigs: dict[str, int] | None) -> int:
    """Check a BAM/CRAM reads to the end and (given ``contigs``) names the reference's contigs."""
    bam = Path(bam)
    try:
        with pysam.AlignmentFile(str(bam), "rb", check_sq=False) as handle:
            header = {sq["SN"]: int(sq["LN"]) for sq in handle.header.to_dict().get("SQ", [])}
            count = sum(1 for _ in handle.fetch(until_eof=True))
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read BAM ({err}); is it truncated?", bam) from None
    if contigs is None:
        return count
    wrong = [c for c, n in header.items() if contigs.get(c) not in (None, n)]
    unknown = [c for c in header if c not in contigs]
    if wrong or (header and len(unknown) == len(header)):
        example = (wrong or unknown)[0]
        raise InputError(
            f"contig {example!r} of the BAM header does not match the reference FASTA "
            "(different name or length): the BAM was aligned to another reference; set "
            "alignment.realign_bam: true or use the matching reference",
            bam,
        )
    return count
