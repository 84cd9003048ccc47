"""``scce-genomics compare``: the cohort versus ESCC (and contrast) reference profiles."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scce_genomics.compare.run import CompareConfig

__all__ = ["add_commands"]


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare", help="compare the cohort's spectra, signatures, genes and CNV with references"
    )
    g = p.add_argument_group("cohort (contract files; any may be omitted)")
    g.add_argument("--name", default="cohort", help="cohort label in tables and plots")
    g.add_argument(
        "--samples",
        help="tumor sample list (one per line, or TSV with 'sample'); every other file is "
        "restricted to it and a listed name found in no file is an error",
    )
    g.add_argument("--sbs96", help="spectra/SBS96.tsv")
    g.add_argument("--id83", help="spectra/ID83.tsv")
    g.add_argument("--dbs78", help="spectra/DBS78.tsv")
    g.add_argument("--exposures", help="signatures/SBS_exposures.tsv")
    g.add_argument("--maf", help="somatic/cohort.maf")
    g.add_argument("--arms", help="cnv/arm_calls.tsv")
    g.add_argument("--genes", help="cnv/gene_calls.tsv")
    _assay_arguments(g)
    g.add_argument(
        "--model",
        help="the references' fitted model from 'scce-genomics compare-model' with the same "
        "references, assay and settings (else it is fitted here)",
    )
    _reference_arguments(p)
    p.add_argument("--outdir", required=True, help="folder for the comparison tables and figures")
    p.set_defaults(func=run)

    m = sub.add_parser(
        "compare-model",
        help="fit the references' side of 'compare' ahead of the cohort (same options)",
        description="Refit the reference tumors' exposures and cross-validate and fit the "
        "classifier: the part of 'compare' that does not depend on the cohort's tumors, so a "
        "workflow can run it early. Give it the same references, assay and settings as "
        "'compare', which takes the file with --model.",
    )
    _assay_arguments(m.add_argument_group("the cohort's assay"))
    _reference_arguments(m)
    m.add_argument("--out", required=True, help="model file to write (.pkl)")
    m.set_defaults(func=run_model)


def _assay_arguments(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--opportunity",
        help="cohort trinucleotide abundance (required with --sbs96 unless --fasta): "
        "GRCh37_genome, GRCh37_exome, GRCh38_genome, GRCh38_exome or a TSV (context, count)",
    )
    g.add_argument("--fasta", help="count the opportunity from this FASTA (custom genomes)")
    g.add_argument("--targets", help="BED limiting --fasta counting (exome/panel)")


def _reference_arguments(p: argparse.ArgumentParser) -> None:
    """References, their signature refit and the statistics: shared by compare-model."""
    r = p.add_argument_group("references")
    r.add_argument(
        "--reference",
        action="append",
        default=[],
        help="profile folder (repeat); default: the shipped resources/references/{ESCC,EAC,SCLC}",
    )
    r.add_argument(
        "--versus", action="append", default=[], metavar="NAME=RESULTS_DIR",
        help="another cohort's results folder used as a reference (cohort-versus-cohort mode)",
    )  # fmt: skip
    f = p.add_argument_group("signature fit of the references (use the cohort's settings)")
    f.add_argument(
        "--cosmic-version", default="3.4", help="COSMIC version the cohort was fitted with"
    )
    f.add_argument("--signature-build", default="GRCh38", help="GRCh37 or GRCh38 signatures")
    f.add_argument(
        "--signature-exome", action="store_true", help="exome-normalised COSMIC signatures"
    )
    f.add_argument("--signature-file", help="COSMIC-format signature table instead")
    f.add_argument(
        "--signature-candidates",
        default="default",
        help="comma-separated names, 'default' or 'all'",
    )
    f.add_argument(
        "--signature-method",
        default="cohort-prior",
        choices=("cohort-prior", "mle", "nnls"),
        help="fit method the cohort's exposures used (references are refitted the same way for "
        "the descriptive signature tests; the classifier refits every tumor alone)",
    )
    s = p.add_argument_group("statistics")
    s.add_argument("--target", default="ESCC", help="reference the verdict is about")
    s.add_argument("--alpha", type=float, default=0.05, help="typicality level of the verdict")
    s.add_argument("--min-support", type=float, default=0.9, help="closest-reference support")
    s.add_argument("--min-mut", type=int, default=5, help="genes altered in ≥ this in either")
    s.add_argument("--always-genes", default="TP53,RB1", help="genes always reported")
    s.add_argument("--fdr", type=float, default=0.05, help="BH FDR for 'significant'")
    s.add_argument("--bootstrap", type=int, default=500, help="bootstrap / null replicates")
    s.add_argument(
        "--seed", type=int, default=1, help="random seed of the bootstrap and resampling"
    )
    s.add_argument("--min-samples", type=int, default=3, help="tumors needed for a cohort verdict")
    s.add_argument("--presence-min", type=float, default=0.05, help="signature presence fraction")
    s.add_argument("--arm-threshold", type=float, help="arm |log2| cut-off (default: target's)")
    s.add_argument("--use-arm-calls", action="store_true", help="keep the cohort's arm calls")
    s.add_argument(
        "--folds", type=int, default=5, help="patient-level cross-validation folds (calibration)"
    )
    s.add_argument(
        "--min-posterior",
        type=float,
        default=0.9,
        help="probability needed for a confident per-tumor call",
    )


def _config(args: argparse.Namespace) -> CompareConfig:
    from scce_genomics.compare.run import CompareConfig
    from scce_genomics.compare.training import SignatureFit
    from scce_genomics.compare.verdict import VerdictRule
    from scce_genomics.signatures.fit import DEFAULT_CANDIDATES, FitSettings

    candidates = (
        list(DEFAULT_CANDIDATES)
        if args.signature_candidates == "default"
        else args.signature_candidates
    )
    cfg = CompareConfig(
        min_mut=args.min_mut,
        always_genes=tuple(g for g in args.always_genes.split(",") if g),
        fdr=args.fdr,
        bootstrap=args.bootstrap,
        seed=args.seed,
        min_samples=args.min_samples,
        presence_min=args.presence_min,
        arm_threshold=args.arm_threshold,
        use_arm_log2=not args.use_arm_calls,
        min_posterior=args.min_posterior,
        folds=args.folds,
        signature_fit=SignatureFit(
            cosmic_version=args.cosmic_version,
            build=args.signature_build,
            exome=args.signature_exome,
            candidates=candidates,
            settings=FitSettings(bootstrap=0, method=args.signature_method),
            signature_file=args.signature_file,
        ),
        rule=VerdictRule(args.target, args.alpha, args.min_support),
    )
    return cfg


def run(args: argparse.Namespace) -> int:
    from scce_genomics.compare.model_file import load_model
    from scce_genomics.compare.run import (
        load_cohort,
        load_references,
        model_key,
        read_sample_list,
        run_comparison,
    )

    samples = read_sample_list(args.samples) if args.samples else None
    cohort = load_cohort(
        args.name, samples=samples, sbs96=args.sbs96, opportunity_spec=args.opportunity,
        fasta=args.fasta, targets=args.targets, exposures=args.exposures, maf=args.maf,
        arms=args.arms, genes=args.genes, id83=args.id83, dbs78=args.dbs78,
    )  # fmt: skip
    refs, shown = load_references(args.reference, args.versus)
    cfg = _config(args)
    cache = None
    if args.model:
        cache = load_model(args.model, model_key(refs, cfg, cohort.opportunity))
        if cache is None:
            print(
                f"note: {args.model} was fitted for other references, assay or settings; "
                "the references are refitted here",
                file=sys.stderr,
            )
    _, text = run_comparison(cohort, refs, cfg, args.outdir, shown, cache)
    print(text)
    return 0


def run_model(args: argparse.Namespace) -> int:
    from scce_genomics.compare.model_file import save_model
    from scce_genomics.compare.run import (
        assay_opportunity,
        load_references,
        model_key,
        reference_cache,
    )

    refs, _ = load_references(args.reference, args.versus)
    cfg = _config(args)
    opportunity, label = assay_opportunity(args.opportunity, args.fasta, args.targets)
    cache = reference_cache(refs, cfg, opportunity)
    save_model(cache, model_key(refs, cfg, opportunity), args.out)
    print(f"reference model of {', '.join(r.name for r in refs)} ({label}): {args.out}")
    return 0
