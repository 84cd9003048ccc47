"""Early tumor content from germline allele imbalance, before the CNV stage's fit.

At the normal's heterozygous sites the tumor's allele fraction departs from 0.5 where the tumor
lost a copy. The most imbalanced stretch of het sites is taken as a one-copy loss (clonal),
whose major-allele fraction is ``1 / (2 - p)``; so ``p = 2 - 1 / b``. Sampling noise of the
mirrored allele fraction is removed by matching its binomial expectation. This is a first look
that the CNV stage's purity (cnv/summary.tsv) supersedes.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from scce_genomics.tissue.sites import HET, SiteCounts, genotype_classes

__all__ = ["early_purity", "mirrored_deviation"]


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
