"""Cross-individual contamination from germline allele counts, robust to the tumor's copy number.

At a site where a sample's own genotype is homozygous, reads of the other allele come from
sequencing error (rate ``e`` for one specific base) and from contaminating DNA, which carries
that allele with probability ``q`` per copy (its population frequency; ~1 at a patient's private
hom-alt SNPs, since an unrelated person almost surely carries the reference there).

**Tumor with a matched normal.** Sites homozygous in the normal, where neither LOH nor copy
number can create the other allele. The classic pooled estimate ``sum(m - e d) / sum(q d)``
reads the contaminant's share of the *local* reads, and that share depends on the tumor's
copy number: in a one-copy loss at purity 1 the tumor brings half the DNA of a diploid region
and the contaminant's share doubles; in an amplification it shrinks. Over an LOH-rich genome
the estimate drifts by tens of percent. The contaminant, though, is diploid everywhere, so its
*read count* at a site is the same as in a diploid region of the same capture and GC: ``c × R ×
n_i`` with ``n_i`` the normal's depth at the site (the locus's diploid yield) and ``R`` the
genome-wide tumor/normal read ratio over all sites. Hence

    c = sum(m_i - e d_i) / (R × sum(q_i n_i)),

which needs no segmentation and no purity, so it runs before the CNV stage. ``c`` is the
fraction of the tumor's reads (DNA) that come from another individual, genome-wide, as
ContEst and CalculateContamination define it. Its standard error and 95 % CI come from a site
bootstrap. Sex chromosomes are left out (not diploid in every sample).

**Normal, or tumor without a normal.** No other sample gives the genotype, and picking
"homozygous" sites from the contaminated sample itself truncates exactly the sites the
contaminant pushed furthest. The sample is fitted as a mixture instead: each site hom-ref, het
or hom-alt with free weights, the contaminant Hardy-Weinberg at ``q``, the het component with
its own allele fraction (so reference bias is not read as contamination); ``c`` maximises the
likelihood profiled over the weights (EM). A tumor's LOH residue (the lost allele still read
from normal cells) looks like contamination at hom sites, so tumor-only estimates need
population frequencies (without them ``q`` is unknown) and keep only copy-neutral segments of
the CNV stage; otherwise they are NA with the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from scipy import optimize, stats

from scce_genomics.errors import InputError
from scce_genomics.tissue.sites import HOM_ALT, HOM_REF, SiteCounts, autosomal, genotype_classes

__all__ = [
    "contamination_estimate",
    "copy_neutral_sites",
    "mixture_contamination",
    "paired_contamination",
    "self_contamination",
]

#: Fewest informative sites for a contamination figure.
MIN_SITES = 20


def contamination_estimate(
    counts: SiteCounts,
    sample: str,
    genotype_from: str,
    min_depth: int = 10,
    default_af: float = 0.0,
    error_rate: float = 0.0005,
    tumor_only: bool = False,
    keep: np.ndarray | None = None,
) -> dict[str, Any]:
    """Contamination of ``sample``: paired against ``genotype_from``, or on its own counts.

    ``default_af`` is the ALT allele's population frequency where the sites carry none: 0 for a
    patient's own private SNPs, 0.5 for a common-SNP panel without INFO/AF. ``tumor_only``
    demands a real population frequency at every site used (sites without one are dropped);
    ``keep`` masks sites (e.g. copy-neutral segments).
    """
    if sample != genotype_from:
        return paired_contamination(
            counts, sample, genotype_from, min_depth, default_af, error_rate
        )
    return self_contamination(
        counts, sample, min_depth, default_af, error_rate, tumor_only=tumor_only, keep=keep
    )


def _result(sample: str, genotype_from: str, method: str, **values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "sample": sample,
        "genotype_from": genotype_from,
        "method": method,
        "n_sites": 0,
        "contamination": float("nan"),
        "se": float("nan"),
        "ci_low": float("nan"),
        "ci_high": float("nan"),
        "n_outlier_sites": 0,
        "reason": "",
    }
    out.update(values)
    for key in ("contamination", "se", "ci_low", "ci_high"):
        if np.isfinite(out[key]):
            out[key] = round(float(out[key]), 5)
    return out


def _site_af(counts: SiteCounts, default_af: float) -> np.ndarray:
    n = counts.pos.size
    af = counts.pop_af if counts.pop_af.size == n else np.full(n, np.nan)
    return np.where(np.isnan(af), default_af, af)


def paired_contamination(
    counts: SiteCounts,
    sample: str,
    normal: str,
    min_depth: int = 10,
    default_af: float = 0.0,
    error_rate: float = 0.0005,
    outlier_rate: float = 0.01,
) -> dict[str, Any]:
    """Contamination of ``sample`` at ``normal``'s homozygous sites (depth-normalised ML fit)."""
    method = "paired_depth_normalised"
    s, g = counts.column(sample), counts.column(normal)
    n_dep, d = counts.depth[:, g], counts.depth[:, s]
    base = autosomal(counts.chrom) & (n_dep >= min_depth)
    gt = genotype_classes(counts.ref[:, g], counts.alt[:, g], min_depth)
    # a normal het read as hom would pour half the tumor's reads into the minor count: the
    # normal's own minor reads must be implausible for a het
    n_minor = np.minimum(counts.ref[:, g], counts.alt[:, g])
    not_het = stats.binom.cdf(n_minor, n_dep, 0.5) < 1e-4
    af = _site_af(counts, default_af)
    q = np.where(gt == HOM_REF, af, 1 - af)  # chance per copy that the contaminant differs
    use = base & ((gt == HOM_REF) | (gt == HOM_ALT)) & not_het & (q >= 0.01)
    use &= ~_deamination_like(counts, gt == HOM_REF)
    n_use = int(use.sum())
    if n_use < MIN_SITES or d[base].sum() == 0:
        return _result(
            sample,
            normal,
            method,
            n_sites=n_use,
            reason=f"not computed: {n_use} sites homozygous in {normal} with >= {min_depth} "
            f"reads and a known minor allele; {MIN_SITES} needed",
        )
    ratio = d[base].sum() / n_dep[base].sum()  # genome-wide tumor/normal read ratio
    minor = np.where(gt == HOM_REF, counts.alt[:, s], counts.ref[:, s])[use]
    depth = d[use]
    full = ratio * n_dep[use]  # tumor reads of a contaminant making up all of the DNA
    qq = q[use]
    w_h = np.column_stack([(1 - qq) ** 2, 2 * qq * (1 - qq), qq**2])  # contaminant's copies
    outlier = outlier_rate / (depth + 1.0)  # a site the model cannot explain: any count

    def site_lik(c: float) -> tuple[np.ndarray, np.ndarray]:
        share = (
            c * full[:, None] * np.array([0.0, 0.5, 1.0])[None, :] / np.maximum(depth, 1)[:, None]
        )
        f = np.clip(error_rate + share, error_rate, 1 - error_rate)
        lik = (stats.binom.pmf(minor[:, None], depth[:, None], f) * w_h).sum(axis=1)
        return (1 - outlier_rate) * lik, outlier

    def nll(c: float) -> float:
        model, noise = site_lik(c)
        return -float(np.log(model + noise).sum())

    fit = optimize.minimize_scalar(
        nll, bounds=(0.0, 0.5), method="bounded", options={"xatol": 1e-6}
    )
    c = float(fit.x)
    model, noise = site_lik(c)
    se = _sandwich_se(lambda x: np.log(np.add(*site_lik(x))), c)
    return _result(
        sample,
        normal,
        method,
        n_sites=n_use,
        n_outlier_sites=int((noise > model).sum()),
        contamination=c,
        se=se,
        ci_low=max(c - 1.96 * se, 0.0),
        ci_high=c + 1.96 * se,
    )


def _deamination_like(counts: SiteCounts, hom_ref: np.ndarray) -> np.ndarray:
    """Sites whose minor allele is what C>T deamination makes of the normal's allele.

    FFPE damage turns C into T (G into A on the other strand) at ~1 % of bases, which at a
    normal's homozygous C site reads exactly like a contaminant's T.
    """
    if counts.ref_allele.size != counts.pos.size:
        return np.zeros(counts.pos.size, dtype=bool)
    major = np.where(hom_ref, counts.ref_allele, counts.alt_allele)
    minor = np.where(hom_ref, counts.alt_allele, counts.ref_allele)
    return ((major == "C") & (minor == "T")) | ((major == "G") & (minor == "A"))


def _sandwich_se(site_loglik: Any, c: float, h: float = 1e-4) -> float:
    """Robust (Huber-White) standard error from per-site scores and curvature at the MLE.

    The model takes each site's yield from the normal's depth, itself a noisy count; the
    sandwich widens the interval by the scatter the model does not know about.
    """
    lo, hi = max(c - h, 0.0), c + h
    mid = (lo + hi) / 2
    step = (hi - lo) / 2
    l_lo, l_mid, l_hi = site_loglik(lo), site_loglik(mid), site_loglik(hi)
    score = (l_hi - l_lo) / (2 * step)
    curvature = -float((l_hi - 2 * l_mid + l_lo).sum()) / step**2
    if curvature <= 0:
        return float("nan")
    return float(np.sqrt((score**2).sum()) / curvature)


def self_contamination(
    counts: SiteCounts,
    sample: str,
    min_depth: int = 10,
    default_af: float = 0.0,
    error_rate: float = 0.0005,
    tumor_only: bool = False,
    keep: np.ndarray | None = None,
) -> dict[str, Any]:
    """Contamination of a sample judged on its own counts (mixture fit; see the module text)."""
    method = "tumor_only_mixture" if tumor_only else "own_genotype_mixture"
    s = counts.column(sample)
    depth = counts.depth[:, s]
    auto = autosomal(counts.chrom)
    region = auto if keep is None else auto & keep
    use = region & (depth >= min_depth)
    if tumor_only:
        has_af = counts.pop_af.size == counts.pos.size and bool(np.isfinite(counts.pop_af).any())
        if not has_af:
            return _result(
                sample,
                sample,
                method,
                reason="not computed: tumor-only without population allele frequencies (set "
                "somatic.germline_resource or give tissue_qc.sites_vcf with INFO/AF)",
            )
        use &= np.isfinite(counts.pop_af)
    n_use = int(use.sum())
    if n_use < MIN_SITES:
        return _result(
            sample,
            sample,
            method,
            n_sites=n_use,
            reason=f"not computed: {n_use} usable sites with >= {min_depth} reads; "
            f"{MIN_SITES} needed",
        )
    est, se = mixture_contamination(
        counts.ref[use, s],
        counts.alt[use, s],
        _site_af(counts, default_af)[use],
        max(error_rate, 1e-4),
    )
    # the fit reads the contaminant's share of the kept segments' reads; its reads per site
    # are the same everywhere, so the genome-wide share scales with the segments' depth
    scale = float(depth[region].mean() / depth[auto].mean()) if keep is not None else 1.0
    est, se = est * scale, se * scale
    return _result(
        sample,
        sample,
        method,
        n_sites=n_use,
        contamination=est,
        se=se,
        ci_low=max(est - 1.96 * se, 0.0),
        ci_high=est + 1.96 * se,
    )


def mixture_contamination(
    ref: np.ndarray,
    alt: np.ndarray,
    pop_af: np.ndarray,
    error_rate: float = 0.0005,
    max_contamination: float = 0.5,
) -> tuple[float, float]:
    """Contamination (and its standard error) of a sample from its own allele counts.

    Own genotype g in {0, 1, 2} with free weights; contaminant genotype h ~ HWE(pop_af); alt
    fraction ``(1 - c) f_g + c h / 2`` with ``f = (e, b, 1 - e)`` and ``b`` the het sites' own
    allele fraction. Returns (NaN, NaN) with fewer than 20 sites.
    """
    ref, alt = np.asarray(ref, np.int64), np.asarray(alt, np.int64)
    depth = ref + alt
    if depth.size < MIN_SITES:
        return float("nan"), float("nan")
    frac = alt / np.maximum(depth, 1)
    mid = (frac > 0.25) & (frac < 0.75)
    b = float(alt[mid].sum() / depth[mid].sum()) if mid.any() else 0.5
    q = np.clip(np.asarray(pop_af, np.float64), 0.0, 1.0)
    w_h = np.column_stack([(1 - q) ** 2, 2 * q * (1 - q), q**2])  # sites x h
    f_g = np.array([error_rate, b, 1 - error_rate])

    def site_lik(c: float) -> np.ndarray:
        """Likelihood of each site under each own genotype (sites x g), contaminant summed."""
        f = (1 - c) * f_g[None, :, None] + c * np.array([0.0, 0.5, 1.0])[None, None, :]
        f = np.clip(f, error_rate, 1 - error_rate)
        logp = stats.binom.logpmf(alt[:, None, None], depth[:, None, None], f)
        return (np.exp(logp) * w_h[:, None, :]).sum(axis=2)

    def neg_loglik(c: float) -> float:
        lik = site_lik(c) + 1e-300
        pi = np.full(3, 1 / 3)
        for _ in range(50):
            resp = pi * lik
            resp /= resp.sum(axis=1, keepdims=True)
            pi = resp.mean(axis=0)
        return -float(np.log((lik * pi).sum(axis=1)).sum())

    fit = optimize.minimize_scalar(
        neg_loglik, bounds=(0.0, max_contamination), method="bounded", options={"xatol": 1e-5}
    )
    c = float(fit.x)
    h = 1e-3
    lo, hi = max(c - h, 0.0), min(c + h, max_contamination)
    mid_c = (lo + hi) / 2
    curv = (neg_loglik(hi) - 2 * neg_loglik(mid_c) + neg_loglik(lo)) / ((hi - lo) / 2) ** 2
    se = 1 / np.sqrt(curv) if curv > 0 else float("nan")
    return c, float(se)


def copy_neutral_sites(counts: SiteCounts, segments: str | Path) -> np.ndarray:
    """Sites inside segments of total copy number 2 with both alleles kept (CNVkit call.cns).

    ``cn1``/``cn2`` (allele-specific, present when ``cnvkit.py call`` had B-allele
    frequencies) exclude copy-neutral LOH too; without them only total copy number is known.
    """
    import pandas as pd

    try:
        seg = pd.read_csv(segments, sep="\t", dtype={"chromosome": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"cannot read CNVkit segments ({err})", segments) from None
    missing = {"chromosome", "start", "end", "cn"} - set(seg.columns)
    if missing:
        raise InputError(f"not a CNVkit call.cns: no column(s) {sorted(missing)}", segments)
    neutral = seg["cn"] == 2
    if {"cn1", "cn2"} <= set(seg.columns):
        neutral &= (seg["cn1"].fillna(1) > 0) & (seg["cn2"].fillna(1) > 0)
    keep = np.zeros(counts.pos.size, dtype=bool)
    chrom = counts.chrom.astype(str)
    for row in seg[neutral].itertuples(index=False):
        keep |= (chrom == row.chromosome) & (counts.pos > row.start) & (counts.pos <= row.end)
    return keep
