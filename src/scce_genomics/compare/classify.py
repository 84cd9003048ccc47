"""Classify the cohort's tumors against the references and summarise the cohort, family by family.

Steps: describe the cohort's tumors and every reference tumor the same way (:mod:`.features`,
:mod:`.training`); cross-validate the classifier on the references by patient (nested, so the
calibration is fitted inside each training set) for the calibration report and the typicality
nulls; fit it on all reference tumors; give every cohort tumor its probabilities (all its
families together and each family alone); and summarise the cohort (:mod:`.cohort`).

The classifier is trained on the families the cohort has, so its calibration is the one that
applies to the cohort's tumors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scce_genomics.compare.calibration import calibration_metrics, reliability_table
from scce_genomics.compare.classifier import (
    CLOSEST_DEFINITION,
    COMBINED,
    Classifier,
    CrossValidation,
    LabelledSet,
    cross_validate,
    fit_classifier,
)
from scce_genomics.compare.cohort import CohortStats, cohort_statistics
from scce_genomics.compare.features import CLASSIFIER_FAMILIES, FeatureSettings, family_features
from scce_genomics.compare.references import CohortData
from scce_genomics.compare.training import arm_list, reference_training_set

__all__ = [
    "FAMILY_COLUMN",
    "Classification",
    "ReferenceCache",
    "ReferenceModel",
    "classify_cohort",
    "reference_model",
]

#: Short names of the families in per-tumor column names (``p_<short>_<reference>``).
FAMILY_COLUMN = {
    "SBS96 spectrum": "sbs96",
    "signatures": "signatures",
    "driver genes": "genes",
    "arm CNV": "arms",
    "focal CNV": "focal",
}
_PROFILE_KEY = {
    "SBS96 spectrum": "sbs96",
    "signatures": "signatures",
    "driver genes": "genes",
    "arm CNV": "arm_cnv",
    "focal CNV": "focal_cnv",
}


@dataclass
class ReferenceModel:
    """The classifier for one set of families: training set, nested CV and final fit."""

    families: tuple[str, ...]
    training: LabelledSet
    cv: CrossValidation
    classifier: Classifier
    calibration: dict[tuple[int, int], tuple[pd.DataFrame, pd.DataFrame]] = field(
        default_factory=dict
    )


@dataclass
class ReferenceCache:
    """Reference work that does not depend on the cohort's tumors (same references, assay).

    Lets many cohorts be compared with the same references without refitting (benchmarks).
    """

    exposures: dict[str, pd.DataFrame] | None = None
    descriptive_exposures: dict[str, pd.DataFrame] | None = None
    models: dict[tuple[str, ...], ReferenceModel] = field(default_factory=dict)


def reference_model(
    refs: Sequence[CohortData],
    settings: FeatureSettings,
    exposures: dict[str, pd.DataFrame] | None,
    families: tuple[str, ...],
    folds: int,
    seed: int,
) -> ReferenceModel:
    """Train, cross-validate and fit the classifier on ``families`` of the references."""
    training = reference_training_set(refs, settings, exposures, families)
    cv = cross_validate(training, folds=folds, seed=seed)
    clf = fit_classifier(training, folds=folds, seed=seed)
    return ReferenceModel(tuple(f for f in families if f in training.features), training, cv, clf)


@dataclass
class Classification:
    """Per-tumor probabilities, cohort statistics per family and the CV calibration report."""

    references: list[str]
    families: tuple[str, ...]
    tumors: pd.DataFrame
    stats: dict[str, CohortStats | None] = field(default_factory=dict)
    stats_reason: dict[str, str] = field(default_factory=dict)
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)
    reliability: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: dict[str, str] = field(default_factory=dict)
    marginalised: str = ""


def _coverage_notes(
    refs: Sequence[CohortData], training_families: dict[str, set[str]]
) -> tuple[dict[str, str], str]:
    """Per family: which references lack it and how it is handled; and one line saying why.

    The line groups a reference's missing families with the reason its ``profile.yaml``
    states (``unavailable``).
    """
    notes: dict[str, str] = {}
    why_lines: dict[tuple[str, str], list[str]] = {}
    for family, have in training_families.items():
        missing = [r for r in refs if r.name not in have]
        if not missing:
            continue
        notes[family] = (
            f"{', '.join(r.name for r in missing)} without per-patient data: marginalised out, "
            f"not imputed (the family only splits the probability among {', '.join(sorted(have))})"
        )
        for ref in missing:
            why = str((ref.meta.get("unavailable") or {}).get(_PROFILE_KEY[family], ""))
            why_lines.setdefault((ref.name, why), []).append(family)
    line = "; ".join(
        f"{name} has no per-patient {' or '.join(fams)}" + (f" ({why})" if why else "")
        + " — marginalised out, not imputed"
        for (name, why), fams in why_lines.items()
    )  # fmt: skip
    return notes, line


def _null_pool(
    cv: CrossValidation, families: tuple[str, ...], target: str, combined: bool
) -> np.ndarray:
    """Out-of-fold P(target) of the target's tumors that have ``families``."""
    col = cv.classes.index(target)
    is_target = (cv.labels == target).to_numpy()
    has = cv.families_of.map(lambda fs: set(families) <= set(fs)).to_numpy()
    probs = cv.probabilities(families) if combined else cv.family_probabilities(families[0])
    values = probs[is_target & has, col]
    if not np.isfinite(values).any():  # none has every family: any of them
        any_of = cv.families_of.map(lambda fs: bool(set(families) & set(fs))).to_numpy()
        values = probs[is_target & any_of, col]
    return values[np.isfinite(values)]


def _calibration_rows(
    cv: CrossValidation, families: tuple[str, ...], weights: dict[str, float],
    temps: dict[str, float], n_boot: int, seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    truth = cv.labels.map({c: k for k, c in enumerate(cv.classes)}).to_numpy()
    every = cv.families_of.map(lambda fs: set(families) <= set(fs)).to_numpy()
    combined = cv.probabilities(families)
    scopes: list[tuple[str, str, np.ndarray, np.ndarray]] = [
        (
            COMBINED,
            "reference tumors with any of these families",
            combined,
            np.ones(len(truth), bool),
        ),
        (COMBINED, "reference tumors with every one of these families", combined, every),
    ]
    for f in families:
        scopes.append(
            (
                f,
                "reference tumors with this family",
                cv.family_probabilities(f),
                np.ones(len(truth), bool),
            )
        )
    rows = []
    for family, tumors, probs, mask in scopes:
        metrics = calibration_metrics(probs[mask], truth[mask], n_boot=n_boot, seed=seed)
        rows.append(
            {
                "family": family,
                "tumors": tumors,
                **metrics,
                "weight": np.nan if family == COMBINED else weights.get(family, np.nan),
                "temperature": np.nan if family == COMBINED else temps.get(family, np.nan),
                "families_combined": ", ".join(families) if family == COMBINED else family,
            }
        )
    table = pd.DataFrame(rows)
    table["n"] = table["n"].astype(int)
    table["method"] = (
        f"nested patient-level {len(cv.weights)}-fold cross-validation of the reference tumors "
        "(calibration fitted inside each training set); accuracy, multi-class Brier score and "
        "top-label expected calibration error (10 bins) with percentile bootstrap 95% CIs "
        f"({n_boot} resamples of tumors)"
    )
    reliability = reliability_table(combined, truth)
    reliability.insert(0, "family", COMBINED)
    return table, reliability


def classify_cohort(
    cohort: CohortData,
    refs: Sequence[CohortData],
    settings: FeatureSettings,
    exposures: dict[str, pd.DataFrame] | None,
    target: str,
    *,
    folds: int = 5,
    seed: int = 1,
    n_boot: int = 500,
    min_samples: int = 3,
    min_posterior: float = 0.9,
    cache: ReferenceCache | None = None,
    cohort_exposures: pd.DataFrame | None = None,
) -> Classification:
    """Per-tumor probabilities and per-family cohort statistics (see the module docstring).

    ``exposures`` (by reference) and ``cohort_exposures`` replace the attributions the data
    carry, so that both sides of the signature family come from the same fit.
    """
    names = [r.name for r in refs]
    arms = arm_list(refs)
    feats = {
        f: t for f, t in family_features(cohort, settings, cohort_exposures, arms).items()
        if f in CLASSIFIER_FAMILIES
    }  # fmt: skip
    families = tuple(f for f in CLASSIFIER_FAMILIES if f in feats)
    result = Classification(names, families, pd.DataFrame(columns=["sample"]))
    if not families:
        result.stats_reason[COMBINED] = "the cohort has no family the classifier uses"
        return result
    cache = cache if cache is not None else ReferenceCache()
    if families not in cache.models:
        cache.models[families] = reference_model(refs, settings, exposures, families, folds, seed)
    model = cache.models[families]
    training, cv, clf = model.training, model.cv, model.classifier
    families = model.families
    feats = {f: feats[f] for f in families}
    result.families = families
    have = {f: set(training.labels.loc[training.features[f].index].unique()) for f in families}
    result.notes, result.marginalised = _coverage_notes(refs, have)
    order = [s for s in cohort.samples() if any(s in t.index for t in feats.values())]
    tumors = pd.Index(order)
    ll = clf.logliks(feats, tumors)
    combined = clf.probabilities(ll)
    alone = clf.family_probabilities(ll)

    table = pd.DataFrame({"sample": order})
    table["families"] = [
        ", ".join(f for f in families if not np.isnan(ll[f][i]).all()) for i in range(len(order))
    ]
    for k, ref in enumerate(names):
        table[f"probability_{ref}"] = combined[:, k]
    best = np.nanargmax(np.nan_to_num(combined, nan=-1.0), axis=1)
    top = combined[np.arange(len(order)), best]
    table["closest"] = [names[b] for b in best]
    table["call"] = np.where(top >= min_posterior, table["closest"], "uncertain")
    table["reason"] = [
        "" if t >= min_posterior else f"largest probability {t:.2f} < {min_posterior:g}"
        for t in top
    ]
    for f in families:
        for k, ref in enumerate(names):
            table[f"p_{FAMILY_COLUMN[f]}_{ref}"] = alone[f][:, k]

    # cohort statistics: every family alone, then all together
    stats: dict[str, CohortStats | None] = {}
    for f in (*families, COMBINED):
        if f == COMBINED:
            probs = pd.DataFrame(combined, columns=names)
            present = np.ones(len(order), dtype=bool)
        else:
            probs = pd.DataFrame(alone[f], columns=names)
            present = ~np.isnan(ll[f]).all(axis=1)
        n = int(present.sum())
        if n < min_samples:
            stats[f] = None
            result.stats_reason[f] = f"{n} tumor(s) with this family; need ≥ {min_samples}"
            continue
        if f == COMBINED:
            by_set: dict[tuple[str, ...], np.ndarray] = {}
            pools = []
            for i in np.flatnonzero(present):
                key = tuple(x for x in families if not np.isnan(ll[x][i]).all())
                if key not in by_set:
                    by_set[key] = _null_pool(cv, key, target, combined=True)
                pools.append(by_set[key])
        else:
            pool = _null_pool(cv, (f,), target, combined=False)
            pools = [pool] * n
        stats[f] = cohort_statistics(probs[present], pools, target, n_boot, seed)
    result.stats = stats

    cohort_row: dict[str, object] = {"sample": "(cohort)"}
    comb = stats.get(COMBINED)
    if comb is not None:
        means = comb.table.set_index("reference")
        for ref in names:
            cohort_row[f"probability_{ref}"] = means["mean_probability"].get(ref, np.nan)
        cohort_row["closest"] = comb.closest
        cohort_row["call"] = comb.closest
        support = float(means["support_as_closest"].astype(float)[comb.closest])
        cohort_row["reason"] = f"mean over {comb.n_tumors} tumors; support as closest {support:.2f}"
    else:
        cohort_row.update({"call": "NA", "reason": result.stats_reason.get(COMBINED, "")})
    for f in families:
        st = stats.get(f)
        if st is None:
            continue
        family_means = st.table.set_index("reference")["mean_probability"]
        for ref in names:
            cohort_row[f"p_{FAMILY_COLUMN[f]}_{ref}"] = family_means.get(ref, np.nan)
    table = pd.concat([table, pd.DataFrame([cohort_row])], ignore_index=True)
    table["marginalised"] = result.marginalised
    table["closest_definition"] = CLOSEST_DEFINITION
    result.tumors = table
    if (n_boot, seed) not in model.calibration:
        model.calibration[n_boot, seed] = _calibration_rows(
            cv, families, clf.weights, clf.temperatures, n_boot, seed
        )
    result.calibration, result.reliability = model.calibration[n_boot, seed]
    return result
