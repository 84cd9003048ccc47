"""The SCCE-versus-reference comparison: load the cohort's contract files, compare, write tables.

Outputs (``outdir``; every NA carries a reason; "closest" has one definition, the reference
with the highest calibrated probability, stated in ``tumors.tsv`` and ``summary.tsv``):

* ``summary.tsv``: one row per family × reference, families ``SBS96 spectrum``,
  ``signatures``, ``driver genes``, ``arm CNV``, ``focal CNV``, ``all families`` (and
  ``ID83``/``DBS78 spectrum`` when a reference has them), then ``overall``. Columns:
  ``n_cohort``, ``n_reference``; descriptive ``metric``, ``similarity``, ``ci_low``,
  ``ci_high``, ``ci_method`` (cosine or Pearson of the aggregates, bootstrap CI);
  classifier ``mean_probability`` with ``prob_ci_low``/``prob_ci_high`` (bootstrap over
  tumors), ``support_as_closest``, and for the target ``p_typical``, ``null_median``,
  ``null_q05``; per family ``closest``, ``verdict`` (``ESCC-like``/``not ESCC-like``/
  ``inconclusive``/``NA``), ``verdict_reason``; ``reason`` (why a value is NA, or how a
  family a reference lacks was handled), ``closest_definition``, ``verdict_rule``,
  ``typicality_method``. The ``overall`` row's reason lists which families point to the target
  and which away from it.
* ``tumors.tsv``: one row per tumor and a final ``(cohort)`` row (means over tumors):
  ``families`` used, ``probability_<ref>`` (all its families), ``closest``, ``call``
  (``closest`` when its probability ≥ ``min_posterior``, else ``uncertain``), ``reason``,
  ``p_<family>_<ref>`` for each family alone (``sbs96``, ``signatures``, ``genes``, ``arms``,
  ``focal``; NA for a reference without the family), ``n_mutations``, descriptive SBS96
  ``cosine_<ref>`` and ``percentile_<ref>``, ``marginalised`` and ``closest_definition``.
* ``calibration.tsv``: patient-level cross-validation of the classifier on the reference
  tumors: per scope ``n``, ``accuracy``, ``brier``, ``ece`` with 95% CIs, family ``weight``
  and ``temperature``, ``method``; ``reliability.tsv``: per confidence bin ``n``,
  ``mean_confidence``, ``accuracy``; ``reliability.png`` draws it.
* ``signatures.tsv``, ``genes.tsv``, ``arms.tsv``, ``focal.tsv``: per-feature tests (test,
  effect size, CI and BH correction named in columns).
* ``sbs96_spectra.png``, ``gene_forest.png``, ``arm_frequencies.png``; ``summary.txt``: the
  one-screen summary also printed by the command.

A second user cohort can stand in for a reference (:func:`cohort_from_dir`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.compare.classifier import CLOSEST_DEFINITION, COMBINED
from scce_genomics.compare.classify import (
    Classification,
    ReferenceCache,
    classify_cohort,
    reference_model,
)
from scce_genomics.compare.cnv import (
    arm_family,
    arm_tests,
    focal_family,
    focal_tests,
    recall_arms,
)
from scce_genomics.compare.families import compare_family
from scce_genomics.compare.features import CLASSIFIER_FAMILIES, FeatureSettings, sbs96_table
from scce_genomics.compare.genes import gene_family, gene_tests
from scce_genomics.compare.model_file import digest
from scce_genomics.compare.plots import (
    plot_arm_frequencies,
    plot_gene_forest,
    plot_reliability,
    plot_spectra,
)
from scce_genomics.compare.references import (
    DEFAULT_THRESHOLDS,
    CohortData,
    arm_frequencies,
    count_trinucleotides,
    load_reference,
    opportunity,
    read_maf_mutations,
    read_sbs96,
    resources_dir,
)
from scce_genomics.compare.signatures import signature_family, signature_tests
from scce_genomics.compare.spectra import (
    converted_catalogue,
    other_spectrum_family,
    per_tumor_spectra,
    sbs_family,
)
from scce_genomics.compare.training import SignatureFit, refit_exposures
from scce_genomics.compare.verdict import VerdictRule, family_verdict, overall_verdict
from scce_genomics.errors import InputError
from scce_genomics.fileio import atomic_open, write_tsv

__all__ = [
    "CompareConfig",
    "ComparisonResult",
    "assay_opportunity",
    "cohort_from_dir",
    "compare_cohort",
    "default_reference_dirs",
    "feature_settings",
    "load_cohort",
    "load_references",
    "model_key",
    "read_sample_list",
    "reference_cache",
    "run_comparison",
    "terminal_summary",
]

SHIPPED = ("ESCC", "EAC", "SCLC")


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
    min_posterior: float = 0.9
    folds: int = 5
    signature_fit: SignatureFit = field(default_factory=SignatureFit)
    rule: VerdictRule = field(default_factory=VerdictRule)


def default_reference_dirs() -> list[Path]:
    """The shipped reference profiles (``resources/references/{ESCC,EAC,SCLC}``)."""
    return [resources_dir() / "references" / name for name in SHIPPED]


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
        table = pd.read_csv(path, sep="\t", dtype={"sample": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"cannot read exposures ({err})", path) from None
    if {"sample", "signature", "exposure"} <= set(table.columns):
        wide = table.pivot_table(
            index="sample", columns="signature", values="exposure", aggfunc="sum"
        )
        return wide.fillna(0.0).astype(float)
    wide = table.set_index(table.columns[0])
    wide.index = wide.index.astype(str)
    return wide.astype(float)


def _restrict(
    names: list[str], keep: list[str], what: str, path: str | Path, notes: list[str]
) -> list[str]:
    """``names`` within the cohort's ``keep``; extra ones are noted, never silently used."""
    extra = [n for n in names if n not in set(keep)]
    if extra:
        notes.append(
            f"{what}: {len(extra)} sample(s) outside the cohort ignored "
            f"(e.g. {', '.join(extra[:3])}) in {Path(path).name}"
        )
    return [n for n in names if n in set(keep)]


def assay_opportunity(
    spec: str | None, fasta: str | Path | None = None, targets: str | Path | None = None
) -> tuple[pd.Series | None, str]:
    """Trinucleotide abundance of the cohort's assay (a named or TSV table, or counted from
    ``fasta`` within ``targets``) and how to name it; (None, "unknown") without either."""
    if spec:
        return opportunity(spec), spec
    if fasta:
        where = f" within {Path(targets).name}" if targets else ""
        label = f"counted from {Path(fasta).name}{where}"
        return count_trinucleotides(fasta, targets or None), label
    return None, "unknown"


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
    """A cohort from the workflow's contract files (any may be missing).

    The cohort's tumors are ``samples`` when given, else the SBS96 matrix's columns, else the
    exposures' samples. Every other file is restricted to them (what is left out is noted in
    ``meta["input_notes"]``); a listed sample found in no per-tumor file is an error, as is an
    SBS96 matrix without a stated assay (``opportunity_spec`` or ``fasta``).
    """
    data = CohortData(name=name)
    notes: list[str] = []
    if sbs96 and not (opportunity_spec or fasta):
        raise InputError(
            "the cohort's assay is not stated: give --opportunity GRCh38_genome, GRCh38_exome, "
            "GRCh37_genome, GRCh37_exome or a trinucleotide table (or --fasta with --targets for "
            "capture); the references are exomes and spectra are converted between assays",
            sbs96,
        )
    if opportunity_spec or fasta:
        data.opportunity, data.opportunity_label = assay_opportunity(
            opportunity_spec, fasta, targets
        )
    matrix = read_sbs96(sbs96) if sbs96 else None
    exp = _exposures(exposures) if exposures else None
    arm_calls = _long_calls(arms, "arm") if arms else None
    gene_calls = _long_calls(genes, "gene") if genes else None
    pairs, seen = read_maf_mutations(maf, ids=False) if maf else (None, [])
    if samples is not None:
        tumors = list(dict.fromkeys(samples))
    elif matrix is not None:
        tumors = list(matrix.columns)
    elif exp is not None:
        tumors = list(exp.index)
    else:
        tumors = list(dict.fromkeys(seen))
        for calls in (arm_calls, gene_calls):
            if calls is not None:
                tumors += [s for s in dict.fromkeys(calls["sample"]) if s not in tumors]
    complete = {
        str(p): list(s)
        for p, s in (
            (sbs96, None if matrix is None else matrix.columns),
            (exposures, None if exp is None else exp.index),
            (arms, None if arm_calls is None else arm_calls["sample"].unique()),
            (genes, None if gene_calls is None else gene_calls["sample"].unique()),
        )
        if s is not None
    }
    if samples is not None:
        known = set().union(*map(set, complete.values())) if complete else set(seen)
        unknown = [s for s in tumors if s not in known]
        if unknown:
            where = ", ".join(Path(p).name for p in complete) or (Path(maf).name if maf else "")
            raise InputError(
                f"sample(s) {', '.join(unknown[:5])} of the sample list are in none of {where}: "
                "check their spelling against the files"
            )
        if matrix is not None:
            missing = [s for s in tumors if s not in matrix.columns]
            if missing:
                raise InputError(
                    f"sample(s) {', '.join(missing[:5])} of the sample list have no column in "
                    "the SBS96 matrix (a tumor without mutations still has a column of zeros)",
                    sbs96,
                )
    if matrix is not None:
        assert sbs96 is not None
        keep = _restrict(list(matrix.columns), tumors, "SBS96 matrix", sbs96, notes)
        data.sbs96 = matrix.loc[:, keep]
    for kind, path in (("ID83", id83), ("DBS78", dbs78)):
        if path:
            table = pd.read_csv(path, sep="\t", index_col=0)
            table.columns = [str(c) for c in table.columns]
            keep = _restrict(list(table.columns), tumors, kind, path, notes)
            data.other_spectra[kind] = table.loc[:, keep].astype(float)
    if exp is not None:
        assert exposures is not None
        keep = _restrict(list(exp.index), tumors, "exposures", exposures, notes)
        data.exposures = exp.loc[keep]
    if pairs is not None:
        assert maf is not None
        extra = sorted(set(seen) - set(tumors))
        if extra and samples is not None:
            raise InputError(f"MAF has samples not in the sample list: {', '.join(extra[:5])}", maf)
        _restrict(list(dict.fromkeys(seen)), tumors, "MAF", maf, notes)
        data.mutation_samples = list(tumors)  # a tumor absent from the MAF has no mutation
        data.mutated = pairs[pairs["sample"].isin(data.mutation_samples)]
    for attr, calls, path in (("arm_calls", arm_calls, arms), ("focal_calls", gene_calls, genes)):
        if calls is not None:
            assert path is not None
            _restrict(list(dict.fromkeys(calls["sample"])), tumors, attr, path, notes)
            setattr(data, attr, calls[calls["sample"].isin(tumors)].reset_index(drop=True))
    data.meta = {"name": name, "input_notes": notes}
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
    sbs96 = opt("spectra/SBS96.tsv")
    if sbs96 is not None and fasta is None and not opportunity_spec:
        raise InputError(
            f"cohort {name}: state its assay (reference/genome.fa is missing in the results)", root
        )
    data = load_cohort(
        name, samples=samples, sbs96=sbs96, opportunity_spec=opportunity_spec,
        fasta=fasta, exposures=opt("signatures/SBS_exposures.tsv"),
        maf=opt("somatic/cohort.maf"), arms=opt("cnv/arm_calls.tsv"),
        genes=opt("cnv/gene_calls.tsv"),
    )  # fmt: skip
    data.meta = {"name": name, "source": str(root), "thresholds": {}}
    return data


def _thresholds(refs: list[CohortData], cfg: CompareConfig) -> dict[str, float]:
    """The target reference's copy-number cut-offs (arm: ``cfg.arm_threshold`` if set)."""
    thr = dict(DEFAULT_THRESHOLDS)
    for ref in refs:
        if ref.name == cfg.rule.target:
            thr.update({k: float(v) for k, v in (ref.meta.get("thresholds") or {}).items()})
    if cfg.arm_threshold is not None:
        thr["arm_log2"] = cfg.arm_threshold
    return thr


def feature_settings(
    refs: list[CohortData], cfg: CompareConfig, opportunity: pd.Series | None
) -> FeatureSettings:
    """How every tumor is described: the cohort's assay and the target's cut-offs."""
    thr = _thresholds(refs, cfg)
    return FeatureSettings(
        opportunity=opportunity,
        arm_threshold=thr["arm_log2"] if cfg.use_arm_log2 else None,
        focal_thresholds={k: thr[k] for k in ("amp", "gain", "loss", "deep_del")},
    )


def _per_tumor_fit(cfg: CompareConfig) -> SignatureFit:
    """The classifier's fit: every tumor, cohort and reference alike, fitted alone (no cohort
    prior, which would make a reference tumor's features depend on its label)."""
    return replace(cfg.signature_fit, settings=replace(cfg.signature_fit.settings, method="mle"))


def _refit_references(
    cache: ReferenceCache, refs: list[CohortData], cfg: CompareConfig, settings: FeatureSettings
) -> None:
    if cache.exposures is None:
        cache.exposures = refit_exposures(refs, settings, _per_tumor_fit(cfg))
        cache.descriptive_exposures = refit_exposures(refs, settings, cfg.signature_fit)


def model_key(refs: list[CohortData], cfg: CompareConfig, opportunity: pd.Series | None) -> str:
    """Digest of everything the reference model depends on (references, assay, settings)."""
    settings = feature_settings(refs, cfg, opportunity)
    return digest([r.__dict__ for r in refs], settings, cfg.signature_fit, cfg.folds, cfg.seed)


def reference_cache(
    refs: list[CohortData], cfg: CompareConfig, opportunity: pd.Series | None
) -> ReferenceCache:
    """The reference work of a comparison whose cohort has every family (the workflow's).

    A cohort with fewer families reuses the refitted exposures and fits its own classifier.
    """
    settings = feature_settings(refs, cfg, opportunity)
    cache = ReferenceCache()
    _refit_references(cache, refs, cfg, settings)
    cache.models[CLASSIFIER_FAMILIES] = reference_model(
        refs, settings, cache.exposures, CLASSIFIER_FAMILIES, cfg.folds, cfg.seed
    )
    return cache


@dataclass
class ComparisonResult:
    """Everything the comparison computed (tables as written)."""

    summary: pd.DataFrame
    tumors: pd.DataFrame
    classification: Classification
    tests: dict[str, pd.DataFrame]
    notes: list[str]


def _descriptive(
    cohort: CohortData, refs: list[CohortData], cfg: CompareConfig, cohort_cnv: CohortData
) -> pd.DataFrame:
    builders = {
        "SBS96 spectrum": lambda: sbs_family(cohort, refs),
        "signatures": lambda: signature_family(cohort, refs, cfg.min_samples),
        "driver genes": lambda: gene_family(
            cohort, refs, cfg.min_mut, cfg.always_genes, cfg.min_samples
        ),
        "arm CNV": lambda: arm_family(cohort_cnv, refs, cfg.min_samples, cfg.seed),
        "focal CNV": lambda: focal_family(cohort, refs, cfg.min_samples),
    }
    tables = [
        compare_family(build(), cfg.bootstrap, cfg.seed + k, cfg.ci_level)
        for k, build in enumerate(builders.values())
    ]
    for kind in ("ID83", "DBS78"):
        if any(kind in r.other_spectra for r in refs):
            tables.append(
                compare_family(
                    other_spectrum_family(cohort, refs, kind), cfg.bootstrap, cfg.seed,
                    cfg.ci_level,
                )
            )  # fmt: skip
    return pd.concat(tables, ignore_index=True)


def _summary(
    desc: pd.DataFrame, cls: Classification, names: list[str], cfg: CompareConfig
) -> pd.DataFrame:
    rule = cfg.rule
    rows: list[dict[str, object]] = []
    verdicts: list[dict[str, str]] = []
    for family in (
        *CLASSIFIER_FAMILIES,
        COMBINED,
        *sorted(set(desc["family"]) - set(CLASSIFIER_FAMILIES)),
    ):
        part = desc[desc["family"] == family].set_index("reference")
        stats = cls.stats.get(family)
        classifier_family = family in (*CLASSIFIER_FAMILIES, COMBINED)
        if stats is not None:
            verdict, why = family_verdict(stats, rule)
            closest = stats.closest
            by_ref = stats.table.set_index("reference")
        else:
            if not classifier_family:
                verdict, why = "NA", "descriptive only: not a family of the classifier"
            elif family == COMBINED or family in cls.families:
                verdict, why = "NA", cls.stats_reason.get(family, "not computed")
            else:
                reasons = sorted({str(r) for r in part.get("reason", pd.Series()).dropna() if r})
                verdict, why = "NA", "; ".join(reasons) or "the cohort has no data in this family"
            closest, by_ref = "NA", pd.DataFrame()
        if classifier_family:
            verdicts.append({"family": family, "verdict": verdict, "closest": closest})
        for ref in names:
            row: dict[str, object] = {"family": family, "reference": ref}
            if ref in part.index:
                d = part.loc[ref]
                for col in ("metric", "n_cohort", "n_reference", "similarity", "ci_low",
                            "ci_high", "ci_method", "reason"):  # fmt: skip
                    row[col] = d.get(col)
            if stats is not None:
                row["n_cohort"] = stats.n_tumors
            if ref in by_ref.index:
                r = by_ref.loc[ref]
                for col in ("mean_probability", "prob_ci_low", "prob_ci_high",
                            "support_as_closest"):  # fmt: skip
                    row[col] = r[col]
                if ref == rule.target and stats is not None:
                    row["p_typical"] = stats.p_typical
                    row["null_median"] = stats.null_median
                    row["null_q05"] = stats.null_q05
            note = cls.notes.get(family, "")
            if stats is not None and ref not in by_ref.index and note:
                prior = row.get("reason")
                row["reason"] = f"{prior}; {note}" if isinstance(prior, str) and prior else note
            row.update({"closest": closest, "verdict": verdict, "verdict_reason": why})
            rows.append(row)
    overall, why = overall_verdict(
        pd.DataFrame([v for v in verdicts if v["family"] != COMBINED]), rule
    )
    combined = cls.stats.get(COMBINED)
    rows.append(
        {
            "family": "overall",
            "reference": rule.target,
            "verdict": overall,
            "verdict_reason": why,
            "closest": combined.closest if combined is not None else "NA",
        }
    )
    cols = [
        "family", "reference", "n_cohort", "n_reference", "metric", "similarity", "ci_low",
        "ci_high", "mean_probability", "prob_ci_low", "prob_ci_high", "support_as_closest",
        "p_typical", "null_median", "null_q05", "closest", "verdict", "verdict_reason",
        "reason", "ci_method",
    ]  # fmt: skip
    table = pd.DataFrame(rows).reindex(columns=cols)
    for col in ("n_cohort", "n_reference"):
        table[col] = pd.to_numeric(table[col], errors="coerce").astype("Int64")
    table["closest_definition"] = CLOSEST_DEFINITION
    table["verdict_rule"] = rule.describe()
    table.loc[table["family"] == "overall", "verdict_rule"] = (
        f"{rule.like} if ≥ 1 family is {rule.like} and none {rule.unlike}; mirrored for "
        f"{rule.unlike}; else inconclusive (the '{COMBINED}' row does not vote)"
    )
    table["typicality_method"] = (
        f"mean P({rule.target}) of the cohort against same-size cohorts of {rule.target}'s "
        "reference tumors, each with its out-of-fold probability from the same families "
        f"({cfg.bootstrap} draws)"
    )
    return table


def compare_cohort(
    cohort: CohortData,
    refs: list[CohortData],
    cfg: CompareConfig,
    cache: ReferenceCache | None = None,
) -> ComparisonResult:
    """Compare ``cohort`` with every reference: summary, per-tumor table, tests.

    ``cache`` keeps the reference fits between calls with the same references and assay.
    """
    names = [r.name for r in refs]
    if not refs:
        raise InputError("give at least one reference profile (--reference DIR)")
    if len(set(names)) != len(names):
        raise InputError(f"reference names must differ: {', '.join(names)}")
    if cfg.rule.target not in names:
        raise InputError(
            f"target {cfg.rule.target} is not among the references ({', '.join(names)})"
        )
    thr = _thresholds(refs, cfg)
    settings = feature_settings(refs, cfg, cohort.opportunity)
    cache = cache if cache is not None else ReferenceCache()
    exposures = cohort_exposures = None
    if cohort.exposures is not None:
        _refit_references(cache, refs, cfg, settings)
        exposures = cache.exposures
        counts = sbs96_table(cohort, settings)
        if counts is not None and len(counts):
            cohort_exposures = _per_tumor_fit(cfg).exposures(counts)
    fitted = refs  # without cohort exposures, the references' own stay (the family is NA)
    if exposures is not None:
        refit = cache.descriptive_exposures or {}
        fitted = [CohortData(**{**r.__dict__, "exposures": refit.get(r.name)}) for r in refs]
    cls = classify_cohort(
        cohort, refs, settings, exposures, cfg.rule.target, folds=cfg.folds, seed=cfg.seed,
        n_boot=cfg.bootstrap, min_samples=cfg.min_samples, min_posterior=cfg.min_posterior,
        cache=cache, cohort_exposures=cohort_exposures,
    )  # fmt: skip
    cohort_cnv = recall_arms(cohort, thr["arm_log2"] if cfg.use_arm_log2 else None)
    desc = _descriptive(cohort, fitted, cfg, cohort_cnv)
    summary = _summary(desc, cls, names, cfg)
    if cfg.use_arm_log2:
        mask = summary["family"] == "arm CNV"
        note = f"arm calls re-derived from log2 at |log2| > {thr['arm_log2']:g}"
        prior = summary.loc[mask, "reason"].fillna("").astype(str)
        summary.loc[mask, "reason"] = [f"{r}; {note}" if r else note for r in prior]
    spectra = per_tumor_spectra(cohort, refs, seed=cfg.seed)
    tumors = cls.tumors
    if len(spectra):
        tumors = tumors.merge(spectra, on="sample", how="left")
    tests = {
        "signatures": signature_tests(
            cohort, fitted, cfg.presence_min, cfg.min_samples, cfg.bootstrap, cfg.seed,
            cfg.ci_level,
        ),
        "genes": gene_tests(
            cohort, refs, cfg.min_mut, cfg.always_genes, cfg.min_samples, cfg.ci_level
        ),
        "arms": arm_tests(cohort_cnv, refs, cfg.min_samples, cfg.ci_level),
        "focal": focal_tests(cohort, refs, cfg.min_samples, cfg.ci_level),
    }  # fmt: skip
    return ComparisonResult(summary, tumors, cls, tests, list(cohort.meta.get("input_notes", [])))


def _fmt(value: object, digits: int = 2) -> str:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    return "NA" if np.isnan(x) else f"{x:.{digits}f}"


def terminal_summary(
    result: ComparisonResult, cohort: str, ref_dirs: list[str], outdir: str | Path,
    max_tumors: int = 8,
) -> str:  # fmt: skip
    """The one-screen summary: verdict per family, calibration, a few tumors, where files are."""
    s = result.summary
    names = list(dict.fromkeys(s.loc[s["family"] != "overall", "reference"]))
    target = str(s.loc[s["family"] == "overall", "reference"].iloc[0])
    lines = [f"scce-genomics compare: {cohort} vs {', '.join(names)}"]
    lines.append(f"references: {', '.join(ref_dirs)}")
    lines.append(CLOSEST_DEFINITION)
    head = f"{'family':<16}{'n':>4}  " + "".join(f"{'P(' + n + ')':>9}" for n in names)
    lines.append(head + f"  {'closest':<8}{'support':>8}{'p_typ':>7}  verdict")
    for family in (*CLASSIFIER_FAMILIES, COMBINED):
        part = s[s["family"] == family].set_index("reference")
        if part.empty:
            continue
        n = part["n_cohort"].dropna()
        probs = "".join(f"{_fmt(part.loc[r, 'mean_probability']):>9}" for r in names)
        sup = part.loc[target, "support_as_closest"] if target in part.index else np.nan
        ptyp = part.loc[target, "p_typical"] if target in part.index else np.nan
        first = part.iloc[0]
        lines.append(
            f"{family:<16}{(str(n.iloc[0]) if len(n) else '-'):>4}  {probs}  "
            f"{first['closest']!s:<8}{_fmt(sup):>8}{_fmt(ptyp, 3):>7}  {first['verdict']}"
        )
    overall = s[s["family"] == "overall"].iloc[0]
    lines.append(f"OVERALL: {overall['verdict']} — {overall['verdict_reason']}")
    cal = result.classification.calibration
    if len(cal):
        row = cal.iloc[0]
        lines.append(
            f"calibration (patient-level CV on {int(row['n'])} reference tumors, families "
            f"{row['families_combined']}): accuracy {_fmt(row['accuracy'])}, Brier "
            f"{_fmt(row['brier'])}, ECE {_fmt(row['ece'], 3)}"
        )
    if result.classification.marginalised:
        lines.append(f"note: {result.classification.marginalised}")
    lines += [f"note: {n}" for n in result.notes]
    tumors = result.tumors[result.tumors["sample"] != "(cohort)"]
    if len(tumors):
        lines.append("per tumor (all its families): " + " ".join(f"P({n})" for n in names))
        for _, t in tumors.head(max_tumors).iterrows():
            probs = " ".join(_fmt(t.get(f"probability_{n}")) for n in names)
            lines.append(f"  {str(t['sample'])[:24]:<24} {probs}  {t['call']}")
        if len(tumors) > max_tumors:
            lines.append(f"  … {len(tumors) - max_tumors} more in tumors.tsv")
    lines.append(f"tables and figures: {outdir}/ (summary.tsv, tumors.tsv, calibration.tsv)")
    return "\n".join(lines)


def run_comparison(
    cohort: CohortData,
    refs: list[CohortData],
    cfg: CompareConfig,
    outdir: str | Path,
    ref_dirs: list[str] | None = None,
    cache: ReferenceCache | None = None,
) -> tuple[dict[str, Path], str]:
    """Compare, write every table and figure, and return them with the terminal summary.

    ``cache``: the reference work done beforehand (:func:`reference_cache`), if any.
    """
    outdir = Path(outdir)
    result = compare_cohort(cohort, refs, cfg, cache)
    files: dict[str, Path] = {}

    def put(key: str, df: pd.DataFrame) -> None:
        files[key] = outdir / f"{key}.tsv"
        if "fdr" in df.columns:
            df = df.assign(significant=df["fdr"] < cfg.fdr)
        write_tsv(df, files[key])

    put("summary", result.summary)
    put("tumors", result.tumors)
    put("calibration", result.classification.calibration)
    put("reliability", result.classification.reliability)
    for key, table in result.tests.items():
        put(key, table)
    files["reliability_png"] = outdir / "reliability.png"
    cal = result.classification.calibration
    title = "no calibration (no classifier family)"
    if len(cal):
        row = cal.iloc[0]
        title = (
            f"out-of-fold, {int(row['n'])} reference tumors ({row['families_combined']}): "
            f"ECE {_fmt(row['ece'], 3)}"
        )
    plot_reliability(result.classification.reliability, title, files["reliability_png"])
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
    plot_gene_forest(result.tests["genes"], cfg.rule.target, files["forest_png"])
    files["arms_png"] = outdir / "arm_frequencies.png"
    thr = _thresholds(refs, cfg)
    cohort_cnv = recall_arms(cohort, thr["arm_log2"] if cfg.use_arm_log2 else None)
    target = next(r for r in refs if r.name == cfg.rule.target)
    plot_arm_frequencies(
        arm_frequencies(cohort_cnv), arm_frequencies(target), target.name, files["arms_png"]
    )
    text = terminal_summary(result, cohort.name, ref_dirs or [r.name for r in refs], outdir)
    files["summary_txt"] = outdir / "summary.txt"
    with atomic_open(files["summary_txt"]) as handle:
        handle.write(text + "\n")
    return files, text


def load_references(paths: list[str], versus: list[str]) -> tuple[list[CohortData], list[str]]:
    """Reference profiles (the shipped ones when none is given) and how to name their source."""
    dirs = [Path(p) for p in paths] or ([] if versus else default_reference_dirs())
    refs = [load_reference(p) for p in dirs]
    shown = [f"{p} (shipped)" if not paths else str(p) for p in dirs]
    for item in versus:
        name, _, folder = item.partition("=")
        refs.append(cohort_from_dir(folder or name, name if folder else "other cohort"))
        shown.append(f"{folder or name} (cohort)")
    return refs, shown
