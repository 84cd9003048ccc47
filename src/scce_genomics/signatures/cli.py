"""``scce-genomics signatures``: COSMIC exposures of a SigProfiler-format matrix."""

from __future__ import annotations

import argparse

__all__ = ["add_commands"]


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("signatures", help="COSMIC signature exposures with bootstrap CIs")
    p.add_argument("--matrix", required=True, help="SigProfiler-format matrix (SBS96.tsv ...)")
    p.add_argument("--out", required=True, help="long exposures table (per sample)")
    p.add_argument("--summary", help="per-sample fit summary TSV (cosine, residual, flag)")
    p.add_argument("--cohort-out", help="pooled-cohort exposures TSV")
    p.add_argument(
        "--kind",
        default="SBS",
        choices=("SBS", "DBS", "ID"),
        help="signature family of the matrix: SBS, DBS or ID",
    )
    p.add_argument(
        "--cosmic-version",
        default="3.4",
        help="COSMIC signature version bundled with SigProfilerAssignment",
    )
    p.add_argument("--build", default="GRCh38", help="GRCh37 or GRCh38 (custom: GRCh38)")
    p.add_argument("--exome", action="store_true", help="exome-normalised COSMIC signatures")
    p.add_argument("--signature-file", help="COSMIC-format signature table instead")
    p.add_argument(
        "--candidates", default="default", help="comma-separated names, 'default' or 'all'"
    )
    p.add_argument("--background", default="SBS1,SBS5", help="always-kept signatures ('' none)")
    p.add_argument(
        "--min-mutations",
        type=int,
        default=50,
        help="samples with fewer mutations get no fit (flagged)",
    )
    p.add_argument(
        "--bootstrap", type=int, default=100, help="multinomial bootstrap resamples for the CIs"
    )
    p.add_argument("--seed", type=int, default=1, help="random seed of the bootstrap")
    p.add_argument(
        "--add-penalty",
        type=float,
        default=0.01,
        help="minimum cosine gain to add a signature (forward step)",
    )
    p.add_argument(
        "--remove-penalty",
        type=float,
        default=0.005,
        help="maximum cosine loss to drop a signature (backward step)",
    )
    p.add_argument(
        "--initial-remove-penalty",
        type=float,
        default=0.01,
        help="maximum cosine loss in the first backward pass",
    )
    p.add_argument(
        "--metric",
        default="cosine",
        choices=("cosine", "l2"),
        help="selection score: reconstruction cosine, or relative L2 error (SigProfilerAssignment)",
    )
    p.add_argument(
        "--method",
        default="cohort-prior",
        choices=("cohort-prior", "mle", "nnls"),
        help="exposures of the selected signatures: cohort-prior (empirical Bayes toward the "
        "cohort's pooled fit, strength chosen by a held-out split), mle or nnls",
    )
    p.set_defaults(func=run_signatures)


def run_signatures(args: argparse.Namespace) -> int:
    from scce_genomics.fileio import write_tsv
    from scce_genomics.signatures.fit import (
        DEFAULT_CANDIDATES,
        FitSettings,
        fit_cohort,
        fit_samples,
        load_signatures,
    )
    from scce_genomics.spectra.catalogues import read_matrix

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
        method=args.method,
    )
    result = fit_samples(matrix, sigs, candidates, settings)
    write_tsv(result.long(), args.out)
    if args.summary:
        write_tsv(result.summary, args.summary)
    if args.cohort_out:
        write_tsv(fit_cohort(matrix, sigs, candidates, settings).long(), args.cohort_out)
    return 0
