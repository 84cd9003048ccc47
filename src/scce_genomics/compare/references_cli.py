"""``scce-genomics reference build|trinucleotides``: reference profiles and assay opportunity."""

from __future__ import annotations

import argparse

__all__ = ["add_commands"]


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reference", help="build reference cohort profiles (ESCC, EAC, SCLC, ...)")
    rsub = p.add_subparsers(dest="reference_command", required=True, metavar="ACTION")
    b = rsub.add_parser("build", help="build a profile folder from MAF / seg / SBS96 / exposures")
    b.add_argument("--name", required=True, help="profile name, e.g. ESCC")
    b.add_argument("--outdir", required=True, help="profile folder to write")
    b.add_argument("--build", required=True, choices=["GRCh37", "GRCh38", "custom"])
    b.add_argument("--assay", required=True, choices=["exome", "genome"])
    b.add_argument("--maf", help="cohort MAF (MC3 style); non-silent mutations per patient")
    b.add_argument("--pass-only", action="store_true", help="keep only FILTER=PASS MAF rows")
    b.add_argument("--seg", help="segment file: ID, chrom, loc.start, loc.end, num.mark, seg.mean")
    b.add_argument("--sbs96", help="SBS96 count matrix (MutationType + one column per sample)")
    b.add_argument("--exposures", help="signature attribution table (samples as rows)")
    b.add_argument("--sample-prefix", help="keep SBS96 columns / exposure rows with this prefix")
    b.add_argument("--arm-frequencies", help="aggregate arm table: arm, n, gain_pct, loss_pct")
    b.add_argument("--arm-threshold", type=float, default=0.2, help="arm |mean log2| cut-off")
    b.add_argument(
        "--common-patients",
        action="store_true",
        help="keep only patients present in every per-patient source given",
    )
    b.add_argument(
        "--unavailable",
        action="append",
        default=[],
        metavar="FAMILY=REASON",
        help="a family the sources lack (sbs96, signatures, genes, arm_cnv, focal_cnv) and why; "
        "stored in profile.yaml and shown by the comparison (repeat)",
    )
    b.add_argument("--description", default="", help="one line stored in profile.yaml")
    b.add_argument("--source", action="append", default=[], help="source id/citation (repeat)")
    b.set_defaults(func=run_build)
    t = rsub.add_parser("trinucleotides", help="count trinucleotide opportunity of a FASTA")
    t.add_argument("--fasta", required=True)
    t.add_argument("--targets", help="BED of captured regions (exome/panel)")
    t.add_argument("--out", required=True, help="TSV: context, count")
    t.set_defaults(func=run_trinucleotides)


def run_build(args: argparse.Namespace) -> int:
    from scce_genomics.compare.references import build_reference, write_reference
    from scce_genomics.errors import InputError

    unavailable: dict[str, str] = {}
    for item in args.unavailable:
        family, sep, reason = item.partition("=")
        if not sep or not reason.strip():
            raise InputError(f"--unavailable needs FAMILY=REASON, got {item!r}")
        unavailable[family.strip()] = reason.strip()

    data = build_reference(
        args.name,
        build=args.build,
        assay=args.assay,
        maf=args.maf,
        seg=args.seg,
        sbs96=args.sbs96,
        exposures=args.exposures,
        arm_frequency_table=args.arm_frequencies,
        sample_prefix=args.sample_prefix,
        pass_only=args.pass_only,
        thresholds={"arm_log2": args.arm_threshold},
        meta={"description": args.description, "sources": list(args.source)},
        common_patients=args.common_patients,
        unavailable=unavailable,
    )
    write_reference(data, args.outdir)
    return 0


def run_trinucleotides(args: argparse.Namespace) -> int:
    import pandas as pd

    from scce_genomics.compare.references import count_trinucleotides
    from scce_genomics.fileio import write_tsv

    counts = count_trinucleotides(args.fasta, args.targets)
    write_tsv(pd.DataFrame({"context": counts.index, "count": counts.to_numpy()}), args.out)
    return 0
