"""Copy-number commands: CNVkit bins, coverage and a tumor's CNVkit steps in one process; sex,
purity/ploidy for CNVkit ``call``, allele-specific segments, the cohort summaries (arms, genes,
CN48, HRD) and copy-number signatures."""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING

from scce_genomics.errors import InputError

if TYPE_CHECKING:  # the parser builds without importing the library
    from scce_genomics.cnv.pipeline import AlleleOptions, PurityOptions, SexOptions

__all__ = ["add_commands"]


def _optional_float(text: str) -> float:
    """Sheet values: empty, NA or nan mean unknown."""

    if text.strip().lower() in ("", "na", "nan", "none"):
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    return value


def _purity_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sheet-purity",
        type=_optional_float,
        default=math.nan,
        help="purity from samples.tsv; empty/NA/nan to fit it",
    )
    p.add_argument("--sigma", type=float, default=0.05, help="segment log2 noise of the fit")
    p.add_argument("--penalty", type=float, default=0.5, help="per copy changed (weighted)")
    p.add_argument("--max-cn", type=int, default=12, help="highest integer copy number of the grid")
    p.add_argument(
        "--min-altered-fraction",
        type=float,
        default=0.02,
        help="below this altered genome share, purity is not fitted",
    )


def _sex_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sheet-sex", default="", help="sex from samples.tsv (female, male or empty)")
    p.add_argument("--sex-check", default="", help="tissue-QC sex check JSON (qc/sex/SAMPLE.json)")
    p.add_argument(
        "--reference-sex",
        choices=("female", "male"),
        default="female",
        help="X ploidy of the CNVkit reference (male: built with --male-reference)",
    )


def _allele_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--min-het-snps",
        type=int,
        default=10,
        help="heterozygous SNPs a segment needs for major/minor copy numbers",
    )
    p.add_argument(
        "--germline-resource",
        default="",
        help="tumor-only: population VCF (bgzipped, indexed); keep only its common SNPs",
    )
    p.add_argument("--af-field", default="AF", help="INFO field of the population frequency")
    p.add_argument(
        "--min-population-af", type=float, default=0.01, help="minor population frequency ≥ this"
    )


def _coverage_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bam", required=True, help="the sample's BAM (indexed)")
    p.add_argument("--target-bed", required=True, help="target bins (cnv/bins/target.bed)")
    p.add_argument(
        "--antitarget-bed", required=True, help="antitarget bins (cnv/bins/antitarget.bed)"
    )
    p.add_argument("--min-mapq", type=int, default=20, help="reads below this MAPQ not counted")
    p.add_argument("-p", "--processes", type=int, default=1, help="CNVkit worker processes")


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cnv-purity", help="purity/ploidy grid fit on CNVkit segments")
    p.add_argument("--cns", required=True, help="CNVkit segments (.cns) before calling")
    p.add_argument("--sample", required=True, help="tumor sample name")
    _purity_arguments(p)
    p.add_argument("--out", required=True, help="JSON: purity, ploidy, source, center shift")
    p.add_argument("--out-args", required=True, help="arguments for cnvkit.py call")
    p.set_defaults(func=run_purity)

    p = sub.add_parser(
        "cnv-bins",
        help="CNVkit access, target and antitarget bins for the method, in one process",
    )
    p.add_argument("--fasta", required=True, help="reference FASTA (indexed)")
    p.add_argument(
        "--method",
        choices=("wgs", "hybrid", "amplicon"),
        default="wgs",
        help="wgs: even bins over the accessible genome; hybrid: targets + off-target bins; "
        "amplicon: targets only",
    )
    p.add_argument("--targets", default="", help="capture targets BED (hybrid, amplicon)")
    p.add_argument(
        "--access-min-gap", type=int, default=5000, help="cnvkit.py access -s: N runs excluded"
    )
    p.add_argument("--bin-size", type=int, default=1000, help="average bin size (bp), wgs")
    p.add_argument("--target-bin-size", type=int, default=267, help="average target bin size (bp)")
    p.add_argument(
        "--antitarget-bin-size",
        type=int,
        default=150_000,
        help="average off-target bin size (bp), hybrid",
    )
    p.add_argument("--out-access", required=True, help="output: accessible genome (BED)")
    p.add_argument("--out-target", required=True, help="output: target bins (BED)")
    p.add_argument(
        "--out-antitarget", required=True, help="output: antitarget bins (BED; empty: none)"
    )
    p.set_defaults(func=run_bins)

    p = sub.add_parser(
        "cnv-coverage",
        help="CNVkit coverage of the target and antitarget bins of one BAM, in one process",
    )
    _coverage_arguments(p)
    p.add_argument("--out-target", required=True, help="output: target coverage (.cnn)")
    p.add_argument("--out-antitarget", required=True, help="output: antitarget coverage (.cnn)")
    p.set_defaults(func=run_coverage)

    p = sub.add_parser(
        "cnv-tumor",
        help="one tumor's CNVkit fix, segment, purity, sex, call, allele-specific segments, "
        "scatter and diagram in one process, from its cnv-coverage",
        description="Runs CNVkit's own subcommands (fix, segment, call, scatter, diagram) in one "
        "interpreter, with the steps of cnv-purity and cnv-sex before call and cnv-alleles "
        "after it. Outputs appear only when every step has succeeded.",
    )
    p.add_argument("--target-coverage", required=True, help="the tumor's target coverage (.cnn)")
    p.add_argument(
        "--antitarget-coverage", required=True, help="the tumor's antitarget coverage (.cnn)"
    )
    p.add_argument("-p", "--processes", type=int, default=1, help="CNVkit segment processes")
    p.add_argument("--reference", required=True, help="CNVkit reference (.cnn)")
    p.add_argument("--sample", required=True, help="tumor sample name")
    p.add_argument("--normal", default="", help="matched normal's name in --vcf (empty: none)")
    p.add_argument(
        "--vcf",
        default="",
        help="SNP sites with FORMAT/AD for B-allele frequencies (the normal's hets, or the "
        "tumor's own sites when tumor-only)",
    )
    p.add_argument(
        "--edge",
        action="store_true",
        help="edge-effect correction in fix (hybrid capture); default --no-edge",
    )
    p.add_argument("--segment-method", default="cbs", help="cnvkit.py segment -m")
    p.add_argument("--segment-extra", default="", help="more cnvkit.py segment arguments")
    p.add_argument("--call-method", default="clonal", help="cnvkit.py call -m")
    p.add_argument(
        "--min-variant-depth", type=int, default=10, help="depth of a SNP used in call and alleles"
    )
    _purity_arguments(p)
    _sex_arguments(p)
    _allele_arguments(p)
    for key, what in (
        ("cnr", "bin log2 ratios (.cnr)"),
        ("cns", "segments (.cns)"),
        ("purity", "purity/ploidy fit (JSON)"),
        ("purity-args", "the purity options given to call"),
        ("sex", "the sex used (JSON)"),
        ("sex-args", "the sex options given to call"),
        ("call-cns", "called segments (.call.cns)"),
        ("alleles", "allele-specific segments (TSV)"),
        ("scatter", "scatter plot (.png)"),
        ("diagram", "chromosome diagram (.pdf)"),
    ):
        p.add_argument(f"--out-{key}", required=True, help=f"output: {what}")
    p.set_defaults(func=run_tumor)

    p = sub.add_parser(
        "cnv-sex",
        help="the sample's sex for copy number (sheet, else sex check) and X/Y expectations",
    )
    p.add_argument("--sample", required=True, help="sample name")
    _sex_arguments(p)
    p.add_argument("--out", required=True, help="JSON: sex, source, expected X/Y copy numbers")
    p.add_argument("--out-args", required=True, help="sex options for cnvkit.py call")
    p.set_defaults(func=run_sex)

    p = sub.add_parser(
        "cnv-alleles", help="major/minor copy number per segment from heterozygous SNPs"
    )
    p.add_argument("--cns", required=True, help="CNVkit .call.cns (total copy number cn)")
    p.add_argument("--vcf", default="", help="bcftools VCF of SNP sites with FORMAT/AD")
    p.add_argument("--tumor", required=True, help="tumor sample name in the VCF")
    p.add_argument("--normal", default="", help="matched normal in the VCF (empty: tumor-only)")
    p.add_argument("--purity", default="", help="cnv-purity JSON")
    p.add_argument("--min-depth", type=int, default=10, help="read depth of a usable SNP")
    _allele_arguments(p)
    p.add_argument("--out", required=True, help="TSV: allele-specific segments")
    p.set_defaults(func=run_alleles)

    p = sub.add_parser("cnv-signatures", help="COSMIC copy-number signatures fitted to CN48")
    p.add_argument("--cn48", required=True, help="CN48 matrix (cnv/cn48.tsv)")
    p.add_argument("--cosmic-version", default="3.4", help="COSMIC CN signature version")
    p.add_argument("--bootstrap", type=int, default=100, help="bootstrap resamples for the CIs")
    p.add_argument(
        "--min-segments", type=int, default=20, help="fewer classified segments: flagged"
    )
    p.add_argument("--seed", type=int, default=1, help="bootstrap seed")
    p.add_argument("--out", required=True, help="TSV: exposures with CIs per tumor")
    p.set_defaults(func=run_signatures)

    p = sub.add_parser("cnv-summarise", help="arm/gene calls, seg, CN48, summary of a cohort")
    p.add_argument("--cns", nargs="+", required=True, help="CNVkit .call.cns per sample")
    p.add_argument("--cnr", nargs="*", default=[], help="CNVkit .cnr per sample (same order)")
    p.add_argument("--purity", nargs="*", default=[], help="cnv-purity JSON per sample")
    p.add_argument("--arms", required=True, help="reference/arms.tsv")
    p.add_argument("--sex", nargs="*", default=[], help="cnv-sex JSON per sample (same order)")
    p.add_argument(
        "--alleles", nargs="*", default=[], help="cnv-alleles TSV per sample (same order)"
    )
    p.add_argument(
        "--genes",
        "--gff3",
        dest="genes",
        required=True,
        help="gene locations: a GFF3 (reference/genes.gff3) or a gene BED "
        "(resources/genome/genes_GRCh38.bed.gz)",
    )
    p.add_argument(
        "--drivers", default="", help="comma-separated genes (default: the built-in driver list)"
    )
    p.add_argument(
        "--arm-by",
        choices=("log2", "cn"),
        default="log2",
        help="call arms from log2 ratios or from purity-adjusted copy number",
    )
    p.add_argument(
        "--arm-log2",
        type=float,
        default=0.2,
        help="|log2| for an arm gain/loss (with --arm-by log2)",
    )
    p.add_argument(
        "--arm-cn-delta",
        type=float,
        default=0.5,
        help="copy-number change from ploidy for an arm call (with --arm-by cn)",
    )
    p.add_argument(
        "--min-arm-covered",
        type=float,
        default=0.5,
        help="share of an arm that bins must cover, else NA",
    )
    p.add_argument("--min-arm-event", type=float, default=0.5, help="arm share altered")
    p.add_argument(
        "--gene-by",
        choices=("log2", "cn"),
        default="cn",
        help="call genes from log2 ratios or from copy number",
    )
    p.add_argument(
        "--gene-log2",
        default="1.0,0.3,-0.3,-1.1",
        help="amp,gain,loss,deep_del log2 thresholds",
    )
    p.add_argument("--gene-cn", default="5,3,1,0", help="amp>=,gain>=,loss<=,deep_del<= CN")
    p.add_argument(
        "--gene-max-bin-distance",
        type=int,
        default=50_000,
        help="a gene farther than this (bp) from any bin is NA",
    )
    p.add_argument(
        "--fga-log2",
        type=float,
        default=0.2,
        help="|log2| counted as altered in the fraction of genome altered",
    )
    p.add_argument(
        "--min-genome-fraction",
        type=float,
        default=0.5,
        help="share of the genome bins must cover for FGA/ploidy, else NA",
    )
    p.add_argument(
        "--hrd-length-scale",
        type=float,
        default=1.0,
        help="multiply the HRD size thresholds (1 for real genomes; a scaled genome's scale)",
    )
    p.add_argument(
        "--hrd-min-allele-fraction",
        type=float,
        default=0.5,
        help="autosome share with allele-specific copy number needed for an HRD score",
    )
    for name in ("arms", "genes", "seg", "cn48", "summary"):
        p.add_argument(f"--out-{name}", required=True, help=f"output: the {name} table")
    p.add_argument("--out-sex", default="", help="output: X and Y per sample")
    p.add_argument("--out-hrd", default="", help="output: HRD scar score per tumor")
    p.set_defaults(func=run_summarise)


def _purity_options(args: argparse.Namespace) -> PurityOptions:
    from scce_genomics.cnv.pipeline import PurityOptions

    return PurityOptions(
        sheet_purity=args.sheet_purity,
        sigma=args.sigma,
        penalty=args.penalty,
        max_cn=args.max_cn,
        min_altered_fraction=args.min_altered_fraction,
    )


def run_purity(args: argparse.Namespace) -> int:
    from scce_genomics.cnv.pipeline import write_purity

    write_purity(args.cns, args.sample, _purity_options(args), args.out, args.out_args)
    return 0


def run_bins(args: argparse.Namespace) -> int:
    from scce_genomics.cnv.pipeline import BinOptions, cohort_bins

    options = BinOptions(
        method=args.method,
        targets=args.targets,
        access_min_gap=args.access_min_gap,
        bin_size=args.bin_size,
        target_bin_size=args.target_bin_size,
        antitarget_bin_size=args.antitarget_bin_size,
    )
    outputs = {"access": args.out_access, "target": args.out_target}
    cohort_bins(args.fasta, options, dict(outputs, antitarget=args.out_antitarget))
    return 0


def run_coverage(args: argparse.Namespace) -> int:
    from scce_genomics.cnv.pipeline import sample_coverage

    sample_coverage(
        args.bam,
        args.target_bed,
        args.antitarget_bed,
        args.out_target,
        args.out_antitarget,
        min_mapq=args.min_mapq,
        processes=args.processes,
    )
    return 0


def _sex_options(args: argparse.Namespace) -> SexOptions:
    from scce_genomics.cnv.pipeline import SexOptions

    return SexOptions(args.sheet_sex, args.sex_check, args.reference_sex)


def _allele_options(args: argparse.Namespace, min_depth: int) -> AlleleOptions:
    from scce_genomics.cnv.pipeline import AlleleOptions

    return AlleleOptions(
        min_het_snps=args.min_het_snps,
        min_depth=min_depth,
        germline_resource=args.germline_resource,
        af_field=args.af_field,
        min_population_af=args.min_population_af,
    )


def run_tumor(args: argparse.Namespace) -> int:
    from scce_genomics.cnv.pipeline import TUMOR_OUTPUTS, TumorOptions, tumor_copy_number

    options = TumorOptions(
        sample=args.sample,
        normal=args.normal,
        vcf=args.vcf,
        processes=args.processes,
        edge=args.edge,
        segment_method=args.segment_method,
        segment_extra=args.segment_extra,
        call_method=args.call_method,
        min_variant_depth=args.min_variant_depth,
        purity=_purity_options(args),
        sex=_sex_options(args),
        alleles=_allele_options(args, args.min_variant_depth),
    )
    outputs = {key: getattr(args, f"out_{key}") for key in TUMOR_OUTPUTS}
    tumor_copy_number(
        args.target_coverage, args.antitarget_coverage, args.reference, options, outputs
    )
    return 0


def run_sex(args: argparse.Namespace) -> int:
    from scce_genomics.cnv.pipeline import write_sex

    write_sex(args.sample, _sex_options(args), args.out, args.out_args)
    return 0


def run_alleles(args: argparse.Namespace) -> int:
    from scce_genomics.cnv.pipeline import write_alleles

    options = _allele_options(args, args.min_depth)
    write_alleles(args.cns, args.vcf, args.tumor, args.normal, args.purity, options, args.out)
    return 0


def run_signatures(args: argparse.Namespace) -> int:
    from scce_genomics.cnv.cn_signatures import fit_cn_signatures, read_cn48
    from scce_genomics.fileio import write_tsv

    table = fit_cn_signatures(
        read_cn48(args.cn48),
        version=args.cosmic_version,
        bootstrap=args.bootstrap,
        min_segments=args.min_segments,
        seed=args.seed,
    )
    write_tsv(table, args.out)
    return 0


def _four(text: str, what: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 4:
        raise InputError(f"{what} needs four comma-separated numbers (amp,gain,loss,deep_del)")
    return values


def run_summarise(args: argparse.Namespace) -> int:
    from scce_genomics.cnv.arms import ArmThresholds
    from scce_genomics.cnv.hrd import HrdSettings
    from scce_genomics.cnv.summary import (
        DEFAULT_DRIVERS,
        GeneThresholds,
        SummaryConfig,
        summarise_cohort,
    )

    amp, gain, loss, deep = _four(args.gene_log2, "--gene-log2")
    amp_cn, gain_cn, loss_cn, deep_cn = _four(args.gene_cn, "--gene-cn")
    config = SummaryConfig(
        arms=ArmThresholds(
            log2=args.arm_log2,
            cn_delta=args.arm_cn_delta,
            by=args.arm_by,
            min_covered_fraction=args.min_arm_covered,
            min_event_fraction=args.min_arm_event,
        ),
        genes=GeneThresholds(
            by=args.gene_by,
            amp_log2=amp,
            gain_log2=gain,
            loss_log2=loss,
            deep_del_log2=deep,
            amp_min_cn=amp_cn,
            gain_min_cn=gain_cn,
            loss_max_cn=loss_cn,
            deep_del_max_cn=deep_cn,
            max_bin_distance=args.gene_max_bin_distance,
        ),
        drivers=tuple(d.strip() for d in args.drivers.split(",") if d.strip()) or DEFAULT_DRIVERS,
        fga_log2=args.fga_log2,
        min_genome_fraction=args.min_genome_fraction,
        hrd=HrdSettings(
            length_scale=args.hrd_length_scale,
            min_allele_fraction=args.hrd_min_allele_fraction,
        ),
    )
    summarise_cohort(
        args.cns,
        args.arms,
        args.genes,
        {
            "arms": args.out_arms,
            "genes": args.out_genes,
            "seg": args.out_seg,
            "cn48": args.out_cn48,
            "summary": args.out_summary,
            "sex": args.out_sex,
            "hrd": args.out_hrd,
        },
        bins=args.cnr,
        purities=args.purity,
        config=config,
        sexes=args.sex,
        alleles=args.alleles,
    )
    return 0
