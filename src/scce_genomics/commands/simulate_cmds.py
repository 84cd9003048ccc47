"""``scce-genomics simulate``: a synthetic cohort with truth, for the demo, tests and benchmarks."""

from __future__ import annotations

import argparse
import json
from fractions import Fraction

from scce_genomics.simulate import PROFILES, CohortSpec, simulate_cohort

__all__ = ["add_commands"]


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="write a synthetic tumor/normal cohort (reference, FASTQ, truth, sample sheets)",
        description="Deterministic from --seed: the same arguments give the same files.",
    )
    d = CohortSpec()
    p.add_argument("--outdir", required=True, help="directory to write into")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--patients", type=int, default=d.patients)
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
    p.add_argument("--tumor-depth", type=float, default=d.tumor_depth)
    p.add_argument("--normal-depth", type=float, default=d.normal_depth)
    p.add_argument("--read-length", type=int, default=d.read_length)
    p.add_argument("--units", type=int, default=d.units_per_sample, help="lanes per sample")
    p.add_argument("--snvs", type=int, default=d.snvs, help="somatic SNVs per tumor")
    p.add_argument(
        "--ffpe-rate",
        type=float,
        default=d.ffpe_rate,
        help="per-C deamination rate on FFPE tumors (0 for none)",
    )
    p.add_argument("--assay", choices=("wgs", "exome"), default=d.assay)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
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
    )
    summary = simulate_cohort(args.outdir, spec)
    print(json.dumps({"samples": [s["sample"] for s in summary["samples"]]}))  # type: ignore[index]
    return 0
