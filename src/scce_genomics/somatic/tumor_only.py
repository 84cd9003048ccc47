"""Germline or somatic without a matched normal: population frequency, purity and copy number.

The SGZ / PureCN idea with closed-form likelihoods. In a tumor of purity ``p``, a segment with
total copy number ``C`` and minor copy number ``m`` (major ``M = C - m``) has ``D = pC + 2(1-p)``
copies per cell on average, so an allele is expected at fraction

* germline heterozygous on the minor or major allele: ``(p·m + 1 - p) / D`` or ``(p·M + 1 - p) / D``
  (in a copy-neutral or hemizygous LOH segment, ``m = 0``: a private germline SNP on the kept
  allele looks like a clonal somatic mutation — the hard case);
* germline homozygous: 1;
* somatic clonal with multiplicity ``n`` (1..M): ``p·n / D``; subclonal at cell fraction
  ``c`` < 1: ``p·c / D``.

Reads are binomial around these fractions (with the alt reads' own error rate). The germline
prior is the population frequency ``f`` of the allele (a germline resource such as gnomAD):
a person carries it with probability ``1 - (1 - f)²``, ``f`` taken as a stated default where the
resource does not list it. The somatic share among unlisted candidates and the clonal share of
somatic variants are learned per sample by EM, as tumors differ a hundredfold in mutation load.

When the copy-number stage gives total but not allele-specific copy number (no matched normal
for B-allele frequencies), the minor copy number of each segment is inferred here from the
common germline SNPs in it (resource AF ≥ 1%; without a resource, from all its candidates,
mostly germline), the way a B-allele-frequency caller would.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.errors import InputError
from scce_genomics.somatic.germline_resource import DEFAULT_ABSENT_AF

__all__ = [
    "GermlineCall",
    "GermlineEvidence",
    "classify",
    "read_cnv_purity",
    "read_segments",
    "site_copy_number",
]

_LN10 = math.log(10)
#: Highest total copy number modelled (deeper amplifications are treated as this).
MAX_CN = 10
#: Cell fractions of the subclonal somatic component.
_SUBCLONAL_CCF = np.arange(0.05, 0.951, 0.05)
#: Prior on the minor copy number of a segment without common SNPs: LOH less likely.
_LOH_PRIOR = 0.2
#: Common germline SNPs (resource AF at least this) inform a segment's minor copy number.
_COMMON_AF = 0.01
_BLOCK = 100_000


@dataclass(frozen=True)
class GermlineEvidence:
    """What tumor-only classification knows besides the reads.

    ``pop_af``: population AF per candidate (NaN: not in the resource; None: no resource);
    ``segments``: chrom, start, end (0-based), cn, minor (NaN: unknown) from the CNV stage.
    """

    pop_af: np.ndarray | None = None
    segments: pd.DataFrame | None = None
    absent_af: float = DEFAULT_ABSENT_AF


@dataclass(frozen=True)
class GermlineCall:
    """Per site: log10 posterior odds germline vs somatic, and what the model used."""

    log10_odds: np.ndarray
    pop_af: np.ndarray
    total_cn: np.ndarray
    minor_cn: np.ndarray
    somatic_prior: float
    clonal_fraction: float


def read_segments(path: str | Path) -> pd.DataFrame:
    """Segments as chrom, start, end, cn, minor (NaN where the minor copy number is unknown).

    Best from the CNV stage's allele table (``cnv/<tumor>.alleles.tsv``: major/minor refitted
    from B-allele frequency, purity and total copy number, where ``cnvkit.py call`` reads an
    amplification with a retained allele as LOH); a CNVkit call table (``min(cn1, cn2)``) also
    works.
    """
    try:
        df = pd.read_csv(path, sep="\t", dtype={"chromosome": str})
    except pd.errors.EmptyDataError:
        df = pd.DataFrame(columns=["chromosome", "start", "end", "cn"])
    except (OSError, pd.errors.ParserError) as err:
        raise InputError(f"cannot read copy-number segments ({err})", path) from None
    missing = {"chromosome", "start", "end", "cn"} - set(df.columns)
    if missing:
        raise InputError(
            f"not a copy-number segment table (lacks {', '.join(sorted(missing))}); give the "
            "CNV stage's allele table (.alleles.tsv) or the cnvkit.py call output (.call.cns)",
            path,
        )
    cn = pd.to_numeric(df["cn"], errors="coerce")
    minor = np.full(len(df), np.nan)
    if "minor" in df.columns:  # allele table: 'total' rows have no allelic evidence
        minor = pd.to_numeric(df["minor"], errors="coerce").to_numpy(dtype=float)
        if "allele_source" in df.columns:
            unknown = (df["allele_source"].astype(str) == "total") & (cn > 1)
            minor[unknown.to_numpy()] = np.nan
    elif {"cn1", "cn2"} <= set(df.columns):
        minor = np.fmin(
            pd.to_numeric(df["cn1"], errors="coerce").to_numpy(dtype=float),
            pd.to_numeric(df["cn2"], errors="coerce").to_numpy(dtype=float),
        )
    return pd.DataFrame(
        {
            "chrom": df["chromosome"].astype(str),
            "start": pd.to_numeric(df["start"]).astype(np.int64),
            "end": pd.to_numeric(df["end"]).astype(np.int64),
            "cn": cn,
            "minor": minor,
        }
    )


def read_cnv_purity(path: str | Path) -> float | None:
    """Purity from the CNV stage's JSON (``cnv/purity/<tumor>.json``); None when not estimable."""
    try:
        with open(path) as handle:
            value = json.load(handle).get("purity")
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read the purity JSON ({err})", path) from None
    try:
        purity = float(value)
    except (TypeError, ValueError):
        return None
    return purity if math.isfinite(purity) and 0 < purity <= 1 else None


def site_copy_number(
    segments: pd.DataFrame | None, chrom: pd.Series, pos: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(segment index or -1, total CN, minor CN) per site; outside segments: 2 and 1."""
    n = len(pos)
    seg_id = np.full(n, -1, dtype=np.int64)
    total = np.full(n, 2.0)
    minor = np.full(n, 1.0)
    if segments is None or segments.empty or n == 0:
        return seg_id, total, minor
    chrom_arr = np.asarray(chrom, dtype=object)
    pos0 = np.asarray(pos, dtype=np.int64) - 1
    for name, seg in segments.groupby("chrom", sort=False):
        sel = np.nonzero(chrom_arr == name)[0]
        if sel.size == 0:
            continue
        seg = seg.sort_values("start")
        starts, ends = seg["start"].to_numpy(), seg["end"].to_numpy()
        k = np.searchsorted(starts, pos0[sel], side="right") - 1
        inside = (k >= 0) & (pos0[sel] < ends[np.maximum(k, 0)])
        rows = seg.index.to_numpy()[np.maximum(k, 0)]
        cn = segments.loc[rows, "cn"].to_numpy(dtype=float)
        ok = inside & np.isfinite(cn)
        seg_id[sel[ok]] = rows[ok]
        total[sel[ok]] = cn[ok]
        minor[sel[ok]] = segments.loc[rows, "minor"].to_numpy(dtype=float)[ok]
    return seg_id, np.clip(np.rint(total), 0, MAX_CN), minor


def _lse(x: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """ln Σ_k w_k exp(x_k) over the last axis (lean: this runs on every candidate)."""
    top = x.max(axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    terms = np.exp(x - top)
    if weights is not None:
        terms *= weights
    with np.errstate(divide="ignore"):
        return np.log(terms.sum(axis=-1)) + top[..., 0]


def _fractions(total: np.ndarray, minor: int, purity: float) -> np.ndarray:
    """Allele fractions of every component for total CN ``total`` and minor CN ``minor``.

    Columns: germline het on the minor and major allele, germline hom; somatic clonal at
    multiplicity 1..MAX_CN; somatic subclonal at each cell fraction of the grid.
    """
    p = purity
    depth = (p * total + 2 * (1 - p))[:, None]
    major = (total - minor)[:, None]
    germ = np.hstack([(p * minor + 1 - p) / depth, (p * major + 1 - p) / depth, depth / depth])
    clonal = p * np.arange(1, MAX_CN + 1)[None, :] / depth
    sub = p * _SUBCLONAL_CCF[None, :] / depth
    return np.clip(np.hstack([germ, clonal, sub]), 0.0, 1.0)


def _component_likelihoods(
    alt: np.ndarray,
    ref: np.ndarray,
    phred: np.ndarray,
    het: np.ndarray,
    total: np.ndarray,
    minor: int,
    purity: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ln L(germline), ln L(somatic clonal), ln L(somatic subclonal) at minor CN ``minor``.

    Reads are binomial around each component's fraction, with the alt reads' error rate.
    Fractions depend on the total CN only and the error on its integer Phred score, so the
    logarithms are taken once per (total CN, Phred) group, not once per site.
    """
    key = total.astype(np.int64) * 1000 + phred
    groups, inverse = np.unique(key, return_inverse=True)
    g_total = (groups // 1000).astype(float)
    err = (10.0 ** (-(groups % 1000) / 10))[:, None]
    frac = _fractions(g_total, minor, purity)
    ln_alt = np.log(np.maximum(frac * (1 - err) + (1 - frac) * err / 3, 1e-300))
    ln_ref = np.log(np.maximum((1 - frac) * (1 - err) + frac * err / 3, 1e-300))
    ll = alt[:, None] * ln_alt[inverse] + ref[:, None] * ln_ref[inverse]
    germ_w = np.stack([het / 2, het / 2, 1 - het], axis=1)
    mult = np.arange(1, MAX_CN + 1)[None, :]
    n_mult = np.maximum(g_total - minor, 1)[:, None]
    clonal_w = np.where(mult <= n_mult, 1.0 / n_mult, 0.0)[inverse]
    ln_g = _lse(ll[:, :3], germ_w)
    ln_c = _lse(ll[:, 3 : 3 + MAX_CN], clonal_w)
    ln_s = _lse(ll[:, 3 + MAX_CN :]) - math.log(_SUBCLONAL_CCF.size)
    return ln_g, ln_c, ln_s


def _site_likelihoods(
    alt: np.ndarray,
    ref: np.ndarray,
    phred: np.ndarray,
    het: np.ndarray,
    total: np.ndarray,
    minor_weights: np.ndarray,
    purity: float,
) -> np.ndarray:
    """(n, J, 3) ln likelihoods (germline, clonal, subclonal) for minor CN j = 0..J-1."""
    n, n_minor = minor_weights.shape
    out = np.full((n, n_minor, 3), -np.inf)
    for j in range(n_minor):
        sel = np.nonzero(minor_weights[:, j] > 0)[0]
        for start in range(0, sel.size, _BLOCK):
            idx = sel[start : start + _BLOCK]
            parts = _component_likelihoods(
                alt[idx], ref[idx], phred[idx], het[idx], total[idx], j, purity
            )
            out[idx, j, :] = np.stack(parts, axis=1)
    return out


def _minor_prior(total: np.ndarray, known: np.ndarray) -> np.ndarray:
    """(n, J) prior over minor CN: the CNV stage's value where known, else LOH-shy uniform."""
    n_minor = MAX_CN // 2 + 1
    j = np.arange(n_minor)[None, :]
    valid = j <= np.floor(total[:, None] / 2)
    prior = np.where(valid, np.where(j == 0, _LOH_PRIOR, 1.0), 0.0)
    only_loh = valid.sum(axis=1) == 1  # total CN 0 or 1: minor is 0
    prior[only_loh, 0] = 1.0
    is_known = np.isfinite(known)
    if is_known.any():
        fixed = np.clip(np.rint(known[is_known]), 0, np.floor(total[is_known] / 2)).astype(int)
        prior[is_known] = 0.0
        prior[np.nonzero(is_known)[0], fixed] = 1.0
    return prior / prior.sum(axis=1, keepdims=True)


def _minor_posterior(
    prior: np.ndarray,
    ln_lik: np.ndarray,
    seg_id: np.ndarray,
    informative: np.ndarray,
    somatic_share: float,
) -> np.ndarray:
    """Update each segment's minor-CN prior with the likelihood of its informative sites.

    Each informative site is germline or, with probability ``somatic_share``, somatic clonal:
    a few somatic mutations among them then cannot decide a segment.
    """
    post = prior.copy()
    use = informative & (seg_id >= 0)
    if not use.any():
        return post
    ln_site = np.logaddexp(
        ln_lik[:, :, 0] + math.log(1 - somatic_share), ln_lik[:, :, 1] + math.log(somatic_share)
    )
    ln_site = np.where(np.isfinite(ln_site), ln_site, -1e6)
    codes, segs = pd.factorize(seg_id[use])
    total_ll = np.zeros((len(segs), prior.shape[1]))
    np.add.at(total_ll, codes, ln_site[use])
    rows = pd.Index(segs).get_indexer(seg_id)
    has = rows >= 0
    ln_post = np.log(np.maximum(prior[has], 1e-300)) + total_ll[rows[has]]
    ln_post -= ln_post.max(axis=1, keepdims=True)
    weights = np.exp(ln_post) * (prior[has] > 0)
    post[has] = weights / weights.sum(axis=1, keepdims=True)
    return post


def _logit(x: float) -> float:
    return math.log(x / (1 - x))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(x, -700, 700)))


def _mix(ln_c: np.ndarray, ln_s: np.ndarray, w_clonal: float) -> np.ndarray:
    """ln likelihood of a somatic variant: clonal with weight ``w_clonal``, else subclonal."""
    return np.logaddexp(ln_c + math.log(w_clonal), ln_s + math.log(1 - w_clonal))


def _learn_priors(
    ln_g: np.ndarray,
    ln_c: np.ndarray,
    ln_s: np.ndarray,
    ln_carrier: np.ndarray,
    usable: np.ndarray,
    unlisted: np.ndarray,
    iterations: int,
    min_sites: int = 20,
) -> tuple[float, float]:
    """EM for the somatic share of unlisted candidates and the clonal share of somatic ones.

    Starts from 0.5 each; a sample with fewer than ``min_sites`` unlisted candidates keeps them.
    """
    pi, w_clonal = 0.5, 0.5
    if unlisted.sum() < min_sites:
        return pi, w_clonal
    for _ in range(iterations):
        post_som = _sigmoid(-(ln_carrier + _logit(1 - pi) + ln_g - _mix(ln_c, ln_s, w_clonal)))
        clonal = _sigmoid(ln_c + math.log(w_clonal) - ln_s - math.log(1 - w_clonal))
        weight = post_som[usable]
        new_pi = float(np.clip(post_som[unlisted].mean(), 1e-3, 1 - 1e-3))
        new_w = float(
            np.clip((weight * clonal[usable]).sum() / max(weight.sum(), 1e-9), 0.05, 0.95)
        )
        converged = abs(new_pi - pi) < 1e-4 and abs(new_w - w_clonal) < 1e-4
        pi, w_clonal = new_pi, new_w
        if converged:
            break
    return pi, w_clonal


def classify(
    alt: np.ndarray,
    ref: np.ndarray,
    err: np.ndarray,
    chrom: pd.Series,
    pos: np.ndarray,
    purity: float,
    evidence: GermlineEvidence,
    usable: np.ndarray,
    iterations: int = 50,
) -> GermlineCall:
    """Posterior log10 odds germline : somatic per site.

    ``usable``: sites that pass the technical filters (real alleles, somatic or germline); the
    somatic prior and clonal share are learned on them, then applied to every site.
    """
    n = len(alt)
    alt, ref, err = (np.asarray(x, dtype=float) for x in (alt, ref, err))
    usable = np.asarray(usable, dtype=bool)
    pop_af = np.full(n, np.nan) if evidence.pop_af is None else np.asarray(evidence.pop_af, float)
    listed = np.isfinite(pop_af) & (pop_af > 0)
    f = np.clip(np.where(listed, pop_af, evidence.absent_af), 1e-12, 1.0)
    het = 2 * (1 - f) / (2 - f)  # P(het | carrier); 1 - het: homozygous
    seg_id, total, known_minor = site_copy_number(evidence.segments, chrom, pos)
    prior = _minor_prior(total, known_minor)
    phred = np.rint(-10 * np.log10(np.clip(err, 1e-10, 0.75))).astype(np.int64)
    ln_lik = _site_likelihoods(alt, ref, phred, het, total, prior, purity)
    # the segment's minor CN from its common resource SNPs (nearly all germline), or, without a
    # resource, from all its candidates (germline SNPs outnumber somatic mutations)
    common = usable & listed & (pop_af >= _COMMON_AF)
    informative = (common if common.any() else usable) & ~np.isfinite(known_minor)
    share = 0.01 if common.any() else 0.2
    weights = _minor_posterior(prior, ln_lik, seg_id, informative, share)
    ln_w = np.log(np.maximum(weights, 1e-300))[:, :, None]
    masked = np.where(weights[:, :, None] > 0, ln_lik + ln_w, -np.inf)
    marginal = _lse(np.moveaxis(masked, 1, 2))
    ln_g, ln_c, ln_s = marginal[:, 0], marginal[:, 1], marginal[:, 2]
    # prior odds germline:somatic relative to an unlisted allele: carrier probability ratio
    ln_carrier = np.log(f * (2 - f)) - math.log(evidence.absent_af * (2 - evidence.absent_af))
    pi, w_clonal = _learn_priors(ln_g, ln_c, ln_s, ln_carrier, usable, usable & ~listed, iterations)
    odds = ln_carrier + _logit(1 - pi) + ln_g - _mix(ln_c, ln_s, w_clonal)
    expected_minor = (weights * np.arange(weights.shape[1])[None, :]).sum(axis=1)
    return GermlineCall(
        log10_odds=odds / _LN10,
        pop_af=np.where(listed, pop_af, np.nan),
        total_cn=total,
        minor_cn=expected_minor,
        somatic_prior=pi,
        clonal_fraction=w_clonal,
    )
