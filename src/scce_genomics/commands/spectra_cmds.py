"""``scce-genomics spectra|signatures|plot-spectra|spectra-opportunity`` commands."""

from __future__ import annotations

import argparse

from scce_genomics.errors import InputError
from scce_genomics.fileio import write_tsv

__all__ = ["add_commands"]


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("spectra", help="SBS96/SBS6/DBS78/ID83 matrices from somatic VCFs")
    p.add_argument("--vcf", action="append", required=True, help="somatic VCF (repeat per tumor)")
    p.add_argument(
        "--name", action="append", help="sample name per --vcf (default: VCF tumor sample)"
    )
    p.add_argument("--fasta", required=True, help="reference FASTA (faidx-indexed)")
    p.add_argument("--outdir", required=True, help="writes SBS96/SBS6/DBS78/ID83/skipped .tsv")
    p.add_argument("--all-filters", action="store_true", help="keep non-PASS records too")
    p.add_argument(
        "--doublets-in-sbs",
        action="store_true",
        help="also count doublet bases in SBS96 (SigProfilerMatrixGenerator's counts)",
    )
    p.set_defaults(func=run_spectra)

    p = sub.add_parser("signatures", help="COSMIC signature exposures with bootstrap CIs")
    p.add_argument("--matrix", required=True, help="SigProfiler-format matrix (SBS96.tsv ...)")
    p.add_argument("--out", required=True, help="long exposures table (per sample)")
    p.add_argument("--summary", help="per-sample fit summary TSV (cosine, residual, flag)")
    p.add_argument("--cohort-out", help="pooled-cohort exposures TSV")
    p.add_argument("--kind", default="SBS", choices=("SBS", "DBS", "ID"))
    p.add_argument("--cosmic-version", default="3.4")
    p.add_argument("--build", default="GRCh38", help="GRCh37 or GRCh38 (custom: GRCh38)")
    p.add_argument("--exome", action="store_true", help="exome-normalised COSMIC signatures")
    p.add_argument("--signature-file", help="COSMIC-format signature table instead")
    p.add_argument(
        "--candidates", default="default", help="comma-separated names, 'default' or 'all'"
    )
    p.add_argument("--background", default="SBS1,SBS5", help="always-kept signatures ('' none)")
    p.add_argument("--min-mutations", type=int, default=50)
    p.add_argument("--bootstrap", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--add-penalty", type=float, default=0.01)
    p.add_argument("--remove-penalty", type=float, default=0.005)
    p.add_argument("--initial-remove-penalty", type=float, default=0.01)
    p.add_argument(
        "--metric",
        default="cosine",
        choices=("cosine", "l2"),
        help="selection score: reconstruction cosine, or relative L2 error (SigProfilerAssignment)",
    )
    p.set_defaults(func=run_signatures)

    p = sub.add_parser("plot-spectra", help="SBS96 spectra and exposure plots (PNG)")
    p.add_argument("--matrix", required=True, help="SBS96.tsv")
    p.add_argument("--exposures", help="SBS_exposures.tsv")
    p.add_argument("--spectra-png", required=True)
    p.add_argument("--exposures-png")
    p.add_argument("--fraction", action="store_true", help="plot fractions, not counts")
    p.set_defaults(func=run_plot)

    p = sub.add_parser(
        "spectra-opportunity", help="pyrimidine-centred trinucleotide counts of a FASTA"
    )
    p.add_argument("--fasta", required=True)
    p.add_argument("--bed", help="count only inside these intervals")
    p.add_argument("--out", required=True, help="TSV: context, count")
    p.set_defaults(func=run_trinucleotides)


def run_spectra(args: argparse.Namespace) -> int:
    from scce_genomics.spectra import build_catalogs, write_catalogs

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
    return 0


def run_signatures(args: argparse.Namespace) -> int:
    from scce_genomics.signatures import (
        DEFAULT_CANDIDATES,
        FitSettings,
        fit_cohort,
        fit_samples,
        load_signatures,
    )
    from scce_genomics.spectra import read_matrix

    matrix = read_matrix(args.matrix)
    build = args.build if args.build in ("GRCh37", "GRCh38") else "GRCh38"
    sigs = load_signatures(args.kind, args.cosmic_version, build, args.exome, args.signature_file)
    candidates: list[str] | str = args.candidates
    if args.candidates == "default":
        candidates = list(DEFAULT_CANDIDATES) if args.kind == "SBS" else "all"
    background = tuple(
        b for b in (x.strip() for x in args.background.split(",")) if b and b in sigs.columns
    )
    settings = FitSettings(
        add_penalty=args.add_penalty,
        remove_penalty=args.remove_penalty,
        initial_remove_penalty=args.initial_remove_penalty,
        min_mutations=args.min_mutations,
        bootstrap=args.bootstrap,
        seed=args.seed,
        background=background,
        metric=args.metric,
    )
    result = fit_samples(matrix, sigs, candidates, settings)
    write_tsv(result.long(), args.out)
    if args.summary:
        write_tsv(result.summary, args.summary)
    if args.cohort_out:
        write_tsv(fit_cohort(matrix, sigs, candidates, settings).long(), args.cohort_out)
    return 0


def run_plot(args: argparse.Namespace) -> int:
    import pandas as pd

    from scce_genomics.spectra import read_matrix
    from scce_genomics.spectra_plots import plot_exposures, plot_sbs96, save_figure

    matrix = read_matrix(args.matrix)
    save_figure(plot_sbs96(matrix, fraction=args.fraction), args.spectra_png)
    if args.exposures_png:
        if not args.exposures:
            raise InputError("--exposures-png needs --exposures")
        table = pd.read_csv(args.exposures, sep="\t")
        save_figure(plot_exposures(table), args.exposures_png)
    return 0


def run_trinucleotides(args: argparse.Namespace) -> int:
    from scce_genomics.spectra import trinucleotide_opportunities

    counts = trinucleotide_opportunities(args.fasta, args.bed)
    write_tsv(counts.reset_index(), args.out)
    return 0
