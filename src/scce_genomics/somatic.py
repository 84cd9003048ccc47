"""Somatic SNV/indel model: scores bcftools mpileup candidates, vectorised over all sites.

Candidates come from ``bcftools mpileup`` (per-sample AD/ADF/ADR/QS/SP), split to one ALT per
record. The model follows Mutect's logic with closed-form likelihoods:

* ``TLOD``: log10 likelihood ratio that the tumor carries the allele at its observed fraction
  versus sequencing error alone (per-read error from the alt reads' mean base quality).
* ``NLOD``: log10 likelihood ratio that the matched normal is homozygous reference versus
  heterozygous; a low NLOD or clear alt reads in the normal mark the site germline.
* Tumor-only: a germline likelihood ratio between a heterozygous/homozygous germline allele
  fraction (0.5, 1.0) and the clonal somatic fraction expected at the sample's purity.
* FFPE/oxidation: C>T (G>A) artifacts are carried by one fragment orientation (F1R2 for a
  reference C, F2R1 for a reference G); the artifact prior is learned per sample from the
  orientation balance of all C>T candidates, so a fresh sample keeps its C>T calls.

Every filter is a named VCF FILTER (see :data:`FILTERS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
from scipy import stats

from scce_genomics.errors import InputError

__all__ = [
    "FILTERS",
    "Candidates",
    "SomaticParams",
    "artifact_posterior",
    "artifact_prior",
    "load_candidates",
    "score",
    "log10_binom_lik",
]

#: FILTER id -> description, in the order they are tested.
FILTERS: dict[str, str] = {
    "low_depth": "Tumor depth below somatic.min_depth, or normal depth below min_normal_depth",
    "low_alt_count": "Fewer alt reads in the tumor than somatic.min_alt_count",
    "weak_evidence": "Tumor log-odds (TLOD) below somatic.min_tlod",
    "strand_bias": "Alt reads on one strand only (strand-bias p below somatic.strand_bias_p)",
    "low_base_quality": "Mean base quality of alt reads below somatic.min_alt_base_quality",
    "low_mapping_quality": "Alt reads map worse than ref reads (MQBZ below somatic.min_mqbz)",
    "clustered_events": "Too many candidate events within somatic.cluster_window bp",
    "near_indel": "SNV within somatic.indel_window bp of a candidate indel",
    "panel_of_normals": "Allele seen in the panel of normals",
    "germline": "Likely germline (normal evidence, or germline-like VAF in tumor-only mode)",
    "orientation": "C>T/G>A supported by one read orientation (FFPE/oxidation artifact)",
}


@dataclass(frozen=True)
class SomaticParams:
    """Thresholds of the model; defaults mirror config/config.yaml ``somatic:``."""

    min_depth: int = 10
    min_normal_depth: int = 8
    min_alt_count: int = 3
    min_tlod: float = 5.3
    min_nlod: float = 2.2
    max_normal_alt_fraction: float = 0.05
    strand_bias_p: float = 1e-3
    min_alt_base_quality: float = 20.0
    min_mqbz: float = -5.0
    cluster_window: int = 50
    max_cluster_events: int = 2
    indel_window: int = 5
    tumor_only_purity: float = 0.6
    min_germline_lod: float = 0.0
    max_artifact_posterior: float = 0.5


@dataclass
class Candidates:
    """Per-site arrays (one ALT per site); normal arrays are zeros in tumor-only mode."""

    table: pd.DataFrame  # chrom, pos (1-based), ref, alt, is_indel, mqbz
    t_ref: np.ndarray
    t_alt: np.ndarray
    t_alt_fwd: np.ndarray
    t_alt_rev: np.ndarray
    t_strand_phred: np.ndarray
    t_alt_qsum: np.ndarray
    n_ref: np.ndarray
    n_alt: np.ndarray
    paired: bool

    def __len__(self) -> int:
        return len(self.table)


def load_candidates(path: str | Path, tumor: str, normal: str | None) -> Candidates:
    """Read a split (``norm -m -any``) mpileup BCF into arrays for ``tumor`` (and ``normal``)."""
    path = Path(path)
    try:
        vcf = pysam.VariantFile(str(path))
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read candidate file ({err})", path) from None
    samples = list(vcf.header.samples)
    for name in [tumor] + ([normal] if normal else []):
        if name not in samples:
            raise InputError(
                f"sample {name!r} is not in the candidate file (samples: {', '.join(samples)}); "
                "the BAM's read-group SM must equal the sample name",
                path,
            )
    rows: list[tuple[str, int, str, str, bool, float]] = []
    counts: list[tuple[int, ...]] = []
    with vcf:
        for rec in vcf:
            alts = rec.alts or ()
            if len(alts) != 1 or alts[0].startswith("<"):
                continue
            t = rec.samples[tumor]
            n = rec.samples[normal] if normal else None
            ad, adf, adr, qs = t["AD"], t["ADF"], t["ADR"], t["QS"]
            n_ad = n["AD"] if n is not None else (0, 0)
            rows.append(
                (
                    rec.chrom,
                    rec.pos,
                    rec.ref,
                    alts[0],
                    bool(rec.info.get("INDEL", False)),
                    float(rec.info.get("MQBZ", 0.0) or 0.0),
                )
            )
            counts.append(
                (
                    ad[0] or 0,
                    ad[1] or 0,
                    adf[1] or 0,
                    adr[1] or 0,
                    t["SP"] if t["SP"] is not None else 0,
                    qs[1] or 0,
                    n_ad[0] or 0,
                    n_ad[1] or 0,
                )
            )
    table = pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt", "is_indel", "mqbz"])
    arr = np.array(counts, dtype=np.float64).reshape(-1, 8)
    return Candidates(table, *arr.T, paired=normal is not None)  # type: ignore[arg-type]


def log10_binom_lik(alt: np.ndarray, ref: np.ndarray, f: np.ndarray, err: np.ndarray) -> np.ndarray:
    """log10 P(reads | allele fraction f) with per-read error ``err`` (binomial, no constant)."""
    p_alt = np.clip(f * (1 - err) + (1 - f) * err / 3, 1e-300, 1.0)
    p_ref = np.clip((1 - f) * (1 - err) + f * err / 3, 1e-300, 1.0)
    return alt * np.log10(p_alt) + ref * np.log10(p_ref)


def _error_rate(alt: np.ndarray, qsum: np.ndarray) -> np.ndarray:
    mean_q = np.where(alt > 0, qsum / np.maximum(alt, 1), 30.0)
    return np.clip(10 ** (-np.clip(mean_q, 5, 45) / 10), 1e-5, 0.3)


def _strand_p(c: Candidates) -> np.ndarray:
    """Strand-bias p-value: mpileup's Phred SP, required with one-sided alt support."""
    p = 10 ** (-c.t_strand_phred / 10)
    one_sided = np.minimum(c.t_alt_fwd, c.t_alt_rev) <= 0.1 * c.t_alt
    return np.where(one_sided, p, 1.0)


def _neighbour_counts(chrom: np.ndarray, pos: np.ndarray, mask: np.ndarray, window: int) -> np.ndarray:
    """For every site, how many ``mask`` sites (other than itself) lie within ``window`` bp."""
    out = np.zeros(pos.size, dtype=np.int64)
    for name in np.unique(chrom):
        idx = np.nonzero(chrom == name)[0]
        sel_pos = np.sort(pos[idx][mask[idx]])
        lo = np.searchsorted(sel_pos, pos[idx] - window, side="left")
        hi = np.searchsorted(sel_pos, pos[idx] + window, side="right")
        out[idx] = hi - lo - mask[idx].astype(np.int64)
    return out


def artifact_prior(
    c_to_t: np.ndarray, art_alt: np.ndarray, other_alt: np.ndarray
) -> float:
    """Fraction of C>T/G>A candidates that are orientation artifacts, learned from the sample.

    Real alleles put half their alt reads in each orientation, artifacts all in one: the
    read-weighted mean artifact-orientation fraction m gives π = 2m − 1.
    """
    total = (art_alt + other_alt)[c_to_t].sum()
    if total < 20:
        return 0.0
    m = art_alt[c_to_t].sum() / total
    return float(np.clip(2 * m - 1, 0.0, 0.99))


def _damage_rate(
    damage: np.ndarray, art_alt: np.ndarray, other: np.ndarray, alt: np.ndarray, depth: np.ndarray
) -> float:
    """Allele fraction typical of damage: pooled VAF of one-orientation, low-VAF candidates."""
    sel = damage & (other == 0) & (art_alt > 0) & (alt < 0.1 * depth)
    if not sel.any():
        return 0.01
    return float(np.clip(alt[sel].sum() / depth[sel].sum(), 0.002, 0.05))


def artifact_posterior(
    art_alt: np.ndarray,
    other: np.ndarray,
    alt: np.ndarray,
    depth: np.ndarray,
    prior: float,
    rate: float,
    leak: float = 0.1,
) -> np.ndarray:
    """P(artifact | orientation split, allele fraction) for C>T/G>A sites.

    Artifact: alt reads in the damage orientation except a ``leak`` fraction (errors and
    mismapped reads), alt count ~ Binomial(depth, rate). Real allele: orientations split
    50:50, allele fraction uniform on [0, 1] (marginal likelihood 1 / (depth + 1)).
    """
    if prior <= 0:
        return np.zeros_like(alt, dtype=float)
    n = art_alt + other
    log_orient = art_alt * np.log10(1 - leak) + other * np.log10(leak) - n * np.log10(0.5)
    log_af = (
        stats.binom.logpmf(alt, depth, rate) / np.log(10) + np.log10(depth + 1)
    )
    log_odds = np.log10(prior) - np.log10(1 - prior) + log_orient + log_af
    return 1 / (1 + 10 ** (-np.clip(log_odds, -50, 50)))


def score(
    c: Candidates,
    params: SomaticParams,
    pon: set[tuple[str, int, str, str]] | None = None,
    orientation: pd.DataFrame | None = None,
    purity: float | None = None,
) -> pd.DataFrame:
    """Scores and FILTER per candidate: one row per site, ``filter`` is ``PASS`` or ``;``-joined."""
    t = c.table
    depth = c.t_ref + c.t_alt
    vaf = np.where(depth > 0, c.t_alt / np.maximum(depth, 1), 0.0)
    err = _error_rate(c.t_alt, c.t_alt_qsum)
    tlod = log10_binom_lik(c.t_alt, c.t_ref, vaf, err) - log10_binom_lik(
        c.t_alt, c.t_ref, np.zeros_like(vaf), err
    )
    n_depth = c.n_ref + c.n_alt
    n_err = np.full_like(err, 1e-3)
    nlod = log10_binom_lik(c.n_alt, c.n_ref, np.zeros_like(vaf), n_err) - log10_binom_lik(
        c.n_alt, c.n_ref, np.full_like(vaf, 0.5), n_err
    )
    f_som = np.full_like(vaf, (purity if purity and purity > 0 else params.tumor_only_purity) / 2)
    germ_lik = np.maximum(
        log10_binom_lik(c.t_alt, c.t_ref, np.full_like(vaf, 0.5), err),
        log10_binom_lik(c.t_alt, c.t_ref, np.full_like(vaf, 0.99), err),
    )
    germline_lod = germ_lik - log10_binom_lik(c.t_alt, c.t_ref, f_som, err)
    mean_bq = np.where(c.t_alt > 0, c.t_alt_qsum / np.maximum(c.t_alt, 1), 0.0)
    is_indel = t["is_indel"].to_numpy(dtype=bool)
    chrom, pos = t["chrom"].to_numpy(), t["pos"].to_numpy(dtype=np.int64)
    evidence = (tlod >= params.min_tlod) & (c.t_alt >= params.min_alt_count)

    art_post = np.zeros_like(vaf)
    f1r2 = np.zeros_like(vaf)
    f2r1 = np.zeros_like(vaf)
    if orientation is not None and len(orientation):
        merged = t[["chrom", "pos", "ref", "alt"]].merge(
            orientation, on=["chrom", "pos", "ref", "alt"], how="left"
        )
        f1r2 = merged["f1r2_alt"].fillna(0).to_numpy(dtype=float)
        f2r1 = merged["f2r1_alt"].fillna(0).to_numpy(dtype=float)
        ref, alt = t["ref"].to_numpy(), t["alt"].to_numpy()
        ct = (ref == "C") & (alt == "T")
        ga = (ref == "G") & (alt == "A")
        art_alt = np.where(ct, f1r2, np.where(ga, f2r1, 0.0))
        other = np.where(ct, f2r1, np.where(ga, f1r2, 0.0))
        damage = ct | ga
        prior = artifact_prior(damage, art_alt, other)
        art_post = np.where(
            damage,
            artifact_posterior(art_alt, other, c.t_alt, depth, prior, _damage_rate(
                damage, art_alt, other, c.t_alt, depth)),
            0.0,
        )

    pon_hit = np.zeros(len(t), dtype=bool)
    if pon:
        keys = zip(t["chrom"], t["pos"], t["ref"], t["alt"], strict=True)
        pon_hit = np.fromiter((k in pon for k in keys), dtype=bool, count=len(t))

    if c.paired:
        germline = (nlod < params.min_nlod) | (
            (c.n_alt >= 2) & (c.n_alt > params.max_normal_alt_fraction * n_depth)
        )
        low_depth = (depth < params.min_depth) | (n_depth < params.min_normal_depth)
    else:
        germline = germline_lod > params.min_germline_lod
        low_depth = depth < params.min_depth

    near_indel = (~is_indel) & (
        _neighbour_counts(chrom, pos, is_indel & evidence, params.indel_window) > 0
    )
    clustered = _neighbour_counts(chrom, pos, evidence, params.cluster_window) >= (
        params.max_cluster_events
    )
    checks = {
        "low_depth": low_depth,
        "low_alt_count": c.t_alt < params.min_alt_count,
        "weak_evidence": tlod < params.min_tlod,
        "strand_bias": _strand_p(c) < params.strand_bias_p,
        "low_base_quality": (~is_indel) & (mean_bq < params.min_alt_base_quality),
        "low_mapping_quality": t["mqbz"].to_numpy(dtype=float) < params.min_mqbz,
        "clustered_events": clustered,
        "near_indel": near_indel,
        "panel_of_normals": pon_hit,
        "germline": germline,
        "orientation": art_post > params.max_artifact_posterior,
    }
    names = np.array(list(checks))
    matrix = np.column_stack([checks[n] for n in names])
    filters = [";".join(names[row]) or "PASS" for row in matrix]
    out = t[["chrom", "pos", "ref", "alt"]].copy()
    out["filter"] = filters
    out["tlod"] = np.round(tlod, 3)
    out["nlod"] = np.round(nlod, 3) if c.paired else np.nan
    out["germline_lod"] = np.round(germline_lod, 3)
    out["artifact_posterior"] = np.round(art_post, 4)
    out["t_ref"], out["t_alt"], out["t_depth"] = c.t_ref, c.t_alt, depth
    out["n_ref"], out["n_alt"], out["n_depth"] = c.n_ref, c.n_alt, n_depth
    out["vaf"] = np.round(vaf, 4)
    out["f1r2_alt"], out["f2r1_alt"] = f1r2, f2r1
    out["is_indel"] = is_indel
    return out
