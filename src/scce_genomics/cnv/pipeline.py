"""A sample's CNVkit steps in one interpreter instead of one ``cnvkit.py`` process per step.

Each step is CNVkit's own subcommand — parsed by CNVkit's argument parser and run by its handler
in ``cnvlib.commands`` — so options, defaults and files are those of ``cnvkit.py <step>``; what
is saved is the interpreter start-up and the imports of CNVkit, pandas and matplotlib (seconds
per step, paid once per sample instead of once per step).

- once: ``access``, ``target`` and ``antitarget`` bins for the method (:func:`cohort_bins`);
- every sample: ``coverage`` of the target and antitarget bins (:func:`sample_coverage`), from
  its BAM alone, so a tumor's (the stage's longest step) runs while its SNPs are piled up;
- tumors: ``fix``, ``segment``, the purity/ploidy fit, the sample's sex, ``call``,
  allele-specific segments, ``scatter`` and ``diagram`` (:func:`tumor_copy_number`).

Every output appears under its final name only when the whole sample has succeeded.
"""

from __future__ import annotations

import contextlib
import logging
import math
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scce_genomics.cnv.degenerate import NO_BINS, placeholder_figure, table_rows
from scce_genomics.errors import InputError
from scce_genomics.fileio import atomic_open, atomic_outputs

__all__ = [
    "TUMOR_OUTPUTS",
    "AlleleOptions",
    "BinOptions",
    "PurityOptions",
    "SexOptions",
    "TumorOptions",
    "cohort_bins",
    "run_cnvkit",
    "sample_coverage",
    "staged_outputs",
    "tumor_copy_number",
    "write_alleles",
    "write_purity",
    "write_sex",
]

#: Output keys of :func:`tumor_copy_number`, each a file the CNV stage has always written.
TUMOR_OUTPUTS = (
    "cnr",
    "cns",
    "purity",
    "purity_args",
    "sex",
    "sex_args",
    "call_cns",
    "alleles",
    "scatter",
    "diagram",
)


@dataclass(frozen=True)
class BinOptions:
    """Bins of a CNVkit method (``cnv.method``, ``cnv.*bin_size`` in the config)."""

    method: str = "wgs"
    #: capture targets (BED) for hybrid and amplicon; unused for wgs
    targets: str = ""
    access_min_gap: int = 5000
    bin_size: int = 1000
    target_bin_size: int = 267
    antitarget_bin_size: int = 150_000


@dataclass(frozen=True)
class PurityOptions:
    """Settings of the purity/ploidy grid fit (``cnv.purity_fit`` in the config)."""

    sheet_purity: float = math.nan
    sigma: float = 0.05
    penalty: float = 0.5
    max_cn: int = 12
    min_altered_fraction: float = 0.02


@dataclass(frozen=True)
class SexOptions:
    """Where the sample's sex comes from (sheet, else the tissue-QC sex check JSON)."""

    sheet_sex: str = ""
    sex_check: str = ""
    #: X ploidy of the CNVkit reference (``cnv.reference_sex``)
    reference_sex: str = "female"


@dataclass(frozen=True)
class AlleleOptions:
    """Allele-specific segments (``cnv.alleles``); the resource serves tumor-only samples."""

    min_het_snps: int = 10
    min_depth: int = 10
    germline_resource: str = ""
    af_field: str = "AF"
    min_population_af: float = 0.01


@dataclass(frozen=True)
class TumorOptions:
    """What each step is given for one tumor."""

    sample: str
    #: the matched normal's name in ``vcf`` ('' when tumor-only)
    normal: str = ""
    #: SNP sites with FORMAT/AD (the normal's hets, or the tumor's own sites when tumor-only)
    vcf: str = ""
    #: CNVkit processes of ``segment``
    processes: int = 1
    edge: bool = False
    segment_method: str = "cbs"
    segment_extra: str = ""
    call_method: str = "clonal"
    min_variant_depth: int = 10
    purity: PurityOptions = field(default_factory=PurityOptions)
    sex: SexOptions = field(default_factory=SexOptions)
    alleles: AlleleOptions = field(default_factory=AlleleOptions)


def run_cnvkit(argv: Sequence[str]) -> None:
    """Run one CNVkit subcommand in this process, as ``cnvkit.py argv`` would."""
    from cnvlib import commands
    from matplotlib import pyplot

    try:
        args = commands.parse_args(list(argv))
    except SystemExit:  # argparse has printed the reason
        raise InputError(f"cnvkit.py {shlex.join(argv)}: invalid arguments") from None
    logging.info("cnvkit.py %s", shlex.join(argv))
    args.func(args)
    pyplot.close("all")


@contextlib.contextmanager
def staged_outputs(paths: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """:func:`atomic_outputs` as strings, CNVkit's argument type."""
    with atomic_outputs(paths) as tmp:
        yield {key: str(path) for key, path in tmp.items()}


def cohort_bins(fasta: str, options: BinOptions, outputs: Mapping[str, str]) -> None:
    """Accessible genome, target and antitarget bins (keys ``access``, ``target``, ``antitarget``).

    wgs: even bins over the accessible genome, no antitargets; hybrid: split targets plus
    off-target bins over the accessible genome; amplicon: split targets only. An empty
    antitarget file stands for "none", as CNVkit's ``batch`` writes it.
    """
    o = options
    if o.method not in ("wgs", "hybrid", "amplicon"):
        raise InputError(f"CNVkit method {o.method!r}: use wgs, hybrid or amplicon")
    if o.method != "wgs" and not o.targets:
        raise InputError(f"CNVkit method {o.method} needs a targets BED")
    _configure_logging()
    with staged_outputs({key: outputs[key] for key in ("access", "target", "antitarget")}) as tmp:
        run_cnvkit(["access", fasta, "-s", str(o.access_min_gap), "-o", tmp["access"]])
        if o.method == "wgs":
            size, source = o.bin_size, tmp["access"]
        else:
            size, source = o.target_bin_size, o.targets
        run_cnvkit(["target", source, "--split", "--avg-size", str(size), "-o", tmp["target"]])
        if o.method == "hybrid":
            size = o.antitarget_bin_size
            run_cnvkit(["antitarget", o.targets, "-g", tmp["access"], "--avg-size", str(size),
                        "-o", tmp["antitarget"]])  # fmt: skip
        else:
            Path(tmp["antitarget"]).write_text("")


def _coverage(bam: str, bed: str, out: str, min_mapq: int, processes: int) -> None:
    run_cnvkit(["coverage", bam, bed, "-q", str(min_mapq), "-p", str(processes), "-o", out])


def sample_coverage(
    bam: str,
    target_bed: str,
    antitarget_bed: str,
    out_target: str,
    out_antitarget: str,
    min_mapq: int = 20,
    processes: int = 1,
) -> None:
    """``cnvkit.py coverage`` of the target and the antitarget bins of one BAM."""
    _configure_logging()
    with staged_outputs({"target": out_target, "antitarget": out_antitarget}) as tmp:
        _coverage(bam, target_bed, tmp["target"], min_mapq, processes)
        _coverage(bam, antitarget_bed, tmp["antitarget"], min_mapq, processes)


def write_purity(
    cns: str, sample: str, options: PurityOptions, out_json: str, out_args: str
) -> list[str]:
    """Purity/ploidy fit of a tumor's segments (sheet purity first); returns ``call`` options.

    The JSON holds the fit (NaN purity with its note when the genome does not inform it); the
    args file holds the same options for a separate ``cnvkit.py call``.
    """
    import numpy as np

    from scce_genomics.cnv.purity import center_shift, fit_purity_ploidy
    from scce_genomics.cnv.sex import autosomes
    from scce_genomics.cnv.summary import read_cnvkit, write_purity_json

    # X and Y follow the sex, not the tumor's ploidy: a male's X at log2 -1 is no loss
    seg = autosomes(read_cnvkit(cns))
    length = (seg["end"] - seg["start"]).to_numpy(np.float64)
    sheet = options.sheet_purity if math.isfinite(options.sheet_purity) else None
    if sheet is not None and not 0 < sheet <= 1:
        raise InputError(f"sheet purity {sheet} of {sample} is outside (0, 1]")
    fit = fit_purity_ploidy(
        seg["log2"].to_numpy(np.float64),
        length,
        sheet,
        sigma=options.sigma,
        penalty=options.penalty,
        max_cn=options.max_cn,
        min_altered_fraction=options.min_altered_fraction,
    )
    shift = center_shift(fit.purity, fit.psi) if math.isfinite(fit.purity) else 0.0
    write_purity_json(
        out_json,
        {
            "sample": sample,
            "purity": round(fit.purity, 3),
            "source": fit.source,
            "ploidy": round(fit.ploidy, 3),
            "psi": round(fit.psi, 3),
            "center_shift": round(shift, 4),
            "score": round(fit.score, 4),
            "note": fit.note,
        },
    )
    call_args = (
        ["--purity", f"{fit.purity:.3f}", "--center-at", f"{shift:.4f}"]
        if math.isfinite(fit.purity)
        else []
    )
    with atomic_open(out_args) as handle:
        handle.write(" ".join(call_args) + "\n")
    return call_args


def write_sex(sample: str, options: SexOptions, out_json: str, out_args: str) -> list[str]:
    """The sample's sex for copy number (JSON with its source); returns ``call`` options."""
    from scce_genomics.cnv.sex import resolve_sex, write_sex_call

    call = resolve_sex(sample, options.sheet_sex, options.sex_check or None, options.reference_sex)
    write_sex_call(call, out_json)
    args = call.cnvkit_args()
    with atomic_open(out_args) as handle:
        handle.write(shlex.join(args) + "\n")
    return args


def write_alleles(
    cns: str, vcf: str, tumor: str, normal: str, purity_json: str, options: AlleleOptions, out: str
) -> None:
    """Major/minor copy number per called segment from the heterozygous SNPs' read counts."""
    import json

    import pandas as pd

    from scce_genomics.cnv.alleles import (
        AlleleSettings,
        allele_segments,
        common_sites,
        read_het_sites,
    )
    from scce_genomics.cnv.summary import read_cnvkit
    from scce_genomics.fileio import write_tsv
    from scce_genomics.somatic.germline_resource import population_af

    settings = AlleleSettings(
        min_het_snps=options.min_het_snps,
        min_depth=options.min_depth,
        min_population_af=options.min_population_af,
    )
    seg = read_cnvkit(cns)
    hets = None
    if vcf:
        hets = read_het_sites(vcf, tumor, normal, settings)
        if not normal and options.germline_resource:
            sites = pd.DataFrame(
                {"chrom": hets["chromosome"].astype(str), "pos": hets["pos"].astype(int) + 1}
            )  # het positions are 0-based, the resource's 1-based
            afs = population_af(options.germline_resource, sites, options.af_field, False)
            hets = common_sites(hets, afs, settings.min_population_af)
    purity = math.nan
    if purity_json:
        try:
            with open(purity_json) as handle:
                value = json.load(handle).get("purity")
        except (OSError, json.JSONDecodeError) as err:
            raise InputError(f"cannot read purity JSON: {err}", purity_json) from None
        purity = float(value) if value is not None else math.nan
    table = allele_segments(seg, hets, purity, settings)
    write_tsv(table.round(4), out)


def tumor_copy_number(
    target_coverage: str,
    antitarget_coverage: str,
    reference: str,
    options: TumorOptions,
    outputs: Mapping[str, str],
) -> None:
    """Fix, segment, purity, sex, call, alleles and plots of one tumor from its coverage.

    ``outputs`` maps every key of :data:`TUMOR_OUTPUTS` to its path.
    """
    missing = [key for key in TUMOR_OUTPUTS if key not in outputs]
    if missing:
        raise InputError(f"tumor_copy_number needs output paths for {missing}")
    _configure_logging()
    o = options
    with staged_outputs({key: outputs[key] for key in TUMOR_OUTPUTS}) as tmp:
        edge = [] if o.edge else ["--no-edge"]
        fix = [target_coverage, antitarget_coverage, reference, *edge, "-i", o.sample]
        run_cnvkit(["fix", *fix, "-o", tmp["cnr"]])
        segment = ["-m", o.segment_method, *shlex.split(o.segment_extra), "-p", str(o.processes)]
        run_cnvkit(["segment", tmp["cnr"], *segment, "-o", tmp["cns"]])
        purity = write_purity(tmp["cns"], o.sample, o.purity, tmp["purity"], tmp["purity_args"])
        sex = write_sex(o.sample, o.sex, tmp["sex"], tmp["sex_args"])
        # no bin left after fix (too little coverage or territory): CNVkit's call --vcf and its
        # plots stop on it, so call on depth alone and draw the reason instead of the plots
        empty = table_rows(tmp["cnr"]) == 0 or table_rows(tmp["cns"]) == 0
        call = ["-m", o.call_method, "--min-variant-depth", str(o.min_variant_depth)]
        if o.vcf and not empty:
            call += ["--vcf", o.vcf, "-i", o.sample] + (["-n", o.normal] if o.normal else [])
        run_cnvkit(["call", tmp["cns"], *purity, *sex, *call, "-o", tmp["call_cns"]])
        write_alleles(tmp["call_cns"], o.vcf, o.sample, o.normal, tmp["purity"], o.alleles,
                      tmp["alleles"])  # fmt: skip
        if empty:
            logging.warning("note: %s: %s; scatter and diagram not drawn", o.sample, NO_BINS)
            placeholder_figure(tmp["scatter"], o.sample, NO_BINS)
            placeholder_figure(tmp["diagram"], o.sample, NO_BINS)
            return
        plot = [tmp["cnr"], "-s", tmp["call_cns"]]
        run_cnvkit(["scatter", *plot, "--title", o.sample, "-o", tmp["scatter"]])
        run_cnvkit(["diagram", *plot, "-o", tmp["diagram"]])


def _configure_logging() -> None:
    """CNVkit's own log format (``cnvkit.py`` sets it in its ``main``)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
