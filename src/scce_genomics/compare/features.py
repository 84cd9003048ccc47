"""Per-tumor feature tables of the classifier families, built the same way for every cohort.

A reference and the user's cohort must be described identically before a classifier trained
on one is applied to the other:

* ``SBS96 spectrum``: counts; reference catalogues are converted to the cohort's trinucleotide
  abundance (:func:`.references.opportunity_weights`), the cohort keeps its counts;
* ``signatures``: mutations attributed to each aetiology group
  (:mod:`.signature_groups`). Reference tumors are refitted with the project's own fit
  (:func:`scce_genomics.signatures.fit.fit_samples`) on their converted catalogues, with the
  settings the cohort was fitted with, instead of using the source's SigProfiler v3.0
  attributions: a different fitter gives systematically different fractions (SCLC clock-like
  fraction 0.62 by SigProfiler, 0.30 by this fit on the same catalogues);
* ``driver genes``: 0/1 non-silent mutation of :data:`DRIVER_GENES` per patient, for tumors
  with at least one non-silent call in any gene (a tumor without a single call is a failed or
  empty call set: the absence of every driver is not evidence);
* ``arm CNV`` / ``focal CNV``: gain/loss/neutral per arm and amp/gain/neutral/loss/deep_del
  per focal gene, called from log2 ratios with the references' own cut-offs.

Each table has one row per tumor that has the family; a tumor absent from a table lacks it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scce_genomics.compare.references import (
    ARM_CALLS,
    DEFAULT_THRESHOLDS,
    FOCAL_CALLS,
    FOCAL_GENES,
    CohortData,
    opportunity_weights,
)
from scce_genomics.compare.signature_groups import group_exposures
from scce_genomics.cosmic import SBS96_CHANNELS

__all__ = [
    "CLASSIFIER_FAMILIES",
    "DRIVER_GENES",
    "FeatureSettings",
    "family_features",
]

#: The families the per-tumor classifier combines.
CLASSIFIER_FAMILIES: tuple[str, ...] = (
    "SBS96 spectrum", "signatures", "driver genes", "arm CNV", "focal CNV",
)  # fmt: skip

#: Driver genes of ESCC and EAC (TCGA 2017, Gao 2014) and SCLC (George 2015): the genes of the
#: source driver tables less the long genes they carry as passenger controls (TTN, MUC16,
#: CSMD3, LRP1B, FAM135B, FAT3, FAT4, PTPRD and other > 10 kb coding genes), whose mutation
#: frequency follows the tumor mutation burden and the assay rather than the tumor type.
DRIVER_GENES: tuple[str, ...] = (
    "TP53", "RB1", "NOTCH1", "NOTCH2", "NOTCH3", "FAT1", "FAT2", "KMT2D", "KMT2C", "EP300",
    "CREBBP", "KDM6A", "NFE2L2", "NFE2L3", "KEAP1", "CUL3", "ZNF750", "TP63", "SOX2", "PIK3CA",
    "PTEN", "CDKN2A", "SMAD4", "ARID1A", "ERBB2", "KRAS", "HRAS", "EGFR", "FBXW7", "TGFBR2",
    "AJUBA", "CASP8", "PTCH1", "RBL1", "RBL2", "TP73", "MYCL", "ASCL1", "NEUROD1", "CCND1",
)  # fmt: skip

Exposures = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass
class FeatureSettings:
    """How tumors are described (the cohort's assay and the references' cut-offs)."""

    opportunity: pd.Series | None = None
    arm_threshold: float | None = DEFAULT_THRESHOLDS["arm_log2"]
    focal_thresholds: dict[str, float] | None = field(
        default_factory=lambda: {k: DEFAULT_THRESHOLDS[k] for k in FOCAL_CALLS if k != "neutral"}
    )
    driver_genes: tuple[str, ...] = DRIVER_GENES


def sbs96_table(data: CohortData, settings: FeatureSettings) -> pd.DataFrame | None:
    """Tumors × 96 counts in the cohort's abundance; tumors without substitutions dropped."""
    if data.sbs96 is None:
        return None
    weights = opportunity_weights(data.opportunity, settings.opportunity)
    table = data.sbs96.loc[list(SBS96_CHANNELS)].T * weights
    return table[table.sum(axis=1) > 0]


def _calls(
    calls: pd.DataFrame | None, key: str, features: list[str], levels: tuple[str, ...],
    recall: Callable[[pd.Series], pd.Series] | None,
) -> pd.DataFrame | None:  # fmt: skip
    """Tumors × features integer codes (index in ``levels``; -1 = no call)."""
    if calls is None or calls.empty:
        return None
    calls = calls.copy()
    if recall is not None:
        calls["call"] = recall(pd.to_numeric(calls["log2"], errors="coerce"))
    wide = calls.pivot_table(index="sample", columns=key, values="call", aggfunc="first")
    wide = wide.reindex(columns=features)
    codes = {level: k for k, level in enumerate(levels)}
    out = wide.apply(lambda col: col.map(codes)).fillna(-1).astype(int)
    out = out[(out >= 0).any(axis=1)]
    return out if len(out) else None


def _recall_arms(threshold: float) -> Callable[[pd.Series], pd.Series]:
    def recall(x: pd.Series) -> pd.Series:
        return pd.Series(
            np.select(
                [x > threshold, x < -threshold, x.notna()], ["gain", "loss", "neutral"], "NA"
            ),
            index=x.index,
        )

    return recall


def _recall_focal(t: dict[str, float]) -> Callable[[pd.Series], pd.Series]:
    def recall(x: pd.Series) -> pd.Series:
        return pd.Series(
            np.select(
                [x > t["amp"], x > t["gain"], x < t["deep_del"], x < t["loss"], x.notna()],
                ["amp", "gain", "deep_del", "loss", "neutral"],
                "NA",
            ),
            index=x.index,
        )

    return recall


def family_features(
    data: CohortData,
    settings: FeatureSettings,
    exposures: pd.DataFrame | None = None,
    arms: list[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Feature tables of the classifier families that ``data`` has.

    ``exposures`` (tumors × signatures, mutations) replaces ``data.exposures`` (references are
    refitted by the caller); ``arms`` fixes the arm columns (the references' arm list).
    """
    out: dict[str, pd.DataFrame] = {}
    sbs = sbs96_table(data, settings)
    if sbs is not None and len(sbs):
        out["SBS96 spectrum"] = sbs
    exp = data.exposures if exposures is None else exposures
    if exp is not None:
        grouped = group_exposures(exp)
        grouped = grouped[grouped.sum(axis=1) > 0]
        if len(grouped):
            out["signatures"] = grouped
    if data.mutated is not None and data.mutation_samples:
        genes = list(settings.driver_genes)
        called = set(data.mutated["sample"])
        tumors = [s for s in data.mutation_samples if s in called]
        hits = data.mutated[data.mutated["gene"].isin(genes)]
        tab = pd.crosstab(hits["sample"], hits["gene"]).clip(upper=1)
        if tumors:
            out["driver genes"] = tab.reindex(index=tumors, columns=genes, fill_value=0).astype(
                float
            )
    if data.arm_calls is not None:
        arm_list = arms or list(dict.fromkeys(data.arm_calls["arm"]))
        recall = None if settings.arm_threshold is None else _recall_arms(settings.arm_threshold)
        table = _calls(data.arm_calls, "arm", arm_list, ARM_CALLS, recall)
        if table is not None:
            out["arm CNV"] = table
    if data.focal_calls is not None:
        t = settings.focal_thresholds
        recall = None if t is None else _recall_focal(t)
        table = _calls(data.focal_calls, "gene", list(FOCAL_GENES), FOCAL_CALLS, recall)
        if table is not None:
            out["focal CNV"] = table
    return out
