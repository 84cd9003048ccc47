"""Tumor/normal identity and the cohort duplicate-patient check, from evidence LOH cannot create.

A tumor that lost one allele over half its genome (loss of heterozygosity, common in ESCC and
small cell carcinomas, undiluted at high purity) reads homozygous at many of its normal's
heterozygous sites, so "does the tumor show both alleles of the normal's hets" stops true
pairs. LOH only ever turns a heterozygote into a homozygote; it never turns one homozygote
into the other. The gate therefore rests on sites where both samples are homozygous:

* **opposite homozygotes** (somalier's IBS0): one sample hom-ref where the other is hom-alt;
  ``opposite_fraction`` = IBS0 / (IBS0 + shared hom-alts). One individual: ~0 (genotyping
  error); two unrelated people: 0.3-1 depending on the sites' population frequencies.
* **hom-alt relatedness** (somalier's LOH-robust ``hom_concordance``):
  ``(shared hom-alts - 2 IBS0) / min(hom-alts a, hom-alts b)``. LOH adds hom-alts to the
  tumor only, so the minimum is the normal's and the pair scores ~1; unrelated people score
  below 0.2, first-degree relatives ~0.5. Both relatedness figures are shown clipped to [-1, 1].

Somalier's het-based ``relatedness`` (shared hets - 2 IBS0) / min(hets) and the share of
sites heterozygous in only one sample (``het_discordance``) are reported, never used to fail a
pair: LOH lowers both. Genotypes use somalier's allele-fraction bands (hom-ref < 0.07,
het 0.2-0.8, hom-alt > 0.88, in between no call), so the residual allele of LOH at purity
0.8-0.9 or 10 % contamination makes a no-call, not a het.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from scce_genomics.tissue.sites import HET, HOM_ALT, HOM_REF, NOCALL, SiteCounts

__all__ = [
    "IdentityThresholds",
    "cohort_identity",
    "gate_message",
    "identity_check",
    "identity_genotypes",
    "pair_identity",
]


@dataclass(frozen=True)
class IdentityThresholds:
    """The identity rule: enough informative sites, few opposite homozygotes, high relatedness."""

    min_depth: int = 10
    #: Sites homozygous in both samples (not both hom-ref) needed for a verdict.
    min_sites: int = 20
    #: Largest share of opposite homozygotes among those sites for one individual.
    max_opposite: float = 0.05
    #: Smallest hom-alt relatedness for one individual.
    min_relatedness: float = 0.5


def identity_genotypes(ref: np.ndarray, alt: np.ndarray, min_depth: int) -> np.ndarray:
    """Genotype per site with somalier's bands; shallow or in-between fractions are NOCALL."""
    depth = ref + alt
    frac = np.divide(alt, depth, out=np.zeros(depth.shape), where=depth > 0)
    gt = np.full(depth.shape, NOCALL, dtype=np.int8)
    gt[frac < 0.07] = HOM_REF
    gt[(frac >= 0.2) & (frac <= 0.8)] = HET
    gt[frac > 0.88] = HOM_ALT
    gt[depth < min_depth] = NOCALL
    return gt


def pair_identity(ga: np.ndarray, gb: np.ndarray, th: IdentityThresholds) -> dict[str, Any]:
    """IBS counts, the two gate statistics, the het-based figures and the verdict of a pair.

    ``ga`` and ``gb`` are :func:`identity_genotypes` of the two samples at the same sites;
    everything is counted at sites called in both.
    """
    both = (ga != NOCALL) & (gb != NOCALL)
    a, b = ga[both], gb[both]
    ibs0 = int((((a == HOM_REF) & (b == HOM_ALT)) | ((a == HOM_ALT) & (b == HOM_REF))).sum())
    shared_hom_alts = int(((a == HOM_ALT) & (b == HOM_ALT)).sum())
    hom_alts_a, hom_alts_b = int((a == HOM_ALT).sum()), int((b == HOM_ALT).sum())
    hets_a, hets_b = int((a == HET).sum()), int((b == HET).sum())
    shared_hets = int(((a == HET) & (b == HET)).sum())
    informative = ibs0 + shared_hom_alts
    opposite = ibs0 / informative if informative else float("nan")
    hom_rel = (shared_hom_alts - 2 * ibs0) / max(min(hom_alts_a, hom_alts_b), 1)
    min_hets = min(hets_a, hets_b)
    het_rel = (shared_hets - 2 * ibs0) / min_hets if min_hets else float("nan")
    any_het = hets_a + hets_b - shared_hets
    het_disc = (any_het - shared_hets) / any_het if any_het else float("nan")
    res: dict[str, Any] = {
        "n_sites": int(both.sum()),
        "informative_sites": informative,
        "opposite_homozygotes": ibs0,
        "shared_hom_alts": shared_hom_alts,
        "hom_alts_a": hom_alts_a,
        "hom_alts_b": hom_alts_b,
        "ibs2": int((a == b).sum()),
        "shared_hets": shared_hets,
        "hets_a": hets_a,
        "hets_b": hets_b,
        "opposite_fraction": _round(opposite),
        "hom_relatedness": _round(float(np.clip(hom_rel, -1, 1))) if informative else None,
        "het_relatedness": _round(float(np.clip(het_rel, -1, 1))),
        "het_discordance": _round(het_disc),
    }
    res["verdict"], res["reason"] = _verdict(res, th)
    return res


def _round(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x), 4)


def _verdict(res: dict[str, Any], th: IdentityThresholds) -> tuple[str, str]:
    n, ibs0 = res["informative_sites"], res["opposite_homozygotes"]
    if n < th.min_sites:
        return "NA", (
            f"only {n} sites homozygous in both samples (not both reference) of "
            f"{res['n_sites']} genotyped in both with >= {th.min_depth} reads; "
            f"{th.min_sites} needed"
        )
    if res["opposite_fraction"] > th.max_opposite:
        return "fail", (
            f"{ibs0} of {n} shared homozygous sites are opposite homozygotes "
            f"({res['opposite_fraction']:.3f} > {th.max_opposite}), which loss of "
            "heterozygosity cannot produce"
        )
    if res["hom_relatedness"] < th.min_relatedness:
        return "fail", (
            f"hom-alt relatedness {res['hom_relatedness']:.3f} < {th.min_relatedness} at {n} sites"
        )
    return "pass", (
        f"{ibs0} opposite homozygotes at {n} sites homozygous in both; hom-alt relatedness "
        f"{res['hom_relatedness']:.3f}"
    )


def identity_check(
    counts: SiteCounts, tumor: str, normal: str, th: IdentityThresholds | None = None
) -> dict[str, Any]:
    """Identity of a tumor with its matched normal (the gate of the somatic stage)."""
    th = th or IdentityThresholds()
    t, n = counts.column(tumor), counts.column(normal)
    gt = identity_genotypes(counts.ref[:, t], counts.alt[:, t], th.min_depth)
    gn = identity_genotypes(counts.ref[:, n], counts.alt[:, n], th.min_depth)
    pair = pair_identity(gn, gt, th)
    side = {"a": "normal", "b": "tumor"}
    res: dict[str, Any] = {"tumor": tumor, "normal": normal}
    for key, value in pair.items():
        stem, _, end = key.rpartition("_")
        res[f"{stem}_{side[end]}" if end in side else key] = value
    res["thresholds"] = asdict(th)
    return res


def gate_message(result: dict[str, Any]) -> str:
    """What an identity verdict means for the pair, naming both samples and the fix."""
    tumor, normal = result["tumor"], result["normal"]
    if result["verdict"] == "pass":
        return f"tumor {tumor} and normal {normal} come from one individual: {result['reason']}"
    if result["verdict"] == "NA":
        return (
            f"tumor {tumor} and normal {normal}: identity not confirmed, {result['reason']}; "
            "the pair goes on unchecked"
        )
    return (
        f"tumor {tumor} and normal {normal} do not come from one individual: "
        f"{result['reason']}. A sample swap or a mislabelled sheet: see qc/identity/cohort.tsv "
        "for the sample each one does match, correct the `patient` column of samples.tsv (or "
        "the read files in units.tsv) and rerun; to analyse the pair anyway set "
        "tissue_qc.identity_warn_only: true"
    )


COHORT_COLUMNS = [
    "sample_a",
    "sample_b",
    "patient_a",
    "patient_b",
    "informative_sites",
    "opposite_homozygotes",
    "opposite_fraction",
    "hom_relatedness",
    "het_relatedness",
    "het_discordance",
    "verdict",
    "flag",
]


def cohort_identity(
    counts: SiteCounts, patient_of: dict[str, str], th: IdentityThresholds | None = None
) -> pd.DataFrame:
    """Every pair of samples judged by the pair rule; flags contradictions of the sheet.

    ``duplicate_patient``: two patients' samples pass as one individual;
    ``mismatch_within_patient``: one patient's samples fail; ``NA``: too few informative sites.
    """
    th = th or IdentityThresholds()
    gts = identity_genotypes(counts.ref, counts.alt, th.min_depth)
    rows = []
    for a, b in itertools.combinations(range(len(counts.samples)), 2):
        res = pair_identity(gts[:, a], gts[:, b], th)
        sa, sb = counts.samples[a], counts.samples[b]
        same_patient = patient_of.get(sa) == patient_of.get(sb)
        if res["verdict"] == "NA":
            flag = "NA"
        elif same_patient and res["verdict"] == "fail":
            flag = "mismatch_within_patient"
        elif not same_patient and res["verdict"] == "pass":
            flag = "duplicate_patient"
        else:
            flag = "ok"
        rows.append(
            {
                **res,
                "sample_a": sa,
                "sample_b": sb,
                "patient_a": patient_of.get(sa, ""),
                "patient_b": patient_of.get(sb, ""),
                "flag": flag,
            }
        )
    return pd.DataFrame(rows, columns=COHORT_COLUMNS)
