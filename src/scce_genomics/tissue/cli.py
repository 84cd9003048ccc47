"""Stored-tissue QC commands: identity, cohort, contamination, damage, purity, sex, table."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from scce_genomics.errors import InputError

if TYPE_CHECKING:
    from scce_genomics.tissue.identity import IdentityThresholds

__all__ = ["add_commands"]


def _genotype_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--genotypes", required=True, help="bcftools mpileup -a AD VCF at the sites")
    p.add_argument("--sites", default="", help="sites VCF whose ALT allele is counted")
    p.add_argument("--min-depth", type=int, default=10, help="depth for a confident genotype")


def _identity_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--min-sites",
        type=int,
        default=20,
        help="sites homozygous in both samples (not both reference) needed for a verdict",
    )
    p.add_argument(
        "--max-opposite",
        type=float,
        default=0.05,
        help="largest share of opposite homozygotes among those sites for one individual",
    )
    p.add_argument(
        "--min-relatedness",
        type=float,
        default=0.5,
        help="smallest hom-alt relatedness (somalier's LOH-robust measure) for one individual",
    )


def _population_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--population-af",
        default="",
        help="germline resource VCF (bgzipped, indexed) with population allele frequencies",
    )
    p.add_argument("--af-field", default="AF", help="INFO field of the resource's frequency")


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tissue-identity", help="tumor/normal identity from opposite homozygotes (swap check)"
    )
    _genotype_args(p)
    _identity_args(p)
    p.add_argument("--tumor", required=True, help="tumor sample name (genotype column)")
    p.add_argument("--normal", required=True, help="matched normal sample name (genotype column)")
    p.add_argument("--out", required=True, help="JSON (written whatever the verdict)")
    p.set_defaults(func=run_identity)

    p = sub.add_parser(
        "tissue-identity-gate", help="stop a tumor/normal pair whose identity check failed"
    )
    p.add_argument("--metrics", required=True, help="JSON of tissue-identity")
    p.add_argument("--warn-only", action="store_true", help="report a mismatch, exit 0")
    p.add_argument("--out", required=True, help="JSON the somatic stage takes as its gate")
    p.set_defaults(func=run_identity_gate)

    p = sub.add_parser("tissue-cohort", help="pairwise identity of all samples (duplicates)")
    _genotype_args(p)
    _identity_args(p)
    p.add_argument("--samples", required=True, help="samples.tsv (patient of each sample)")
    p.add_argument("--out", required=True, help="TSV")
    p.set_defaults(func=run_cohort)

    p = sub.add_parser("tissue-contamination", help="contamination at homozygous germline sites")
    _genotype_args(p)
    p.add_argument("--samples", nargs="+", required=True, help="samples to estimate")
    p.add_argument("--genotype-from", required=True, help="sample whose hom sites are used")
    _population_args(p)
    p.add_argument(
        "--tumor-only",
        action="store_true",
        help="the samples have no normal: each is judged on its own counts, only at sites "
        "with a population frequency",
    )
    p.add_argument(
        "--segments",
        nargs="*",
        default=[],
        help="with --tumor-only: CNVkit .call.cns per sample, in --samples order (only "
        "copy-neutral segments are used)",
    )
    p.add_argument(
        "--default-af",
        type=float,
        default=0.0,
        help="population ALT frequency where the sites lack INFO/AF (0: private SNPs)",
    )
    p.add_argument(
        "--error-rate",
        type=float,
        default=0.0005,
        help="per-base sequencing error rate of the mixture model",
    )
    p.add_argument("--out", required=True, help="TSV")
    p.set_defaults(func=run_contamination)

    p = sub.add_parser("tissue-purity", help="early tumor content from germline imbalance")
    _genotype_args(p)
    p.add_argument("--tumor", required=True, help="tumor sample name (genotype column)")
    p.add_argument("--genotype-from", required=True, help="sample whose het sites are used")
    p.add_argument("--window", type=int, default=30, help="het sites per window")
    p.add_argument("--out", required=True, help="JSON")
    p.set_defaults(func=run_purity)

    p = sub.add_parser(
        "tissue-purity-compare", help="early purity next to the CNV stage's and the sheet's"
    )
    p.add_argument("--samples", required=True, help="samples.tsv (sheet purity per tumor)")
    p.add_argument("--purity", nargs="*", default=[], help="JSONs of tissue-purity")
    p.add_argument("--cnv-summary", required=True, help="cnv/summary.tsv")
    p.add_argument("--out", required=True, help="TSV")
    p.set_defaults(func=run_purity_compare)

    p = sub.add_parser("tissue-damage", help="FFPE/oxidation artifact rates by read orientation")
    p.add_argument("--bam", required=True, help="sample BAM (duplicates marked)")
    p.add_argument("--fasta", required=True, help="reference FASTA (faidx-indexed)")
    p.add_argument("--sample", required=True, help="sample name for the output row")
    p.add_argument("--max-reads", type=int, default=200_000, help="read subsample cap")
    p.add_argument(
        "--min-base-quality", type=int, default=20, help="ignore bases below this Phred quality"
    )
    p.add_argument("--out", required=True, help="TSV")
    p.set_defaults(func=run_damage)

    p = sub.add_parser("tissue-sex", help="sex from X/Y read density vs the sample sheet")
    p.add_argument("--bam", required=True, help="sample BAM (indexed)")
    p.add_argument("--sample", required=True, help="sample name for the output row")
    p.add_argument(
        "--sheet-sex", default="", help="sex given in samples.tsv (female, male or empty)"
    )
    p.add_argument("--targets", default="", help="targets BED (density per targeted base)")
    p.add_argument("--out", required=True, help="JSON")
    p.set_defaults(func=run_sex)

    p = sub.add_parser("tissue-qc-table", help="one stored-tissue QC table")
    p.add_argument("--samples", required=True, help="samples.tsv")
    p.add_argument(
        "--identity", nargs="*", default=[], help="identity JSON files of the tumor/normal pairs"
    )
    p.add_argument("--contamination", nargs="*", default=[], help="contamination TSV files")
    p.add_argument("--damage", nargs="*", default=[], help="damage TSV files")
    p.add_argument("--purity", nargs="*", default=[], help="early-purity JSON files")
    p.add_argument("--sex", nargs="*", default=[], help="sex-check JSON files")
    p.add_argument("--cohort", default="", help="cohort.tsv of tissue-cohort")
    p.add_argument(
        "--cnv-summary", default="", help="CNV summary TSV (purity from copy number), optional"
    )
    p.add_argument("--thresholds", required=True, help="JSON of the config's tissue_qc section")
    p.add_argument("--out", required=True, help="stored-tissue QC table TSV")
    p.set_defaults(func=run_table)


def _dump(obj: Mapping[str, object], path: str) -> None:
    from scce_genomics.fileio import atomic_open

    clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in obj.items()}
    with atomic_open(path) as handle:
        json.dump(clean, handle, indent=2)


def _thresholds(args: argparse.Namespace) -> IdentityThresholds:
    from scce_genomics.tissue.identity import IdentityThresholds

    return IdentityThresholds(
        args.min_depth, args.min_sites, args.max_opposite, args.min_relatedness
    )


def run_identity(args: argparse.Namespace) -> int:
    from scce_genomics.tissue.identity import identity_check
    from scce_genomics.tissue.sites import read_site_counts

    counts = read_site_counts(args.genotypes, args.sites or None)
    _dump(identity_check(counts, args.tumor, args.normal, _thresholds(args)), args.out)
    return 0


def run_identity_gate(args: argparse.Namespace) -> int:
    from scce_genomics.tissue.identity import gate_message

    res = json.loads(Path(args.metrics).read_text())
    res["gate"] = gate_message(res)
    if res["verdict"] == "fail" and not args.warn_only:
        raise InputError(str(res["gate"]), args.metrics)
    if res["verdict"] == "fail":
        print(f"warning: {res['gate']}", file=sys.stderr)
    _dump(res, args.out)
    return 0


def run_cohort(args: argparse.Namespace) -> int:
    from scce_genomics.fileio import write_tsv
    from scce_genomics.samples import load_samples
    from scce_genomics.tissue.identity import cohort_identity
    from scce_genomics.tissue.sites import read_site_counts

    counts = read_site_counts(args.genotypes, args.sites or None)
    sheet = load_samples(args.samples)
    patient_of = dict(zip(sheet["sample"], sheet["patient"], strict=True))
    table = cohort_identity(counts, patient_of, _thresholds(args))
    write_tsv(table, args.out)
    return 0


def run_contamination(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from scce_genomics.fileio import write_tsv
    from scce_genomics.somatic.germline_resource import population_af
    from scce_genomics.tissue.contamination import contamination_estimate, copy_neutral_sites
    from scce_genomics.tissue.sites import read_site_counts

    counts = read_site_counts(args.genotypes, args.sites or None)
    if args.population_af:
        sites = pd.DataFrame(
            {"chrom": counts.chrom.astype(str), "pos": counts.pos.astype(np.int64),
             "ref": counts.ref_allele, "alt": counts.alt_allele}
        )  # fmt: skip
        resource = population_af(args.population_af, sites, args.af_field)
        counts.pop_af = np.where(np.isnan(counts.pop_af), resource, counts.pop_af)
    if args.segments and len(args.segments) != len(args.samples):
        raise InputError(
            f"--segments gives {len(args.segments)} files for {len(args.samples)} samples"
        )
    segments = dict(zip(args.samples, args.segments, strict=False))
    rows = [
        contamination_estimate(
            counts,
            s,
            s if args.tumor_only else args.genotype_from,
            args.min_depth,
            args.default_af,
            args.error_rate,
            tumor_only=args.tumor_only,
            keep=copy_neutral_sites(counts, segments[s]) if s in segments else None,
        )
        for s in args.samples
    ]
    write_tsv(pd.DataFrame(rows), args.out)
    return 0


def run_purity(args: argparse.Namespace) -> int:
    from scce_genomics.tissue.purity import early_purity
    from scce_genomics.tissue.sites import read_site_counts

    counts = read_site_counts(args.genotypes, args.sites or None)
    _dump(
        early_purity(counts, args.tumor, args.genotype_from, args.min_depth, args.window), args.out
    )
    return 0


def run_purity_compare(args: argparse.Namespace) -> int:
    from scce_genomics.fileio import write_tsv
    from scce_genomics.samples import load_samples
    from scce_genomics.tissue.table import purity_comparison

    table = purity_comparison(load_samples(args.samples), args.purity, args.cnv_summary)
    write_tsv(table, args.out)
    return 0


def run_damage(args: argparse.Namespace) -> int:
    from scce_genomics.fileio import write_tsv
    from scce_genomics.tissue.damage import artifact_table, count_oriented

    counts, n = count_oriented(args.bam, args.fasta, args.max_reads, args.min_base_quality)
    write_tsv(artifact_table(counts, args.sample, n), args.out)
    return 0


def run_sex(args: argparse.Namespace) -> int:
    from scce_genomics.tissue.table import sex_check

    res = sex_check(args.bam, args.sheet_sex, args.targets)
    res["sample"] = args.sample
    _dump(res, args.out)
    return 0


def run_table(args: argparse.Namespace) -> int:
    from scce_genomics.fileio import write_tsv
    from scce_genomics.samples import load_samples
    from scce_genomics.tissue.table import tissue_qc_table

    table = tissue_qc_table(
        load_samples(args.samples),
        args.identity,
        args.contamination,
        args.damage,
        args.purity,
        args.sex,
        json.loads(args.thresholds),
        args.cnv_summary,
        args.cohort,
    )
    write_tsv(table, args.out)
    return 0
