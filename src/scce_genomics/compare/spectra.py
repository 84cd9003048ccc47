"""Mutation spectra versus references: cohort families and per-sample calibrated calls.

References are exome catalogues; a cohort may be genomes or a synthetic genome. Reference
catalogues are therefore converted to the cohort's trinucleotide abundance
(:func:`.references.opportunity_weights`) before anything is compared; the cohort
keeps its observed counts so that multinomial resampling stays exact.

Per sample, three numbers guard against over-reading small biopsies:

* ``percentile_<ref>``: where the sample's cosine to the reference profile falls among the
  reference's own samples downsampled (multinomially) to the sample's mutation count and scored
  against the leave-one-out reference profile — a 40-mutation biopsy is judged against
  40-mutation draws, not against 4,000-mutation tumors;
* ``posterior_<ref>``: posterior probability (equal priors) under a kernel likelihood, the mean
  over the reference's samples of the multinomial likelihood of the sample's counts given that
  reference sample's spectrum smoothed toward the reference profile by ``smoothing`` pseudo
  mutations; diffuse when a sample has few mutations. The likelihood is tempered: counts are
  scaled down to at most the references' median mutation count, because reference spectra
  estimated from ~200 exome mutations cannot resolve more than that (without it, a genome's
  thousands of mutations make every posterior 1.0 whether right or wrong);
* ``support_<ref>``: fraction of multinomial bootstrap replicates of the sample whose closest
  reference (by cosine) is that reference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from scce_genomics.compare.families import FamilyInput, RefMatrix
from scce_genomics.compare.references import CohortData, opportunity_weights
from scce_genomics.compare.stats import cosine_matrix
from scce_genomics.cosmic import SBS6_CHANNELS, SBS96_CHANNELS

__all__ = [
    "converted_catalogue",
    "other_spectrum_family",
    "per_sample_spectra",
    "sbs_family",
    "to_sbs6",
]

_SBS6_INDEX = np.array([SBS6_CHANNELS.index(ch[2:5]) for ch in SBS96_CHANNELS])


def to_sbs6(matrix: np.ndarray) -> np.ndarray:
    """Collapse (…, 96) SBS96 counts to (…, 6) substitution classes."""
    matrix = np.asarray(matrix, dtype=float)
    out = np.zeros((*matrix.shape[:-1], 6))
    for k in range(6):
        out[..., k] = matrix[..., k == _SBS6_INDEX].sum(axis=-1)
    return out


def converted_catalogue(ref: CohortData, cohort: CohortData) -> np.ndarray:
    """Reference SBS96 catalogues (samples × 96) in the cohort's trinucleotide abundance."""
    assert ref.sbs96 is not None
    weights = opportunity_weights(ref.opportunity, cohort.opportunity)
    return np.asarray(ref.sbs96.to_numpy().T * weights, dtype=float)


def _cohort_counts(cohort: CohortData) -> tuple[np.ndarray, list[str]]:
    assert cohort.sbs96 is not None
    return cohort.sbs96.to_numpy().T.astype(float), list(cohort.sbs96.columns)


def sbs_family(cohort: CohortData, refs: list[CohortData], sbs6: bool = False) -> FamilyInput:
    """The SBS96 (or SBS6) family: pooled counts compared by cosine."""
    family = "SBS6 spectrum" if sbs6 else "SBS96 spectrum"
    fam = FamilyInput(family=family, metric="cosine", kind="counts", n_cohort=0, refs={})
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
        if sbs6:
            fam.refs[ref.name] = RefMatrix(to_sbs6(counts), to_sbs6(cat), note)
        else:
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


def _log_kernel(counts: np.ndarray, cat: np.ndarray, smoothing: float) -> np.ndarray:
    """log mean-over-reference-samples multinomial likelihood (coefficient dropped), (n,)."""
    pooled = cat.sum(axis=0)
    pooled = pooled / pooled.sum()
    smoothed = (cat + smoothing * pooled) / (cat.sum(axis=1, keepdims=True) + smoothing)
    loglik = counts @ np.log(np.maximum(smoothed, 1e-300)).T  # n × J
    return np.asarray(logsumexp(loglik, axis=1) - np.log(cat.shape[0]), dtype=float)


def per_sample_spectra(
    cohort: CohortData,
    refs: list[CohortData],
    n_boot: int = 200,
    n_null: int = 10,
    smoothing: float = 20.0,
    min_posterior: float = 0.9,
    seed: int = 1,
) -> pd.DataFrame:
    """Per-sample SBS96 cosine, calibrated percentile, posterior and bootstrap support.

    The last row (``sample = "(cohort)"``) holds the cohort posterior: the product of the
    samples' kernel likelihoods, i.e. all samples assumed drawn from one reference.
    """
    rng = np.random.default_rng(seed)
    usable = [r for r in refs if r.sbs96 is not None]
    names = [r.name for r in usable]
    if cohort.sbs96 is None or not usable:
        reason = "cohort has no SBS96 matrix" if cohort.sbs96 is None else "no reference SBS96"
        return pd.DataFrame([{"sample": "(cohort)", "call": "NA", "reason": reason}])
    counts, samples = _cohort_counts(cohort)
    cats = {r.name: converted_catalogue(r, cohort) for r in usable}
    cats = {k: v[v.sum(axis=1) > 0] for k, v in cats.items()}
    profiles = {k: v.sum(axis=0) / v.sum() for k, v in cats.items()}
    cap = float(np.median(np.concatenate([v.sum(axis=1) for v in cats.values()])))
    rows: list[dict[str, object]] = []
    loglik_total = np.zeros(len(names))
    for i, sample in enumerate(samples):
        x = counts[i]
        n_mut = round(float(x.sum()))
        row: dict[str, object] = {"sample": sample, "n_mutations": n_mut}
        if n_mut == 0:
            row.update({"call": "NA", "reason": "no single base substitution in this sample"})
            rows.append(row)
            continue
        tempered = x * min(1.0, cap / x.sum())
        logliks = np.array([_log_kernel(tempered[None, :], cats[k], smoothing)[0] for k in names])
        loglik_total += logliks
        post = np.exp(logliks - logsumexp(logliks))
        boot = rng.multinomial(n_mut, x / x.sum(), size=n_boot).astype(float)
        cos_boot = np.column_stack([cosine_matrix(boot, profiles[k]) for k in names])
        winner = np.nan_to_num(cos_boot, nan=-1.0).argmax(axis=1)
        for k, name in enumerate(names):
            cat = cats[name]
            cos_obs = float(cosine_matrix(x, profiles[name]))
            pooled = cat.sum(axis=0)
            loo = pooled[None, :] - cat  # leave-one-out profiles, J × 96
            probs = cat / cat.sum(axis=1, keepdims=True)
            draws = rng.multinomial(n_mut, probs, size=(n_null, cat.shape[0]))
            null = cosine_matrix(draws.astype(float), loo[None, :, :])
            row[f"cosine_{name}"] = cos_obs
            row[f"percentile_{name}"] = float(np.mean(null <= cos_obs))
            row[f"posterior_{name}"] = float(post[k])
            row[f"support_{name}"] = float(np.mean(winner == k))
        best = int(np.argmax(post))
        row["closest"] = names[best]
        row["call"] = names[best] if post[best] >= min_posterior else "uncertain"
        row["reason"] = (
            ""
            if post[best] >= min_posterior
            else (f"largest posterior {post[best]:.2f} < {min_posterior}")
        )
        rows.append(row)
    n_used = sum(1 for r in rows if r.get("call") != "NA")
    cohort_row: dict[str, object] = {
        "sample": "(cohort)",
        "n_mutations": int(counts.sum()),
    }
    if n_used:
        post = np.exp(loglik_total - logsumexp(loglik_total))
        for k, name in enumerate(names):
            cohort_row[f"posterior_{name}"] = float(post[k])
        best = int(np.argmax(post))
        cohort_row["closest"] = names[best]
        cohort_row["call"] = names[best] if post[best] >= min_posterior else "uncertain"
        cohort_row["reason"] = f"product of {n_used} per-sample likelihoods"
    else:
        cohort_row.update({"call": "NA", "reason": "no sample has a single base substitution"})
    rows.append(cohort_row)
    table = pd.DataFrame(rows)
    table["method"] = (
        f"cosine to converted reference profiles; percentile vs reference samples downsampled "
        f"to the same count ({n_null} draws each, leave-one-out profile); kernel-likelihood "
        f"posterior (smoothing {smoothing:g}, counts tempered to ≤ {cap:.0f}, equal priors); "
        f"multinomial bootstrap ({n_boot})"
    )
    return table
