"""Reference preparation and input checks run before alignment."""

from __future__ import annotations

import argparse
import json

from scce_genomics.fileio import atomic_open
from scce_genomics.reads import check_bam, check_fastq_pair
from scce_genomics.reference import fasta_contigs, prepare_reference

__all__ = ["add_commands"]


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "prepare-reference",
        help="write a plain FASTA, GFF3, arm table and build tag named like the FASTA",
    )
    p.add_argument("--fasta", required=True)
    p.add_argument("--gff3", required=True)
    p.add_argument("--arms", required=True, help="chrom, arm, start, end table")
    p.add_argument("--build", required=True, choices=("GRCh37", "GRCh38", "custom"))
    p.add_argument("--outdir", required=True)
    p.set_defaults(func=_prepare)

    c = sub.add_parser("check-reads", help="validate a FASTQ pair or a BAM before alignment")
    c.add_argument("--sample", required=True)
    c.add_argument("--unit", required=True)
    c.add_argument("--fq1", default="")
    c.add_argument("--fq2", default="")
    c.add_argument("--bam", default="")
    c.add_argument("--reference", default="", help="FASTA whose contigs the BAM must match")
    c.add_argument("--out", required=True, help="JSON with the read count")
    c.set_defaults(func=_check)


def _prepare(args: argparse.Namespace) -> int:
    prepare_reference(args.fasta, args.gff3, args.outdir, args.build, args.arms)
    return 0


def _check(args: argparse.Namespace) -> int:
    if args.bam:
        contigs = fasta_contigs(args.reference) if args.reference else None
        count = check_bam(args.bam, contigs)
        kind = "alignments"
    else:
        count = check_fastq_pair(args.fq1, args.fq2 or None)
        kind = "read_pairs" if args.fq2 else "reads"
    with atomic_open(args.out) as handle:
        json.dump({"sample": args.sample, "unit": args.unit, kind: count}, handle)
    return 0
