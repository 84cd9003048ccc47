"""Arm-level and focal copy-number frequencies versus references.

Definitions must match before frequencies are compared: by default the cohort's arm calls are
re-derived from its arm log2 ratios with the reference's own cut-off (``arm_log2`` in the
profile, 0.2 for the TCGA references: gain if mean log2 > 0.2, loss if < -0.2), because the CNV
stage may call with purity-corrected copy numbers that the references do not have. Focal events
(amplification, deep deletion) use the cohort's gene calls as given (``amp``, ``deep_del``).

Per arm and event (gain, loss) and per focal gene and event (amp, deep_del): Fisher exact test,
conditional odds ratio with exact CI, BH across all arm (or focal) tests per reference. Family
similarity: Pearson correlation of the concatenated gain and loss (or amp and deep-deletion)
frequency profiles over the features both cohorts have.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scce_genomics.compare.families import FamilyInput, RefMatrix, pseudo_samples
from scce_genomics.compare.references import CohortData, arm_frequencies
from scce_genomics.compare.stats import fisher_table

__all__ = ["arm_family", "arm_tests", "event_matrix", "focal_family", "focal_tests", "recall_arms"]

ARM_EVENTS = ("gain", "loss")
FOCAL_EVENTS = ("amp", "deep_del")


def recall_arms(data: CohortData, threshold: float | None) -> CohortData:
    """A copy whose arm calls are re-derived from log2 with ``threshold`` (None: keep calls)."""
    if threshold is None or data.arm_calls is None:
        return data
    calls = data.arm_calls.copy()
    x = pd.to_numeric(calls["log2"], errors="coerce")
    calls["call"] = np.select(
        [x > threshold, x < -threshold, x.notna()], ["gain", "loss", "neutral"], default="NA"
    )
    copy = CohortData(**{**data.__dict__, "arm_calls": calls})
    return copy


def event_matrix(
    calls: pd.DataFrame, key: str, features: list[str], events: tuple[str, ...],
    valid: tuple[str, ...],
) -> tuple[np.ndarray, list[str]]:  # fmt: skip
    """Samples × (events × features) 0/1 matrix; NaN where the sample has no valid call."""
    ok = calls[calls["call"].isin(valid)]
    samples = list(dict.fromkeys(calls["sample"]))
    wide = ok.pivot_table(index="sample", columns=key, values="call", aggfunc="first")
    wide = wide.reindex(index=samples, columns=features)
    blocks = []
    for ev in events:
        block = (wide == ev).astype(float).where(wide.notna())
        blocks.append(block.to_numpy(dtype=float))
    return np.hstack(blocks) if blocks else np.zeros((len(samples), 0)), samples


def _arm_ref_matrix(ref: CohortData, arms: list[str], seed: int) -> np.ndarray:
    if ref.arm_calls is not None:
        valid = ("gain", "loss", "neutral")
        return event_matrix(ref.arm_calls, "arm", arms, ARM_EVENTS, valid)[0]
    freq = arm_frequencies(ref).set_index("arm").reindex(arms)
    n = int(freq["n"].max())
    rng = np.random.default_rng(seed)
    counts = {
        f"{ev}:{arm}": int(value)
        for ev in ARM_EVENTS
        for arm, value in zip(arms, freq[f"n_{ev}"].to_numpy(), strict=True)
    }
    return pseudo_samples(counts, n, rng)


def _n_samples(calls: pd.DataFrame | None, valid: tuple[str, ...]) -> int:
    if calls is None:
        return 0
    return int(calls.loc[calls["call"].isin(valid), "sample"].nunique())


def arm_family(
    cohort: CohortData, refs: list[CohortData], min_samples: int = 3, seed: int = 1
) -> FamilyInput:
    """Pearson correlation of arm gain/loss frequency profiles."""
    fam = FamilyInput(family="arm CNV", metric="pearson", kind="rows", n_cohort=0, refs={})
    valid = ("gain", "loss", "neutral")
    fam.n_cohort = _n_samples(cohort.arm_calls, valid)
    if cohort.arm_calls is None:
        fam.cohort_reason = "cohort has no arm calls"
    elif fam.n_cohort < min_samples:
        fam.cohort_reason = f"{fam.n_cohort} sample(s) with arm calls; need ≥ {min_samples}"
    for ref in refs:
        if ref.arm_calls is None and ref.arm_freq is None:
            fam.unavailable[ref.name] = f"reference {ref.name} has no arm-level copy number"
            continue
        if fam.cohort_reason:
            fam.unavailable[ref.name] = fam.cohort_reason
            continue
        assert cohort.arm_calls is not None
        ref_arms = list(arm_frequencies(ref)["arm"])
        arms = [a for a in dict.fromkeys(cohort.arm_calls["arm"]) if a in ref_arms]
        if len(arms) < 2:
            fam.unavailable[ref.name] = "fewer than 2 arms shared with the reference"
            continue
        xc = event_matrix(cohort.arm_calls, "arm", arms, ARM_EVENTS, valid)[0]
        note = (
            ""
            if ref.arm_calls is not None
            else ("reference has aggregate frequencies only: arms resampled independently")
        )
        fam.refs[ref.name] = RefMatrix(xc, _arm_ref_matrix(ref, arms, seed), note)
    return fam


def focal_family(cohort: CohortData, refs: list[CohortData], min_samples: int = 3) -> FamilyInput:
    """Pearson correlation of focal amplification / deep-deletion frequency profiles."""
    fam = FamilyInput(family="focal CNV", metric="pearson", kind="rows", n_cohort=0, refs={})
    valid = ("amp", "gain", "neutral", "loss", "deep_del")
    fam.n_cohort = _n_samples(cohort.focal_calls, valid)
    if cohort.focal_calls is None:
        fam.cohort_reason = "cohort has no gene-level copy-number calls"
    elif fam.n_cohort < min_samples:
        fam.cohort_reason = f"{fam.n_cohort} sample(s) with gene calls; need ≥ {min_samples}"
    for ref in refs:
        if ref.focal_calls is None:
            fam.unavailable[ref.name] = f"reference {ref.name} has no focal copy-number calls"
            continue
        if fam.cohort_reason:
            fam.unavailable[ref.name] = fam.cohort_reason
            continue
        assert cohort.focal_calls is not None
        ref_genes = set(ref.focal_calls["gene"])
        genes = [g for g in dict.fromkeys(cohort.focal_calls["gene"]) if g in ref_genes]
        if len(genes) < 2:
            fam.unavailable[ref.name] = "fewer than 2 focal genes shared with the reference"
            continue
        xc = event_matrix(cohort.focal_calls, "gene", genes, FOCAL_EVENTS, valid)[0]
        xr = event_matrix(ref.focal_calls, "gene", genes, FOCAL_EVENTS, valid)[0]
        fam.refs[ref.name] = RefMatrix(xc, xr)
    return fam


def _count_rows(
    cohort_calls: pd.DataFrame | None, ref_name: str, ref_table: pd.DataFrame, key: str,
    events: tuple[str, ...], valid: tuple[str, ...], reason: str,
) -> list[dict[str, object]]:  # fmt: skip
    rows: list[dict[str, object]] = []
    if cohort_calls is not None and not reason:
        ok = cohort_calls[cohort_calls["call"].isin(valid)]
        n = ok.groupby(key)["sample"].nunique()
        alt = {ev: ok[ok["call"] == ev].groupby(key)["sample"].nunique() for ev in events}
    for _, r in ref_table.iterrows():
        feature = r[key]
        for ev in events:
            row: dict[str, object] = {
                "reference": ref_name, key: feature, "event": ev, "ref_alt": int(r[f"n_{ev}"]),
                "ref_n": int(r["n"]), "cohort_alt": 0, "cohort_n": 0, "reason": reason,
            }  # fmt: skip
            if not reason:
                if feature not in n.index:
                    continue
                row["cohort_alt"] = int(alt[ev].get(feature, 0))
                row["cohort_n"] = int(n[feature])
            rows.append(row)
    return rows


def arm_tests(
    cohort: CohortData, refs: list[CohortData], min_samples: int = 3, level: float = 0.95
) -> pd.DataFrame:
    """Per arm and event (gain/loss): Fisher test, odds ratio (CI), BH per reference."""
    valid = ("gain", "loss", "neutral")
    n = _n_samples(cohort.arm_calls, valid)
    reason = ""
    if cohort.arm_calls is None:
        reason = "cohort has no arm calls"
    elif n < min_samples:
        reason = f"{n} sample(s) with arm calls; need ≥ {min_samples}"
    rows: list[dict[str, object]] = []
    for ref in refs:
        if ref.arm_calls is None and ref.arm_freq is None:
            continue
        rows += _count_rows(
            cohort.arm_calls, ref.name, arm_frequencies(ref), "arm", ARM_EVENTS, valid, reason
        )
    cols = ["reference", "arm", "event", "cohort_alt", "cohort_n", "ref_alt", "ref_n", "reason"]
    return fisher_table(pd.DataFrame(rows, columns=cols), level=level)


def focal_tests(
    cohort: CohortData, refs: list[CohortData], min_samples: int = 3, level: float = 0.95
) -> pd.DataFrame:
    """Per focal gene and event (amp/deep_del): Fisher test, odds ratio (CI), BH per reference."""
    from scce_genomics.compare.references import focal_frequencies

    valid = ("amp", "gain", "neutral", "loss", "deep_del")
    n = _n_samples(cohort.focal_calls, valid)
    reason = ""
    if cohort.focal_calls is None:
        reason = "cohort has no gene-level copy-number calls"
    elif n < min_samples:
        reason = f"{n} sample(s) with gene calls; need ≥ {min_samples}"
    rows: list[dict[str, object]] = []
    for ref in refs:
        if ref.focal_calls is None:
            continue
        rows += _count_rows(
            cohort.focal_calls, ref.name, focal_frequencies(ref), "gene", FOCAL_EVENTS, valid,
            reason,
        )  # fmt: skip
    cols = ["reference", "gene", "event", "cohort_alt", "cohort_n", "ref_alt", "ref_n", "reason"]
    return fisher_table(pd.DataFrame(rows, columns=cols), level=level)
