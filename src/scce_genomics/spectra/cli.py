"""``scce-genomics spectra|plot-spectra|spectra-opportunity`` commands."""

from __future__ import annotations

import argparse
import sys

from scce_genomics.errors import InputError

__all__ = ["add_commands"]


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "spectra",
        help="SBS96/SBS6/DBS78/ID83 matrices from somatic VCFs",
        description=(
            "Count each tumor's somatic variants into SigProfiler-format matrices, contexts "
            "read from the FASTA. Records that cannot be classified (non-A/C/G/T alleles, REF "
            "differing from the FASTA, contexts off a contig end or holding N, contigs absent "
            "from the FASTA) are counted per reason in skipped.tsv. VCFs called against "
            "another reference (contig naming style, contig lengths, positions past a contig "
            "end) are refused. FILTER '.' (no filter applied) counts as passing, with a notice."
        ),
    )
    p.add_argument(
        "--vcf",
        action="append",
        required=True,
        help="somatic VCF or BCF (plain or bgzipped) of one tumor; repeat per tumor",
    )
    p.add_argument(
        "--name",
        action="append",
        help="sample name per --vcf, in the same order (default: the VCF's ##tumor_sample, "
        "its only sample, or the file name); names must differ",
    )
    p.add_argument("--fasta", required=True, help="reference FASTA the calls were made against")
    p.add_argument(
        "--outdir", required=True, help="writes SBS96, SBS6, DBS78, ID83 and skipped .tsv here"
    )
    p.add_argument("--all-filters", action="store_true", help="count records of every FILTER value")
    p.add_argument(
        "--doublets-in-sbs",
        action="store_true",
        help="also count doublet bases in SBS96 (SigProfilerMatrixGenerator's counts)",
    )
    p.set_defaults(func=run_spectra)

    p = sub.add_parser("plot-spectra", help="SBS96 spectra and exposure plots (PNG)")
    p.add_argument("--matrix", required=True, help="SBS96 matrix (spectra/SBS96.tsv)")
    p.add_argument("--exposures", help="exposures table (signatures/SBS_exposures.tsv)")
    p.add_argument("--spectra-png", required=True, help="SBS96 spectra PNG")
    p.add_argument("--exposures-png", help="exposure bar chart PNG (needs --exposures)")
    p.add_argument("--fraction", action="store_true", help="plot fractions, not counts")
    p.set_defaults(func=run_plot)

    p = sub.add_parser(
        "spectra-opportunity", help="pyrimidine-centred trinucleotide counts of a FASTA"
    )
    p.add_argument("--fasta", required=True, help="reference FASTA (faidx-indexed)")
    p.add_argument(
        "--bed",
        help="count only contexts centred inside these intervals (BED, plain or gzipped, e.g. "
        "resources/genome/genes_GRCh38.bed.gz)",
    )
    p.add_argument("--out", required=True, help="TSV: context, count (32 pyrimidine contexts)")
    p.set_defaults(func=run_trinucleotides)


def run_spectra(args: argparse.Namespace) -> int:
    from scce_genomics.spectra.catalogues import build_catalogs, write_catalogs

    if args.name and len(args.name) != len(args.vcf):
        raise InputError(f"{len(args.name)} --name for {len(args.vcf)} --vcf; give one per VCF")
    catalogs = build_catalogs(
        args.vcf,
        args.fasta,
        names=args.name,
        pass_only=not args.all_filters,
        doublets_in_sbs=args.doublets_in_sbs,
    )
    write_catalogs(catalogs, args.outdir)
    for notice in catalogs.notices:
        print(f"notice: {notice}", file=sys.stderr)
    return 0


def run_plot(args: argparse.Namespace) -> int:
    import pandas as pd

    from scce_genomics.spectra.catalogues import read_matrix
    from scce_genomics.spectra.plots import plot_exposures, plot_sbs96, save_figure

    matrix = read_matrix(args.matrix)
    save_figure(plot_sbs96(matrix, fraction=args.fraction), args.spectra_png)
    if args.exposures_png:
        if not args.exposures:
            raise InputError("--exposures-png needs --exposures")
        table = pd.read_csv(args.exposures, sep="\t")
        save_figure(plot_exposures(table), args.exposures_png)
    return 0


def run_trinucleotides(args: argparse.Namespace) -> int:
    from scce_genomics.fileio import write_tsv
    from scce_genomics.spectra.catalogues import trinucleotide_opportunities

    counts = trinucleotide_opportunities(args.fasta, args.bed)
    write_tsv(counts.reset_index(), args.out)
    return 0
