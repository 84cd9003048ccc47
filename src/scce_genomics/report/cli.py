"""``scce-genomics report`` (the HTML report) and ``scce-genomics versions`` (tool versions)."""

from __future__ import annotations

import argparse

__all__ = ["add_commands"]


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="one self-contained HTML report of a run (tables also written as TSV)",
        description="Build results/report/report.html from the stages' outputs; missing or "
        "empty inputs are reported as not computed, with the reason.",
    )
    p.add_argument("--results", default="results", help="the run's output folder")
    p.add_argument(
        "--config",
        action="append",
        default=[],
        help="config YAML shown in the methods and read for report/comparison settings "
        "(repeat: later files override earlier ones)",
    )
    p.add_argument("--config-json", default=None, help="config as JSON (applied last)")
    p.add_argument("--samples", default=None, help="samples.tsv (default: from qc/qc_table.tsv)")
    p.add_argument("--out", default=None, help="HTML path (default: RESULTS/report/report.html)")
    p.set_defaults(func=run_report)

    v = sub.add_parser(
        "versions",
        help="versions of the programs and packages this environment runs (TSV)",
    )
    v.add_argument("--out", required=True, help="TSV path")
    v.set_defaults(func=run_versions)


def run_report(args: argparse.Namespace) -> int:
    from scce_genomics.report.build import build_report, load_config

    config = load_config(args.config, args.config_json)
    out = args.out or f"{args.results.rstrip('/')}/report/report.html"
    built = build_report(args.results, out, config=config, samples=args.samples)
    issues = built["issues"]
    print(f"report: {built['html']} ({len(built['tables'])} tables, {len(issues)} not computed)")
    return 0


def run_versions(args: argparse.Namespace) -> int:
    from scce_genomics.report.versions import write_versions

    table = write_versions(args.out)
    missing = table[table["status"] != "ok"]
    for _, row in missing.iterrows():
        print(f"warning: {row['name']}: {row['status']}")
    return 0
