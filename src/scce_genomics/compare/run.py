"""The SCCE-versus-reference comparison: load the cohort's contract files, compare, write tables.

Outputs (``outdir``): ``summary.tsv`` (family × reference similarity with CI, closest reference,
typicality and the verdict of :mod:`.verdict`), ``spectra_samples.tsv`` (per-sample
calibrated calls), ``signatures.tsv``, ``genes.tsv``, ``arms.tsv``, ``focal.tsv`` (per-feature
tests: test, effect size, CI and BH correction named in columns) and three PNG figures. Every
NA carries a reason. A second user cohort can stand in for a reference (:func:`cohort_from_dir`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.compare.cnv import (
    arm_family,
    arm_tests,
    focal_family,
    focal_tests,
    recall_arms,
)
from scce_genomics.compare.families import compare_family
from scce_genomics.compare.genes import gene_family, gene_tests
from scce_genomics.compare.plots import plot_arm_frequencies, plot_gene_forest, plot_spectra
from scce_genomics.compare.references import (
    CohortData,
    arm_frequencies,
    count_trinucleotides,
    opportunity,
    read_maf_mutations,
    read_sbs96,
)
from scce_genomics.compare.signatures import signature_family, signature_tests
from scce_genomics.compare.spectra import (
    converted_catalogue,
    other_spectrum_family,
    per_sample_spectra,
    sbs_family,
)
from scce_genomics.compare.verdict import VerdictRule, summary_table
from scce_genomics.errors import InputError
from scce_genomics.fileio import write_tsv

__all__ = [
    "FAMILIES",
    "CompareConfig",
    "cohort_from_dir",
    "compare_summary",
    "load_cohort",
    "read_sample_list",
    "run_comparison",
]


@dataclass
class CompareConfig:
    """Settings of the ``comparison`` config section."""

    min_mut: int = 5
    always_genes: tuple[str, ...] = ("TP53", "RB1")
    fdr: float = 0.05
    ci_level: float = 0.95
    bootstrap: int = 500
    seed: int = 1
    min_samples: int = 3
    presence_min: float = 0.05
    arm_threshold: float | None = None  # None: the target reference's own arm cut-off
    use_arm_log2: bool = True
    posterior_smoothing: float = 20.0
    min_posterior: float = 0.9
    rule: VerdictRule = field(default_factory=VerdictRule)


def read_sample_list(path: str | Path) -> list[str]:
    """Samples from a one-per-line file or a TSV with a ``sample`` column (tumors only if typed)."""
    path = Path(path)
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, comment="#")
    except pd.errors.EmptyDataError:
        raise InputError("sample list is empty", path) from None
    except OSError as err:
        raise InputError(f"cannot read sample list ({err})", path) from None
    if "sample" in table.columns:
        if "type" in table.columns:
            table = table[table["type"].fillna("tumor") == "tumor"]
        return list(dict.fromkeys(table["sample"].dropna()))
    names = [str(table.columns[0]), *table.iloc[:, 0].dropna().astype(str)]
    return list(dict.fromkeys(names))


def _long_calls(path: str | Path, key: str) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, sep="\t", dtype={"sample": str, key: str}, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"cannot read calls ({err})", path) from None
    need = {"sample", key, "log2", "call"}
    if not need <= set(table.columns):
        raise InputError(f"needs columns {', '.join(sorted(need))}", path)
    table = table[["sample", key, "log2", "call"]].copy()
    table["log2"] = pd.to_numeric(table["log2"], errors="coerce")
    return table


def _exposures(path: str | Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, sep="\t")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"cannot read exposures ({err})", path) from None
    if {"sample", "signature", "exposure"} <= set(table.columns):
        wide = table.pivot_table(
            index="sample", columns="signature", values="exposure", aggfunc="sum"
        )
        return wide.fillna(0.0).astype(float)
    return table.set_index(table.columns[0]).astype(float)


def load_cohort(
    name: str = "cohort",
    *,
    samples: list[str] | None = None,
    sbs96: str | Path | None = None,
    opportunity_spec: str | None = None,
    fasta: str | Path | None = None,
    targets: str | Path | None = None,
    exposures: str | Path | None = None,
    maf: str | Path | None = None,
    arms: str | Path | None = None,
    genes: str | Path | None = None,
    id83: str | Path | None = None,
    dbs78: str | Path | None = None,
) -> CohortData:
    """A cohort from the workflow's contract files (any may be missing)."""
    data = CohortData(name=name)
    if opportunity_spec:
        data.opportunity = opportunity(opportunity_spec)
        data.opportunity_label = opportunity_spec
    elif fasta:
        data.opportunity = count_trinucleotides(fasta, targets or None)
        data.opportunity_label = f"counted from {Path(fasta).name}" + (
            f" within {Path(targets).name}" if targets else ""
        )
    if sbs96:
        matrix = read_sbs96(sbs96)
        if samples is not None:
            matrix = matrix.reindex(columns=samples, fill_value=0.0)
        data.sbs96 = matrix
    for kind, path in (("ID83", id83), ("DBS78", dbs78)):
        if path:
            table = pd.read_csv(path, sep="\t", index_col=0)
            data.other_spectra[kind] = table.astype(float)
    if exposures:
        exp = _exposures(exposures)
        data.exposures = exp if samples is None else exp[exp.index.isin(samples)]
    if maf:
        pairs, seen = read_maf_mutations(maf, ids=False)
        if samples is not None:
            extra = sorted(set(seen) - set(samples))
            if extra:
                raise InputError(
                    f"MAF has samples not in the sample list: {', '.join(extra[:5])}", maf
                )
            data.mutation_samples = list(samples)
        else:
            data.mutation_samples = seen
        data.mutated = pairs
    if arms:
        data.arm_calls = _long_calls(arms, "arm")
    if genes:
        data.focal_calls = _long_calls(genes, "gene")
    return data


def cohort_from_dir(
    results: str | Path, name: str, opportunity_spec: str | None = None
) -> CohortData:
    """A second cohort from its results folder, to be used as a reference."""
    root = Path(results)

    def opt(rel: str) -> Path | None:
        p = root / rel
        return p if p.is_file() else None

    samples = None
    tmb = opt("somatic/tmb.tsv")
    if tmb is not None:
        samples = list(pd.read_csv(tmb, sep="\t", dtype={"sample": str})["sample"])
    fasta = opt("reference/genome.fa") if not opportunity_spec else None
    data = load_cohort(
        name, samples=samples, sbs96=opt("spectra/SBS96.tsv"), opportunity_spec=opportunity_spec,
        fasta=fasta, exposures=opt("signatures/SBS_exposures.tsv"),
        maf=opt("somatic/cohort.maf"), arms=opt("cnv/arm_calls.tsv"),
        genes=opt("cnv/gene_calls.tsv"),
    )  # fmt: skip
    data.meta = {"name": name, "source": str(root), "thresholds": {}}
    return data


def _target_arm_threshold(refs: list[CohortData], cfg: CompareConfig) -> float | None:
    if not cfg.use_arm_log2:
        return None
    if cfg.arm_threshold is not None:
        return cfg.arm_threshold
    for ref in refs:
        if ref.name == cfg.rule.target:
            value = ref.meta.get("thresholds", {}).get("arm_log2")
            return None if value is None else float(value)
    return None


FAMILIES = (
    "SBS96 spectrum", "SBS6 spectrum", "ID83 spectrum", "DBS78 spectrum", "signatures",
    "driver genes", "arm CNV", "focal CNV",
)  # fmt: skip


def compare_summary(
    cohort: CohortData,
    refs: list[CohortData],
    cfg: CompareConfig,
    families: tuple[str, ...] = FAMILIES,
) -> pd.DataFrame:
    """The summary table (family × reference similarity and verdicts) without writing files."""
    names = [r.name for r in refs]
    if not refs:
        raise InputError("give at least one reference profile (--reference DIR)")
    if len(set(names)) != len(names):
        raise InputError(f"reference names must differ: {', '.join(names)}")
    threshold = _target_arm_threshold(refs, cfg)
    cohort_cnv = recall_arms(cohort, threshold)
    builders = {
        "SBS96 spectrum": lambda: sbs_family(cohort, refs),
        "SBS6 spectrum": lambda: sbs_family(cohort, refs, sbs6=True),
        "ID83 spectrum": lambda: other_spectrum_family(cohort, refs, "ID83"),
        "DBS78 spectrum": lambda: other_spectrum_family(cohort, refs, "DBS78"),
        "signatures": lambda: signature_family(cohort, refs, cfg.min_samples),
        "driver genes": lambda: gene_family(
            cohort, refs, cfg.min_mut, cfg.always_genes, cfg.min_samples
        ),
        "arm CNV": lambda: arm_family(cohort_cnv, refs, cfg.min_samples, cfg.seed),
        "focal CNV": lambda: focal_family(cohort, refs, cfg.min_samples),
    }
    fams = [builders[f]() for f in families]
    tables = [
        compare_family(fam, cfg.bootstrap, cfg.seed + k, cfg.ci_level) for k, fam in enumerate(fams)
    ]
    fam_table = pd.concat(tables, ignore_index=True)
    rank = {name: k for k, name in enumerate(names)}
    fam_table["_family"] = fam_table["family"].map({fam.family: k for k, fam in enumerate(fams)})
    fam_table["_ref"] = fam_table["reference"].map(rank)
    fam_table = fam_table.sort_values(["_family", "_ref"], kind="stable")
    fam_table = fam_table.drop(columns=["_family", "_ref"]).reset_index(drop=True)
    for col in ("n_cohort", "n_reference"):
        fam_table[col] = fam_table[col].astype("Int64")
    summary = summary_table(fam_table, cfg.rule)
    if threshold is not None:
        mask = summary["family"] == "arm CNV"
        note = f"cohort arm calls re-derived at |log2| > {threshold:g}"
        prior = summary.loc[mask, "reason"].fillna("").astype(str)
        summary.loc[mask, "reason"] = [f"{r}; {note}" if r else note for r in prior]
    return summary


def run_comparison(
    cohort: CohortData, refs: list[CohortData], cfg: CompareConfig, outdir: str | Path
) -> dict[str, Path]:
    """Compare ``cohort`` with every reference and write the tables and figures."""
    outdir = Path(outdir)
    summary = compare_summary(cohort, refs, cfg)
    cohort_cnv = recall_arms(cohort, _target_arm_threshold(refs, cfg))
    files: dict[str, Path] = {}

    def put(key: str, df: pd.DataFrame) -> None:
        files[key] = outdir / f"{key}.tsv"
        if "fdr" in df.columns:
            df = df.assign(significant=df["fdr"] < cfg.fdr)
        write_tsv(df, files[key])

    put("summary", summary)
    put(
        "spectra_samples",
        per_sample_spectra(
            cohort, refs, n_boot=min(cfg.bootstrap, 200), seed=cfg.seed,
            smoothing=cfg.posterior_smoothing, min_posterior=cfg.min_posterior,
        ),
    )  # fmt: skip
    put(
        "signatures",
        signature_tests(
            cohort, refs, cfg.presence_min, cfg.min_samples, cfg.bootstrap, cfg.seed, cfg.ci_level
        ),
    )
    genes = gene_tests(cohort, refs, cfg.min_mut, cfg.always_genes, cfg.min_samples, cfg.ci_level)
    put("genes", genes)
    put("arms", arm_tests(cohort_cnv, refs, cfg.min_samples, cfg.ci_level))
    put("focal", focal_tests(cohort, refs, cfg.min_samples, cfg.ci_level))
    # figures
    profiles: dict[str, np.ndarray] = {}
    if cohort.sbs96 is not None and cohort.sbs96.to_numpy().sum() > 0:
        profiles[f"{cohort.name} (n={cohort.sbs96.shape[1]})"] = cohort.sbs96.sum(axis=1).to_numpy()
        for ref in refs:
            if ref.sbs96 is not None:
                label = f"{ref.name} (n={ref.sbs96.shape[1]}, {ref.opportunity_label} → cohort)"
                profiles[label] = converted_catalogue(ref, cohort).sum(axis=0)
    files["spectra_png"] = outdir / "sbs96_spectra.png"
    plot_spectra(profiles, files["spectra_png"])
    files["forest_png"] = outdir / "gene_forest.png"
    plot_gene_forest(genes, cfg.rule.target, files["forest_png"])
    files["arms_png"] = outdir / "arm_frequencies.png"
    target = next((r for r in refs if r.name == cfg.rule.target), refs[0])
    plot_arm_frequencies(
        arm_frequencies(cohort_cnv), arm_frequencies(target), target.name, files["arms_png"]
    )
    return files
