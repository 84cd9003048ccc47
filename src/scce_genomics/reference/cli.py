"""``scce-genomics prepare-reference`` and ``prepare-targets``: the plain FASTA, GFF3, arm table
and targets BED the workflow uses."""

from __future__ import annotations

import argparse

__all__ = ["add_commands"]


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "prepare-reference",
        help="write a plain FASTA, GFF3, arm table and build tag named like the FASTA",
    )
    p.add_argument("--fasta", required=True, help="reference FASTA (plain, gzip or bgzip)")
    p.add_argument("--gff3", required=True, help="Ensembl-style GFF3 with gene records")
    p.add_argument("--arms", required=True, help="chrom, arm, start, end table")
    p.add_argument(
        "--build",
        required=True,
        choices=("GRCh37", "GRCh38", "custom"),
        help="genome build of the FASTA (custom: a synthetic genome)",
    )
    p.add_argument("--outdir", required=True, help="folder for the prepared files")
    p.set_defaults(func=_prepare)

    p = sub.add_parser(
        "prepare-targets",
        help="write the targets BED without header lines (bcftools stops at browser/track)",
    )
    p.add_argument("--bed", required=True, help="capture targets BED (plain or gzip)")
    p.add_argument("--out", required=True, help="plain BED, data lines only")
    p.set_defaults(func=_targets)


def _prepare(args: argparse.Namespace) -> int:
    from scce_genomics.reference.prepare import prepare_reference

    prepare_reference(args.fasta, args.gff3, args.outdir, args.build, args.arms)
    return 0


def _targets(args: argparse.Namespace) -> int:
    import sys

    from scce_genomics.reference.prepare import write_targets_bed

    count = write_targets_bed(args.bed, args.out)
    print(f"{count} target intervals", file=sys.stderr)
    return 0
