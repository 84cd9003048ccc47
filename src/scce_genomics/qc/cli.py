"""``scce-genomics qc-table``: the per-sample QC table with pass/warn/fail verdicts."""

from __future__ import annotations

import argparse
import json

__all__ = ["add_commands"]


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("qc-table", help="one QC row per sample with a pass/warn/fail verdict")
    p.add_argument("--samples", required=True, help="samples.tsv")
    p.add_argument("--stats", nargs="+", required=True, help="samtools stats outputs")
    p.add_argument("--mosdepth", nargs="+", required=True, help="mosdepth summary files")
    p.add_argument("--names", nargs="+", required=True, help="sample names, same order")
    p.add_argument("--thresholds", required=True, help="JSON of the config's qc section")
    p.add_argument("--targeted", action="store_true", help="exome/panel: report on-target rate")
    p.add_argument("--out", required=True, help="QC table TSV (one row per sample)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scce_genomics.fileio import write_tsv
    from scce_genomics.qc.table import qc_table
    from scce_genomics.samples import load_samples

    samples = load_samples(args.samples)
    samples = samples.loc[args.names]
    table = qc_table(
        samples,
        dict(zip(args.names, args.stats, strict=True)),
        dict(zip(args.names, args.mosdepth, strict=True)),
        json.loads(args.thresholds),
        args.targeted,
    )
    write_tsv(table, args.out)
    return 0
