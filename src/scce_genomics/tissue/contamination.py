"""Cross-individual contamination and an early tumor-content estimate from germline allele counts.

Contamination model: at a site where the sample's own genotype is homozygous, reads of the other
allele come from sequencing error (rate ``e``, about 0.1 % for one specific base) and from
contaminating DNA. A contaminant present at fraction ``c`` carries the other allele with
probability ``q`` per chromosome copy (its population frequency), so the expected minor-allele
fraction is ``e + c * q``. With ``q = 0.5`` this is the familiar "contamination ~ 2 x mean minor
allele fraction at hom sites"; at a patient's own (rare, private) SNPs called from the normal,
``q ~ 1`` (an unrelated contaminant almost surely carries the reference allele at a hom-alt site).
The estimate pools sites: ``c = sum(m - e d) / sum(d q)``.

That pooled estimate needs the genotype from another sample (a tumor judged at its normal's
hom sites). Judged on its own genotypes, a sample's hom sites are the ones whose minor fraction
looks small, which truncates exactly the sites the contamination pushed furthest (at 10 % a
hom-alt site with 15 % reference reads would be called het and dropped). The normal is
therefore fitted as a mixture instead: every site is hom-ref, het or hom-alt with free weights,
the contaminant's genotype follows Hardy-Weinberg at ``q``, the het component has its own free
allele fraction (so reference-mapping bias at het sites cannot pose as contamination), and
``c`` maximises the likelihood profiled over the weights (EM).

Early purity: at the normal's heterozygous sites the tumor's allele fraction departs from 0.5
where the tumor lost a copy. The most imbalanced stretch of het sites is taken as a one-copy
loss (clonal), whose major-allele fraction is ``1 / (2 - p)``; so ``p = 2 - 1 / b``. Sampling
noise of the mirrored allele fraction is removed by matching its binomial expectation. This is
a first look that the CNV stage's purity (cnv/summary.tsv) supersedes.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats

from scce_genomics.tissue.identity import HET, HOM_ALT, HOM_REF, SiteCounts, genotype_classes

__all__ = [
    "contamination_estimate",
    "early_purity",
    "mirrored_deviation",
    "mixture_contamination",
]


def contamination_estimate(
    counts: SiteCounts,
    sample: str,
    genotype_from: str,
    min_depth: int = 10,
    default_af: float = 0.0,
    error_rate: float = 0.0005,
) -> dict[str, float | int | str]:
    """Contamination fraction of ``sample`` at sites homozygous in ``genotype_from``.

    ``genotype_from`` is the patient's normal (or the sample itself): a tumor is judged at its
    normal's hom sites, where neither LOH nor copy number can create a second allele.
    ``default_af`` is the alternate allele's population frequency where the sites carry no
    INFO/AF: 0 for a patient's own private SNPs (hom-alt sites then have q = 1 and hom-ref
    sites no information), 0.5 for common SNP panels.
    """
    s, g = counts.column(sample), counts.column(genotype_from)
    if s == g:
        return _self_contamination(counts, sample, min_depth, default_af, error_rate)
    gt = genotype_classes(counts.ref[:, g], counts.alt[:, g], min_depth)
    depth = counts.depth[:, s]
    use = ((gt == HOM_REF) | (gt == HOM_ALT)) & (depth >= min_depth)
    minor = np.where(gt == HOM_REF, counts.alt[:, s], counts.ref[:, s])[use]
    d = depth[use]
    af = counts.pop_af[use] if counts.pop_af.size == counts.pos.size else np.full(d.size, np.nan)
    af = np.where(np.isnan(af), default_af, af)
    q = np.where(gt[use] == HOM_REF, af, 1 - af)
    informative = q >= 0.01
    minor, d, q = minor[informative], d[informative], q[informative]
    denom = float((d * q).sum())
    if denom == 0:
        return {
            "sample": sample,
            "genotype_from": genotype_from,
            "n_sites": 0,
            "contamination": float("nan"),
            "se": float("nan"),
        }
    est = max(0.0, float((minor - error_rate * d).sum()) / denom)
    se = float(np.sqrt(max(minor.sum(), 1))) / denom
    return {
        "sample": sample,
        "genotype_from": genotype_from,
        "n_sites": int(informative.sum()),
        "mean_minor_fraction": float(minor.sum() / d.sum()),
        "contamination": round(est, 5),
        "se": round(se, 5),
    }


def _pop_af(counts: SiteCounts, default_af: float) -> np.ndarray:
    af = counts.pop_af if counts.pop_af.size == counts.pos.size else np.full(counts.pos.size, 0.0)
    return np.where(np.isnan(af), default_af, af)


def _self_contamination(
    counts: SiteCounts, sample: str, min_depth: int, default_af: float, error_rate: float
) -> dict[str, float | int | str]:
    s = counts.column(sample)
    use = counts.depth[:, s] >= min_depth
    ref, alt = counts.ref[use, s], counts.alt[use, s]
    est, se = mixture_contamination(
        ref, alt, _pop_af(counts, default_af)[use], max(error_rate, 1e-4)
    )
    depth = ref + alt
    frac = np.divide(alt, depth, out=np.zeros(depth.size), where=depth > 0)
    hom = (frac <= 0.3) | (frac >= 0.7)
    minor = np.minimum(alt, ref)[hom]
    return {
        "sample": sample,
        "genotype_from": sample,
        "n_sites": int(use.sum()),
        "mean_minor_fraction": float(minor.sum() / max(depth[hom].sum(), 1)),
        "contamination": round(est, 5) if np.isfinite(est) else float("nan"),
        "se": round(se, 5) if np.isfinite(se) else float("nan"),
    }


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
    if depth.size < 20:
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


def _expected_abs_dev(depths: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """E|k/n - 0.5| for k ~ Binomial(n, 0.5 + d): rows = depths, columns = grid of d."""
    out = np.empty((depths.size, grid.size))
    for i, n in enumerate(depths.tolist()):
        k = np.arange(n + 1)[:, None]
        pmf = stats.binom.pmf(k, n, 0.5 + grid[None, :])
        out[i] = (np.abs(k / n - 0.5) * pmf).sum(axis=0)
    return out


def mirrored_deviation(ref: np.ndarray, alt: np.ndarray) -> float:
    """Allelic imbalance d (true allele fraction 0.5 +/- d) of a set of het sites, noise removed."""
    depth = ref + alt
    if depth.size == 0:
        return float("nan")
    observed = float(np.mean(np.abs(alt / depth - 0.5)))
    grid = np.linspace(0, 0.5, 101)
    uniq, inv = np.unique(depth, return_inverse=True)
    expected = _expected_abs_dev(uniq, grid)[inv].mean(axis=0)
    return float(grid[int(np.argmin(np.abs(expected - observed)))])


def early_purity(
    counts: SiteCounts,
    tumor: str,
    genotype_from: str,
    min_depth: int = 10,
    window: int = 30,
) -> dict[str, float | int | str]:
    """Tumor content from the most imbalanced window of ``window`` consecutive het sites.

    Windows never span two chromosomes. With fewer het sites than one window the estimate is NaN.
    """
    t, g = counts.column(tumor), counts.column(genotype_from)
    gt = genotype_classes(counts.ref[:, g], counts.alt[:, g], min_depth)
    use = (gt == HET) & (counts.depth[:, t] >= min_depth)
    ref, alt, chrom = counts.ref[use, t], counts.alt[use, t], counts.chrom[use]
    best, n_windows = float("nan"), 0
    for c in dict.fromkeys(chrom.tolist()):
        idx = np.flatnonzero(chrom == c)
        for start in range(0, idx.size - window + 1, window):
            sel = idx[start : start + window]
            dev = mirrored_deviation(ref[sel], alt[sel])
            n_windows += 1
            best = dev if np.isnan(best) else max(best, dev)
    purity = float(np.clip(2 - 1 / (0.5 + best), 0, 1)) if not np.isnan(best) else float("nan")
    return {
        "sample": tumor,
        "n_het_sites": int(use.sum()),
        "n_windows": n_windows,
        "max_imbalance": best,
        "purity_estimate": round(purity, 3) if not np.isnan(purity) else float("nan"),
        "method": "germline_imbalance_one_copy_loss",
    }
