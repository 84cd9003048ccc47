"""``scce-genomics check-reads``: input checks run before alignment."""

from __future__ import annotations

import argparse
import json

__all__ = ["add_commands"]


def add_commands(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("check-reads", help="validate a FASTQ pair or a BAM before alignment")
    c.add_argument("--sample", required=True, help="sample name (for messages and the JSON)")
    c.add_argument("--unit", required=True, help="unit (lane) name")
    c.add_argument("--fq1", default="", help="FASTQ of read 1 (or single-end reads)")
    c.add_argument("--fq2", default="", help="FASTQ of read 2")
    c.add_argument("--bam", default="", help="BAM/CRAM instead of FASTQ")
    c.add_argument("--reference", default="", help="FASTA that decodes a CRAM")
    c.add_argument(
        "--match-reference",
        action="store_true",
        help="the BAM is used as given: its @SQ lines must match --reference",
    )
    c.add_argument("--out", required=True, help="JSON with the read count")
    c.set_defaults(func=_check)


def _check(args: argparse.Namespace) -> int:
    from scce_genomics.align.reads import check_bam, check_fastq_pair
    from scce_genomics.fileio import atomic_open
    from scce_genomics.reference.prepare import fasta_contigs

    if args.bam:
        contigs = fasta_contigs(args.reference) if args.match_reference else None
        count = check_bam(args.bam, contigs, args.reference)
        kind = "alignments"
    else:
        count = check_fastq_pair(args.fq1, args.fq2 or None)
        kind = "read_pairs" if args.fq2 else "reads"
    with atomic_open(args.out) as handle:
        json.dump({"sample": args.sample, "unit": args.unit, kind: count}, handle)
    return 0
