"""Mutation spectra versus references: cohort-level similarity and per-tumor descriptions.

References are exome catalogues; a cohort may be genomes or a synthetic genome. Reference
catalogues are therefore converted to the cohort's trinucleotide abundance
(:func:`.references.opportunity_weights`) before anything is compared; the cohort
keeps its observed counts so that multinomial resampling stays exact.

Per tumor, ``percentile_<ref>`` places the tumor's cosine to the reference profile among the
reference's own tumors downsampled (multinomially) to the tumor's mutation count and scored
against the leave-one-out profile: a 40-mutation biopsy is judged against 40-mutation draws,
not against 4,000-mutation tumors. These are descriptive; which reference a tumor is closest
to is the calibrated classifier's answer (:mod:`.classifier`), never a second definition here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scce_genomics.compare.families import FamilyInput, RefMatrix
from scce_genomics.compare.references import CohortData, opportunity_weights
from scce_genomics.compare.stats import cosine_matrix

__all__ = [
    "converted_catalogue",
    "other_spectrum_family",
    "per_tumor_spectra",
    "sbs_family",
]


def converted_catalogue(ref: CohortData, cohort: CohortData) -> np.ndarray:
    """Reference SBS96 catalogues (samples × 96) in the cohort's trinucleotide abundance."""
    assert ref.sbs96 is not None
    weights = opportunity_weights(ref.opportunity, cohort.opportunity)
    return np.asarray(ref.sbs96.to_numpy().T * weights, dtype=float)


def _cohort_counts(cohort: CohortData) -> tuple[np.ndarray, list[str]]:
    assert cohort.sbs96 is not None
    return cohort.sbs96.to_numpy().T.astype(float), list(cohort.sbs96.columns)


def sbs_family(cohort: CohortData, refs: list[CohortData]) -> FamilyInput:
    """The SBS96 family: pooled counts compared by cosine."""
    fam = FamilyInput(family="SBS96 spectrum", metric="cosine", kind="counts", n_cohort=0, refs={})
    if cohort.sbs96 is None:
        fam.cohort_reason = "cohort has no SBS96 matrix"
        fam.unavailable = {r.name: fam.cohort_reason for r in refs}
        return fam
    counts, _ = _cohort_counts(cohort)
    counts = counts[counts.sum(axis=1) > 0]
    fam.n_cohort = counts.shape[0]
    if fam.n_cohort == 0:
        fam.cohort_reason = "no sample of the cohort has a single base substitution"
    for ref in refs:
        if ref.sbs96 is None:
            fam.unavailable[ref.name] = f"reference {ref.name} has no SBS96 catalogue"
            continue
        cat = converted_catalogue(ref, cohort)
        cat = cat[cat.sum(axis=1) > 0]
        note = ""
        if (ref.opportunity is None) != (cohort.opportunity is None):
            note = "assays not converted: trinucleotide abundance unknown for one side"
        fam.refs[ref.name] = RefMatrix(counts, cat, note)
    if fam.cohort_reason:
        fam.unavailable.update({name: fam.cohort_reason for name in fam.refs})
        fam.refs = {}
    return fam


def other_spectrum_family(cohort: CohortData, refs: list[CohortData], kind: str) -> FamilyInput:
    """ID83 or DBS78: compared where a reference has the catalogue (the shipped ones do not)."""
    fam = FamilyInput(
        family=f"{kind} spectrum", metric="cosine", kind="counts", n_cohort=0, refs={}
    )
    matrix = cohort.other_spectra.get(kind)
    if matrix is None:
        fam.cohort_reason = f"cohort has no {kind} matrix"
        fam.unavailable = {r.name: fam.cohort_reason for r in refs}
        return fam
    counts = matrix.to_numpy().T.astype(float)
    counts = counts[counts.sum(axis=1) > 0]
    fam.n_cohort = counts.shape[0]
    for ref in refs:
        other = ref.other_spectra.get(kind)
        if other is None:
            fam.unavailable[ref.name] = f"reference {ref.name} has no {kind} catalogue"
            continue
        shared = [c for c in matrix.index if c in other.index]
        rc = other.loc[shared].to_numpy().T.astype(float)
        cc = matrix.loc[shared].to_numpy().T.astype(float)
        fam.refs[ref.name] = RefMatrix(cc[cc.sum(axis=1) > 0], rc[rc.sum(axis=1) > 0])
    if fam.n_cohort == 0:
        fam.cohort_reason = f"no {kind} mutation in the cohort"
        fam.unavailable.update({name: fam.cohort_reason for name in fam.refs})
        fam.refs = {}
    return fam


def per_tumor_spectra(
    cohort: CohortData, refs: list[CohortData], n_null: int = 10, seed: int = 1
) -> pd.DataFrame:
    """Per tumor: SBS96 cosine to each converted reference profile and its count-matched percentile.

    Descriptive only (the call is the classifier's): ``percentile_<ref>`` places the tumor's
    cosine among the reference's own tumors downsampled (multinomially, ``n_null`` draws each)
    to the tumor's mutation count and scored against the leave-one-out reference profile.
    """
    rng = np.random.default_rng(seed)
    usable = [r for r in refs if r.sbs96 is not None]
    if cohort.sbs96 is None or not usable:
        return pd.DataFrame(columns=["sample", "n_mutations"])
    counts, samples = _cohort_counts(cohort)
    cats = {r.name: converted_catalogue(r, cohort) for r in usable}
    cats = {k: v[v.sum(axis=1) > 0] for k, v in cats.items()}
    rows: list[dict[str, object]] = []
    for i, sample in enumerate(samples):
        x = counts[i]
        n_mut = round(float(x.sum()))
        row: dict[str, object] = {"sample": sample, "n_mutations": n_mut}
        for name, cat in cats.items():
            if n_mut == 0:
                row[f"cosine_{name}"] = row[f"percentile_{name}"] = np.nan
                continue
            pooled = cat.sum(axis=0)
            loo = pooled[None, :] - cat  # leave-one-out profiles, J × 96
            probs = cat / cat.sum(axis=1, keepdims=True)
            draws = rng.multinomial(n_mut, probs, size=(n_null, cat.shape[0]))
            null = cosine_matrix(draws.astype(float), loo[None, :, :])
            cos_obs = float(cosine_matrix(x, pooled))
            row[f"cosine_{name}"] = cos_obs
            row[f"percentile_{name}"] = float(np.mean(null <= cos_obs))
        rows.append(row)
    return pd.DataFrame(rows)
