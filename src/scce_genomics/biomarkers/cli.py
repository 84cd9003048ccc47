"""``scce-genomics msi …`` (scan, select, count, baseline, score) and ``biomarker-panel``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scce_genomics.errors import InputError

__all__ = ["add_commands"]


def _scan_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--min-homopolymer", type=int, default=10, help="shortest homopolymer (bp)")
    p.add_argument("--max-homopolymer", type=int, default=50, help="longest homopolymer (bp)")
    p.add_argument("--max-unit", type=int, default=6, help="longest repeat unit (bp)")
    p.add_argument("--min-repeats", type=int, default=5, help="fewest units of a 2-6 bp repeat")
    p.add_argument("--max-repeats", type=int, default=40, help="most units of a 2-6 bp repeat")
    p.add_argument("--flank", type=int, default=5, help="anchoring bases on each side")


def _score_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--min-coverage",
        type=int,
        default=15,
        help="spanning reads a site needs (in each sample) to be scored",
    )
    p.add_argument("--fdr", type=float, default=0.05, help="Benjamini-Hochberg FDR per site")
    p.add_argument(
        "--allele-fraction",
        type=float,
        default=0.2,
        help="share of the normal's reads that makes a repeat length one of its alleles",
    )
    p.add_argument(
        "--baseline-support",
        type=float,
        default=0.5,
        help="baseline: share of the normals that must cover a site for it to be kept",
    )
    p.add_argument(
        "--baseline-sd",
        type=float,
        default=3.0,
        help="tumor-only: SDs above the normals' mean slippage that make a site unstable",
    )
    p.add_argument(
        "--baseline-min-normals",
        type=int,
        default=5,
        help="tumor-only: fewest normals in the baseline for a score",
    )
    p.add_argument("--min-sites", type=int, default=50, help="fewest covered sites for a score")
    p.add_argument(
        "--threshold", type=float, default=3.5, help="MSI-H when the score is at least this (%%)"
    )


def add_commands(sub: argparse._SubParsersAction) -> None:
    msi = sub.add_parser("msi", help="microsatellite instability: scan, count, baseline, score")
    steps = msi.add_subparsers(dest="msi_command", required=True, metavar="STEP")

    p = steps.add_parser("scan", help="list the microsatellites of a reference FASTA")
    p.add_argument("--fasta", required=True, help="reference FASTA (plain or bgzipped)")
    _scan_options(p)
    p.add_argument("--out", required=True, help="site table (TSV, .gz for gzip)")
    p.set_defaults(func=_scan)

    p = steps.add_parser("select", help="sites inside the capture targets, thinned to a maximum")
    p.add_argument("--sites", required=True, help="site table from `msi scan`")
    p.add_argument("--targets", default="", help="capture BED (exome/panel); empty: all sites")
    p.add_argument("--max-sites", type=int, default=0, help="keep at most this many (0: all)")
    p.add_argument("--out", required=True, help="selected site table")
    p.set_defaults(func=_select)

    p = steps.add_parser("count", help="repeat lengths of the reads spanning each site")
    p.add_argument("--sites", required=True, help="site table")
    p.add_argument("--bam", required=True, help="indexed BAM or CRAM")
    p.add_argument("--reference", default=None, help="reference FASTA (needed for CRAM)")
    p.add_argument("--min-mapq", type=int, default=20, help="lowest mapping quality counted")
    p.add_argument("--out", required=True, help="counts (chrom, start, repeats, reads)")
    p.set_defaults(func=_count)

    p = steps.add_parser(
        "baseline", help="tumor-only baseline from normals (BAMs or `msi count` tables)"
    )
    p.add_argument("--sites", required=True, help="site table the normals were counted on")
    p.add_argument("--normals", nargs="+", required=True, help="normal BAM/CRAM or counts files")
    p.add_argument("--reference", default=None, help="reference FASTA (needed for CRAM)")
    p.add_argument("--min-mapq", type=int, default=20, help="lowest mapping quality counted")
    _score_options(p)
    p.add_argument("--out", required=True, help="baseline table")
    p.set_defaults(func=_baseline)

    p = steps.add_parser("score", help="MSI score of a tumor (with its normal or a baseline)")
    p.add_argument("--sample", required=True, help="tumor name written in the result")
    p.add_argument("--sites", required=True, help="site table")
    p.add_argument("--tumor", required=True, help="tumor counts from `msi count`")
    comparator = p.add_mutually_exclusive_group()
    comparator.add_argument("--normal", help="matched normal counts: tumor-normal mode")
    comparator.add_argument(
        "--baseline", help="baseline from `msi baseline`: tumor-only mode (neither: no score)"
    )
    p.add_argument("--normal-name", default="", help="matched normal's name, for the record")
    _score_options(p)
    p.add_argument("--out", required=True, help="one-row summary TSV")
    p.add_argument("--out-sites", required=True, help="per-site results (TSV, .gz for gzip)")
    p.set_defaults(func=_score)

    b = sub.add_parser("biomarker-panel", help="TMB, MSI and HRD per tumor in one table")
    b.add_argument("--tumors", nargs="+", required=True, help="tumor names (one row each)")
    b.add_argument("--tmb", required=True, help="somatic/tmb.tsv")
    b.add_argument("--msi", nargs="*", default=[], help="MSI summaries from `msi score`")
    b.add_argument(
        "--hrd",
        default="",
        help="HRD table (sample, hrd_sum[, hrd_loh, tai, lst, status, reason]); empty: none",
    )
    b.add_argument(
        "--reference", default="", help="reference profile folder for the TMB distribution"
    )
    b.add_argument("--tmb-threshold", type=float, default=10.0, help="TMB-high cut-off (/Mb)")
    b.add_argument(
        "--min-territory-mb",
        type=float,
        default=1.0,
        help="callable Mb below which TMB is given but not classified",
    )
    b.add_argument("--out", required=True, help="panel TSV (one row per tumor)")
    b.add_argument(
        "--out-reference",
        default="",
        help="the reference's per-patient SNVs/Mb (TSV; header only without --reference)",
    )
    b.set_defaults(func=_panel)


def _scan_params(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from scce_genomics.biomarkers.microsatellites import ScanParams

    return ScanParams(
        min_homopolymer=args.min_homopolymer,
        max_homopolymer=args.max_homopolymer,
        max_unit=args.max_unit,
        min_repeats=args.min_repeats,
        max_repeats=args.max_repeats,
        flank=args.flank,
    )


def _msi_params(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from scce_genomics.biomarkers.msi import MsiParams

    return MsiParams(
        min_coverage=args.min_coverage,
        fdr=args.fdr,
        allele_fraction=args.allele_fraction,
        baseline_support=args.baseline_support,
        baseline_sd=args.baseline_sd,
        baseline_min_normals=args.baseline_min_normals,
        min_sites=args.min_sites,
        threshold=args.threshold,
    )


def _scan(args: argparse.Namespace) -> int:
    from scce_genomics.biomarkers.microsatellites import scan_fasta, write_sites

    sites = scan_fasta(args.fasta, _scan_params(args))
    write_sites(sites, args.out)
    print(f"{len(sites)} microsatellites", file=sys.stderr)
    return 0


def _select(args: argparse.Namespace) -> int:
    from scce_genomics.biomarkers.microsatellites import read_sites, select_sites, write_sites
    from scce_genomics.somatic.cli import read_bed

    targets = read_bed(args.targets) if args.targets else None
    sites = select_sites(read_sites(args.sites), targets, args.max_sites)
    write_sites(sites, args.out)
    print(f"{len(sites)} microsatellites selected", file=sys.stderr)
    return 0


def _count(args: argparse.Namespace) -> int:
    from scce_genomics.biomarkers.lengths import CountParams, count_lengths, write_counts
    from scce_genomics.biomarkers.microsatellites import read_sites

    counts = count_lengths(
        args.bam, read_sites(args.sites), CountParams(min_mapq=args.min_mapq), args.reference
    )
    write_counts(counts, args.out)
    return 0


def _baseline(args: argparse.Namespace) -> int:
    from scce_genomics.biomarkers.lengths import (
        CountParams,
        count_lengths,
        length_matrix,
        read_counts,
    )
    from scce_genomics.biomarkers.microsatellites import read_sites
    from scce_genomics.biomarkers.msi import BASELINE_COLUMNS, build_baseline
    from scce_genomics.fileio import write_tsv

    params = _msi_params(args)
    sites = read_sites(args.sites)
    count = CountParams(min_mapq=args.min_mapq)
    matrices = []
    for path in args.normals:
        if path.endswith((".bam", ".cram")):
            counts = count_lengths(path, sites, count, args.reference)
        else:
            counts = read_counts(path)
        matrices.append(length_matrix(counts, sites, count.max_shift))
    baseline = build_baseline(sites, matrices, params)
    write_tsv(baseline[BASELINE_COLUMNS], args.out)
    print(f"baseline of {len(args.normals)} normals: {len(baseline)} sites", file=sys.stderr)
    return 0


def _score(args: argparse.Namespace) -> int:
    import pandas as pd

    from scce_genomics.biomarkers.lengths import CountParams, length_matrix, read_counts
    from scce_genomics.biomarkers.microsatellites import read_sites
    from scce_genomics.biomarkers.msi import (
        not_computed,
        read_baseline,
        score_paired,
        score_tumor_only,
    )
    from scce_genomics.fileio import write_tsv

    params = _msi_params(args)
    sites = read_sites(args.sites)
    shift = CountParams().max_shift
    tumor = length_matrix(read_counts(args.tumor), sites, shift)
    if args.normal:
        normal = length_matrix(read_counts(args.normal), sites, shift)
        detail, summary = score_paired(sites, tumor, normal, params, args.normal_name)
    elif args.baseline:
        baseline = read_baseline(args.baseline)
        name = Path(args.baseline).name
        detail, summary = score_tumor_only(sites, tumor, baseline, params, name)
    else:
        reason = (
            "tumor-only and no baseline of normals (add normals to the sheet or set "
            "biomarkers.msi.baseline)"
        )
        detail, summary = pd.DataFrame(), not_computed(params, "tumor-only", reason)
        summary["compared_with"] = "nothing"
    write_tsv(pd.DataFrame([{"sample": args.sample, **summary}]), args.out)
    write_tsv(detail, args.out_sites)
    print(f"{args.sample}: {summary['msi_status']} ({summary['msi_score']})", file=sys.stderr)
    return 0


def _panel(args: argparse.Namespace) -> int:
    import pandas as pd

    from scce_genomics.biomarkers.panel import PanelParams, build_panel, reference_tmb
    from scce_genomics.fileio import write_tsv

    if not args.tumors:
        raise InputError("--tumors needs at least one tumor")
    reference = reference_tmb(args.reference) if args.reference else None
    params = PanelParams(args.tmb_threshold, args.min_territory_mb)
    panel = build_panel(args.tumors, args.tmb, args.msi, args.hrd, reference, params)
    write_tsv(panel, args.out)
    if args.out_reference:  # empty (header only) without a reference
        values = reference.values if reference is not None else pd.Series(dtype=float)
        table = pd.DataFrame({"sample": values.index.astype(str), "snv_per_mb": values.to_numpy()})
        write_tsv(table, args.out_reference)
    return 0
