"""Somatic calling commands: score candidates, convert to MAF, cohort MAF and TMB."""

from __future__ import annotations

import argparse
import io
import json
import shlex
import subprocess
import sys
from dataclasses import fields
from typing import TYPE_CHECKING

from scce_genomics.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from scce_genomics.somatic.model import SomaticParams
    from scce_genomics.somatic.tumor_only import GermlineEvidence

__all__ = [
    "add_commands",
    "fai_contigs",
    "germline_evidence",
    "load_pon",
    "params_from_json",
    "read_bed",
]


#: bcftools mpileup options of the pileup commands when none are given (config.yaml's too)
MPILEUP_DEFAULT = "-d 10000 -q 20 -Q 20"


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("somatic-call", help="score mpileup candidates and write a somatic VCF")
    p.add_argument("--candidates", required=True, help="BCF from bcftools mpileup | norm -m-")
    p.add_argument("--tumor", required=True, help="tumor sample name (read-group SM)")
    p.add_argument("--tumor-bam", required=True, help="for read-orientation counts")
    p.add_argument("--normal", default="", help="matched normal sample name; empty: tumor-only")
    p.add_argument("--fasta", required=True, help="reference FASTA (faidx-indexed)")
    p.add_argument(
        "--pon",
        action="append",
        default=[],
        help="panel-of-normals VCF (repeat for several panels; an allele in any one is filtered)",
    )
    p.add_argument(
        "--purity",
        type=float,
        default=float("nan"),
        help="tumor purity if known (nan: the CNV stage's estimate, else the default)",
    )
    p.add_argument(
        "--germline-resource",
        default="",
        help="tumor-only: population sites VCF with allele frequencies (e.g. gnomAD), indexed",
    )
    p.add_argument("--af-field", default="AF", help="INFO field of the population AF")
    p.add_argument(
        "--absent-af",
        type=float,
        default=None,
        help="tumor-only: population AF of an allele the resource does not list (default 1e-5)",
    )
    p.add_argument(
        "--cns",
        default="",
        help="tumor-only: copy-number segments, the CNV stage's allele table "
        "(cnv/TUMOR.alleles.tsv) or a CNVkit .call.cns",
    )
    p.add_argument("--cnv-purity", default="", help="tumor-only: the CNV stage's purity JSON")
    p.add_argument("--params", default="{}", help="JSON of the config's somatic thresholds")
    p.add_argument(
        "--mpileup-extra",
        default="-q 20 -Q 20",
        help="quality options of the candidate pileup, repeated for the orientation counts",
    )
    p.add_argument("--out", required=True, help="bgzipped VCF")
    p.set_defaults(func=_call)

    m = sub.add_parser("somatic-maf", help="MAF of the PASS calls of an annotated somatic VCF")
    m.add_argument("--vcf", required=True, help="somatic VCF annotated by bcftools csq")
    m.add_argument("--tumor", required=True, help="tumor sample name (Tumor_Sample_Barcode)")
    m.add_argument(
        "--normal",
        default="",
        help="matched normal name (Matched_Norm_Sample_Barcode), empty if none",
    )
    m.add_argument("--build", default="custom", help="NCBI_Build column value (GRCh37/GRCh38)")
    m.add_argument("--out", required=True, help="MAF of the PASS calls")
    m.set_defaults(func=_maf)

    u = sub.add_parser(
        "somatic-pileup",
        help="one bcftools mpileup of a tumor (and its normal): somatic candidates and the "
        "germline SNP calls of the CNV stage",
    )
    u.add_argument("--bams", nargs="+", required=True, help="tumor BAM, then its normal's")
    u.add_argument("--fasta", required=True, help="reference FASTA (faidx-indexed)")
    u.add_argument("--regions", default="", help="BED of the genome chunk (default: all)")
    u.add_argument(
        "--mpileup-extra",
        default=MPILEUP_DEFAULT,
        help="extra bcftools mpileup options (depth cap, mapping/base quality)",
    )
    u.add_argument("--min-alt", type=int, default=2, help="tumor alt reads of a candidate")
    u.add_argument("--out-candidates", required=True, help="candidate alleles (BCF)")
    u.add_argument(
        "--out-germline",
        required=True,
        help="germline SNPs (BCF): the normal's heterozygous sites, or every SNP site of a "
        "tumor-only sample",
    )
    u.set_defaults(func=_pileup)

    k = sub.add_parser("somatic-chunks", help="split the genome into BED chunks for the pileup")
    k.add_argument("--fai", required=True, help="reference .fai index")
    k.add_argument("--n", type=int, required=True, help="number of chunks")
    k.add_argument("--targets", default="", help="capture BED: chunk the padded targets only")
    k.add_argument("--out", nargs="+", required=True, help="one BED per chunk, in order")
    k.set_defaults(func=_chunks)

    pon = sub.add_parser("pon", help="panel of normals")
    pon_sub = pon.add_subparsers(dest="pon_command", required=True, metavar="COMMAND")
    b = pon_sub.add_parser(
        "build",
        help="build a panel-of-normals sites VCF once from many normals (BAMs or their VCFs)",
        description="An allele enters the panel when --min-normals normals carry it: with at "
        "least --min-alt-reads alt reads in a BAM, or as a passing non-reference record in a VCF.",
    )
    source = b.add_mutually_exclusive_group(required=True)
    source.add_argument("--bams", nargs="+", help="normal BAMs (piled up together)")
    source.add_argument("--vcfs", nargs="+", help="one VCF per normal (e.g. its own calls)")
    b.add_argument("--fasta", required=True, help="reference FASTA (faidx-indexed)")
    b.add_argument("--min-normals", type=int, default=2, help="normals that must carry an allele")
    b.add_argument("--min-alt-reads", type=int, default=2, help="with --bams: alt reads per normal")
    b.add_argument(
        "--mpileup-extra",
        default=MPILEUP_DEFAULT,
        help="with --bams: extra bcftools mpileup options (depth cap, mapping/base quality)",
    )
    b.add_argument("--threads", type=int, default=1, help="with --bams: parallel genome chunks")
    b.add_argument("--out", required=True, help="panel VCF (.vcf.gz, tabix-indexed)")
    b.set_defaults(func=_pon_build)

    c = sub.add_parser("somatic-cohort", help="cohort MAF and TMB per callable megabase")
    c.add_argument("--maf", nargs="*", default=[], help="per-tumor MAFs")
    c.add_argument("--tumors", nargs="*", default=[], help="tumor names, same order as --maf")
    c.add_argument(
        "--callable",
        nargs="*",
        default=[],
        help="per tumor: TUMOR=tumor.quantized.bed.gz[,normal.quantized.bed.gz]",
    )
    c.add_argument("--targets", default="", help="capture BED (exome/panel)")
    c.add_argument(
        "--min-territory-mb",
        type=float,
        default=1.0,
        help="callable territory (Mb) below which the TMB row carries a warning",
    )
    c.add_argument("--out-maf", required=True, help="cohort MAF (all tumors)")
    c.add_argument("--out-tmb", required=True, help="TMB table TSV (one row per tumor)")
    c.set_defaults(func=_cohort)


def params_from_json(text: str) -> SomaticParams:
    """SomaticParams from the config's ``somatic.thresholds`` JSON; unknown keys are errors."""
    from scce_genomics.somatic.model import SomaticParams

    values = json.loads(text or "{}")
    known = {f.name for f in fields(SomaticParams)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InputError(f"unknown somatic threshold(s): {', '.join(unknown)}")
    return SomaticParams(**values)


def load_pon(paths: str | list[str]) -> pd.DataFrame:
    """(chrom, pos, ref, alt) of every allele in panel-of-normals VCFs (split multiallelics)."""
    import pandas as pd

    columns = ["chrom", "pos", "ref", "alt"]
    if isinstance(paths, list):
        parts = [load_pon(p) for p in paths if p]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    path = paths
    if not path:
        return pd.DataFrame(columns=columns)
    done = subprocess.run(
        ["bcftools", "query", "-f", "%CHROM\t%POS\t%REF\t%ALT\n", path],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise InputError(f"cannot read panel of normals: {done.stderr.strip()[-300:]}", path)
    if not done.stdout:
        return pd.DataFrame(columns=columns)
    table = pd.read_csv(
        io.StringIO(done.stdout), sep="\t", header=None, names=columns, dtype={"chrom": str}
    )
    table["alt"] = table["alt"].str.split(",")
    table = table.explode("alt")
    return table[table["alt"] != "<*>"].reset_index(drop=True)


def _quality_args(extra: str) -> list[str]:
    """The mapping/base-quality options (-q/-Q and long forms) of an mpileup option string."""

    words = shlex.split(extra)
    keep: list[str] = []
    for i, word in enumerate(words):
        flag = word.split("=", 1)[0]
        if flag in ("-q", "-Q", "--min-MQ", "--min-BQ") and "=" not in word and i + 1 < len(words):
            keep += [word, words[i + 1]]
        elif flag in ("--min-MQ", "--min-BQ") or (flag[:2] in ("-q", "-Q") and len(flag) > 2):
            keep.append(word)
    return keep or ["-q", "20", "-Q", "20"]


def _call(args: argparse.Namespace) -> int:
    from scce_genomics.somatic.model import load_candidates, score
    from scce_genomics.somatic.orientation import orientation_counts
    from scce_genomics.somatic.tumor_only import read_cnv_purity
    from scce_genomics.somatic.vcf import write_somatic_vcf

    params = params_from_json(args.params)
    normal = args.normal or None
    candidates = load_candidates(args.candidates, args.tumor, normal)
    orientation = orientation_counts(
        args.tumor_bam, args.fasta, candidates.table, _quality_args(args.mpileup_extra)
    )
    purity = None if args.purity != args.purity else args.purity  # NaN: unknown
    evidence = None
    if normal is None:
        evidence = germline_evidence(candidates.table, args)
        if purity is None and args.cnv_purity:
            purity = read_cnv_purity(args.cnv_purity)
    scored = score(candidates, params, load_pon(args.pon), orientation, purity, evidence)
    write_somatic_vcf(
        scored, fai_contigs(args.fasta), args.tumor, normal, args.out, " ".join(sys.argv[1:])
    )
    n_pass = int((scored["filter"] == "PASS").sum())
    print(f"{args.tumor}: {len(scored)} candidates, {n_pass} PASS", file=sys.stderr)
    return 0


def germline_evidence(table: pd.DataFrame, args: argparse.Namespace) -> GermlineEvidence:
    """Population AFs of the candidates and the CNV stage's segments, for tumor-only calling."""
    from scce_genomics.somatic.germline_resource import DEFAULT_ABSENT_AF, population_af
    from scce_genomics.somatic.tumor_only import GermlineEvidence, read_segments

    absent = DEFAULT_ABSENT_AF if args.absent_af is None else args.absent_af
    if not 0 < absent < 1:
        raise InputError(f"--absent-af must be in (0, 1), got {absent}")
    pop_af = (
        population_af(args.germline_resource, table, args.af_field)
        if args.germline_resource
        else None
    )
    segments = read_segments(args.cns) if args.cns else None
    return GermlineEvidence(pop_af=pop_af, segments=segments, absent_af=absent)


def fai_contigs(fasta_or_fai: str) -> dict[str, int]:
    """Contig lengths from the FASTA's .fai (the FASTA itself is never read: it may be 3 Gb)."""
    import pandas as pd

    fai = fasta_or_fai if fasta_or_fai.endswith(".fai") else fasta_or_fai + ".fai"
    try:
        table = pd.read_csv(fai, sep="\t", header=None, usecols=[0, 1], dtype={0: str})
    except (OSError, pd.errors.EmptyDataError) as err:
        raise InputError(f"cannot read the FASTA index ({err}); run samtools faidx", fai) from None
    return dict(zip(table[0], table[1].astype(int), strict=True))


def read_bed(path: str) -> pd.DataFrame:
    """A BED's intervals as a table (chrom, start, end), read by ``fileio.read_bed_intervals``."""
    import pandas as pd

    from scce_genomics.fileio import read_bed_intervals

    rows = [(c, s, e) for c, spans in read_bed_intervals(path).items() for s, e in spans]
    return pd.DataFrame(rows, columns=["chrom", "start", "end"]).astype(
        {"chrom": str, "start": "int64", "end": "int64"}
    )


def _pileup(args: argparse.Namespace) -> int:
    from scce_genomics.somatic.pileup import tumor_pileup

    if len(args.bams) > 2:
        raise InputError(f"--bams takes a tumor and at most one normal, not {len(args.bams)}")
    tumor_pileup(
        args.bams,
        args.fasta,
        args.regions,
        shlex.split(args.mpileup_extra),
        args.min_alt,
        args.out_candidates,
        args.out_germline,
        normal_index=1 if len(args.bams) == 2 else None,
    )
    return 0


def _chunks(args: argparse.Namespace) -> int:
    from scce_genomics.fileio import atomic_open
    from scce_genomics.somatic.model import genome_chunks

    if args.n != len(args.out):
        raise InputError("--n must equal the number of --out files")
    targets = read_bed(args.targets) if args.targets else None
    chunks = genome_chunks(fai_contigs(args.fai), args.n, targets)
    if len(chunks) != len(args.out):
        raise InputError(f"the genome is too small for {len(args.out)} chunks", args.fai)
    for chunk, path in zip(chunks, args.out, strict=True):
        with atomic_open(path) as handle:
            chunk.to_csv(handle, sep="\t", header=False, index=False)
    return 0


def _pon_build(args: argparse.Namespace) -> int:
    import tempfile

    from scce_genomics.fileio import atomic_open
    from scce_genomics.somatic.model import genome_chunks
    from scce_genomics.somatic.pon import alleles_from_bams, alleles_from_vcfs, write_pon

    if args.min_normals < 1:
        raise InputError("--min-normals must be at least 1")
    sources = args.bams or args.vcfs
    if args.min_normals > len(sources):
        raise InputError(
            f"--min-normals {args.min_normals} exceeds the {len(sources)} normals given"
        )
    contigs = fai_contigs(args.fasta)
    if args.vcfs:
        alleles = alleles_from_vcfs(args.vcfs, args.fasta)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            beds = []
            n = max(1, args.threads)
            for i, chunk in enumerate(genome_chunks(contigs, n) if n > 1 else []):
                bed = f"{tmp}/{i}.bed"
                with atomic_open(bed) as handle:
                    chunk.to_csv(handle, sep="\t", header=False, index=False)
                beds.append(bed)
            alleles = alleles_from_bams(
                args.bams,
                args.fasta,
                args.min_alt_reads,
                shlex.split(args.mpileup_extra),
                beds,
                n,
            )
    fai = args.fasta if args.fasta.endswith(".fai") else args.fasta + ".fai"
    kept = write_pon(alleles, fai, args.out, args.min_normals, len(sources), " ".join(sys.argv[1:]))
    print(f"panel of {len(sources)} normals: {kept} alleles", file=sys.stderr)
    return 0


def _maf(args: argparse.Namespace) -> int:
    from scce_genomics.fileio import write_tsv
    from scce_genomics.somatic.maf import vcf_to_maf

    maf = vcf_to_maf(args.vcf, args.tumor, args.normal or None, args.build)
    write_tsv(maf, args.out)
    return 0


def _cohort(args: argparse.Namespace) -> int:
    import pandas as pd

    from scce_genomics.fileio import write_tsv
    from scce_genomics.somatic.maf import MAF_COLUMNS
    from scce_genomics.somatic.tmb import (
        SCOPE_GENOME,
        SCOPE_TARGETS,
        TMB_COLUMNS,
        callable_intervals,
        intersect,
        territory_bp,
        tmb_row,
    )

    if len(args.maf) != len(args.tumors):
        raise InputError("--maf and --tumors must list the same number of items")
    frames = [pd.read_csv(p, sep="\t", dtype=str, keep_default_na=False) for p in args.maf]
    cohort = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=MAF_COLUMNS)
    write_tsv(cohort, args.out_maf)
    regions = {}
    for item in args.callable:
        name, _, files = item.partition("=")
        parts = [callable_intervals(f) for f in files.split(",") if f]
        merged = parts[0]
        for extra in parts[1:]:
            merged = intersect(merged, extra)
        regions[name] = merged
    targets = read_bed(args.targets) if args.targets else None
    rows = []
    for tumor in args.tumors:
        region = regions.get(tumor, pd.DataFrame(columns=["chrom", "start", "end"]))
        if targets is not None:
            region = intersect(region, targets)
        scope = SCOPE_GENOME if targets is None else SCOPE_TARGETS
        rows.append(
            tmb_row(tumor, cohort, territory_bp(region), region, args.min_territory_mb, scope)
        )
    table = pd.DataFrame(rows, columns=TMB_COLUMNS)
    write_tsv(table, args.out_tmb)
    return 0
