"""The labelled training set of the classifier: every reference tumor, described like the cohort.

Tumor ids are ``<reference>:<patient>``; one patient is one unit of cross-validation, whatever
families it has (an SCLC patient may have an exome catalogue, George et al. calls, or both).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from scce_genomics.compare.classifier import LabelledSet
from scce_genomics.compare.features import FeatureSettings, family_features, sbs96_table
from scce_genomics.compare.references import CohortData
from scce_genomics.signatures.fit import (
    DEFAULT_CANDIDATES,
    FitSettings,
    fit_samples,
    load_signatures,
)

__all__ = ["SignatureFit", "arm_list", "reference_training_set", "refit_exposures"]


@dataclass
class SignatureFit:
    """How the cohort's exposures were fitted, so reference tumors are fitted the same way."""

    cosmic_version: str = "3.4"
    build: str = "GRCh38"
    exome: bool = False
    candidates: Sequence[str] | str = DEFAULT_CANDIDATES
    settings: FitSettings = field(default_factory=lambda: FitSettings(bootstrap=0))
    signature_file: str | None = None

    def describe(self) -> str:
        kind = "exome" if self.exome else "genome"
        source = self.signature_file or f"COSMIC v{self.cosmic_version} {self.build} {kind}"
        return f"reference tumors refitted with the project's fit ({source})"

    def exposures(self, counts: pd.DataFrame) -> pd.DataFrame:
        """Tumors × signatures exposures (mutations) of tumors × 96 counts."""
        sigs = load_signatures(
            "SBS", self.cosmic_version, self.build, self.exome, self.signature_file
        )
        fit = fit_samples(counts.T, sigs, self.candidates, self.settings)
        return fit.exposures.T


def arm_list(refs: Sequence[CohortData]) -> list[str]:
    """The arms of the references' per-patient calls, in their order."""
    arms: list[str] = []
    for ref in refs:
        if ref.arm_calls is not None:
            arms += [a for a in dict.fromkeys(ref.arm_calls["arm"]) if a not in arms]
    return arms


def refit_exposures(
    refs: Sequence[CohortData], settings: FeatureSettings, fit: SignatureFit
) -> dict[str, pd.DataFrame]:
    """Each reference's tumors × signatures exposures from its converted catalogues."""
    out: dict[str, pd.DataFrame] = {}
    for ref in refs:
        counts = sbs96_table(ref, settings)
        if counts is not None and len(counts):
            out[ref.name] = fit.exposures(counts)
    return out


def reference_training_set(
    refs: Sequence[CohortData],
    settings: FeatureSettings,
    exposures: dict[str, pd.DataFrame] | None = None,
    families: Sequence[str] | None = None,
) -> LabelledSet:
    """Every reference tumor's families (``families``: keep only these).

    ``exposures`` (by reference name) replaces the references' own attributions; a reference
    absent from it contributes no signature family.
    """
    arms = arm_list(refs)
    features: dict[str, list[pd.DataFrame]] = {}
    labels: dict[str, str] = {}
    for ref in refs:
        exp = None if exposures is None else exposures.get(ref.name)
        feats = family_features(ref, settings, exp, arms)
        if exposures is not None and exp is None:
            feats.pop("signatures", None)
        for family, table in feats.items():
            if families is not None and family not in families:
                continue
            table = table.copy()
            table.index = [f"{ref.name}:{t}" for t in table.index]
            features.setdefault(family, []).append(table)
            labels.update({t: ref.name for t in table.index})
    merged = {f: pd.concat(parts) for f, parts in features.items()}
    order = pd.Index(sorted(labels))
    return LabelledSet(merged, pd.Series(labels, dtype=str).loc[order], [r.name for r in refs])
