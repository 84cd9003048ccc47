"""``scce-genomics simulate``: a synthetic cohort with truth, for the demo, tests and benchmarks."""

from __future__ import annotations

import argparse
import json
from fractions import Fraction

from scce_genomics.errors import InputError

__all__ = ["add_commands"]


def add_commands(sub: argparse._SubParsersAction) -> None:
    from scce_genomics.simulate.spec import PROFILES, CohortSpec

    p = sub.add_parser(
        "simulate",
        help="write a synthetic tumor/normal cohort (reference, FASTQ, truth, sample sheets)",
        description="Deterministic from --seed: the same arguments give the same files.",
    )
    d = CohortSpec()
    p.add_argument("--outdir", required=True, help="directory to write into")
    p.add_argument(
        "--seed",
        type=int,
        default=d.seed,
        help="random seed; the same seed and options give identical files",
    )
    p.add_argument(
        "--patients",
        type=int,
        default=d.patients,
        help="number of patients (each a tumor, most with a matched normal)",
    )
    p.add_argument(
        "--profiles",
        default=",".join(d.profiles),
        help=f"comma-separated tumor profiles, cycled over patients ({', '.join(PROFILES)})",
    )
    p.add_argument(
        "--tumor-only",
        type=int,
        default=d.tumor_only,
        help="how many of the last patients have no matched normal",
    )
    p.add_argument(
        "--scale",
        default="1/400",
        help="chromosome length as a fraction of the real one (e.g. 1/400)",
    )
    p.add_argument("--tumor-depth", type=float, default=d.tumor_depth, help="mean tumor read depth")
    p.add_argument(
        "--normal-depth", type=float, default=d.normal_depth, help="mean normal read depth"
    )
    p.add_argument(
        "--read-length", type=int, default=d.read_length, help="read length of each mate (bp)"
    )
    p.add_argument("--units", type=int, default=d.units_per_sample, help="lanes per sample")
    p.add_argument("--snvs", type=int, default=d.snvs, help="somatic SNVs per tumor")
    p.add_argument(
        "--ffpe-rate",
        type=float,
        default=d.ffpe_rate,
        help="per-C deamination rate on FFPE tumors (0 for none)",
    )
    p.add_argument(
        "--assay",
        choices=("wgs", "exome"),
        default=d.assay,
        help="wgs, or exome (reads only inside capture targets, with a targets BED)",
    )
    p.add_argument(
        "--fasta",
        default="",
        help="plant the tumors in this real sequence (FASTA, plain or gzipped; e.g. "
        "resources/real/hg38_chr21_22-23Mb/hg38_chr21_22000000_23000000.fasta) instead of a "
        "random genome; --scale is then unused",
    )
    p.add_argument(
        "--region",
        default="",
        help="with --fasta: take only this piece, chr:start-end (1-based), e.g. of a whole "
        "chromosome (memory grows ~40 bytes per base)",
    )
    p.add_argument(
        "--arms",
        default="",
        help="with --fasta: arm table (chrom, arm, start, end) in the FASTA's coordinates; "
        "default: each contig split into p/q halves",
    )
    p.add_argument(
        "--vaf-bins",
        default="",
        help="comma-separated VAFs (e.g. 0.03,0.05,0.1,0.2,0.4): plant every somatic variant at "
        "one of them, in equal numbers, on a copy-neutral tumor (for benchmarks)",
    )
    p.add_argument(
        "--contaminate-normal",
        type=float,
        default=d.contaminate_normal,
        metavar="FRACTION",
        help="mix each normal with another individual's germline DNA at this fraction",
    )
    p.add_argument(
        "--sex-chromosomes",
        action="store_true",
        help="add chrX and chrY to the synthetic genome (female XX, male XY)",
    )
    p.add_argument(
        "--sex",
        default=d.sex,
        help="female or male, or a comma-separated list cycled over patients (e.g. male,female)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scce_genomics.simulate.cohort import simulate_cohort
    from scce_genomics.simulate.spec import CohortSpec

    spec = CohortSpec(
        patients=args.patients,
        profiles=tuple(x.strip() for x in args.profiles.split(",") if x.strip()),
        tumor_only=args.tumor_only,
        scale=float(Fraction(args.scale)),
        tumor_depth=args.tumor_depth,
        normal_depth=args.normal_depth,
        read_length=args.read_length,
        units_per_sample=args.units,
        snvs=args.snvs,
        ffpe_rate=args.ffpe_rate,
        assay=args.assay,
        seed=args.seed,
        fasta=args.fasta,
        region=args.region,
        arms=args.arms,
        vaf_bins=_floats(args.vaf_bins, "--vaf-bins"),
        contaminate_normal=args.contaminate_normal,
        sex_chromosomes=args.sex_chromosomes,
        sexes=tuple(x.strip() for x in args.sex.split(",") if x.strip()),
    )
    summary = simulate_cohort(args.outdir, spec)
    print(json.dumps({"samples": [s["sample"] for s in summary["samples"]]}))
    return 0


def _floats(text: str, option: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise InputError(f"{option} takes comma-separated numbers, got {text!r}") from None
