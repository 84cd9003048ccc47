"""Is the classifier right as often as it says? Accuracy, Brier score, ECE and reliability bins.

All on out-of-fold probabilities of patient-level cross-validation (:mod:`.classifier`):

* accuracy: the most probable reference is the tumor's own;
* Brier score: mean over tumors of Σ_c (p_c − 1[c = truth])² (0 is perfect, 2/3 is a uniform
  guess over three references);
* expected calibration error (ECE): tumors binned by their largest probability (10 equal
  bins); Σ_bins (n_bin / n) × |mean confidence − accuracy| (top-label ECE, Guo et al. 2017).

Each comes with a percentile bootstrap 95% CI over tumors. Classes a family does not cover
(SCLC for copy number) count as probability 0 in the Brier score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["calibration_metrics", "reliability_table"]

N_BINS = 10


def _usable(probs: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    probs = np.asarray(probs, dtype=float)
    truth = np.asarray(truth, dtype=int)
    ok = ~np.isnan(probs[np.arange(len(truth)), truth]) if len(truth) else np.zeros(0, bool)
    return np.nan_to_num(probs[ok], nan=0.0), truth[ok]


def _scores(p: np.ndarray, t: np.ndarray) -> tuple[float, float, float]:
    if len(t) == 0:
        return np.nan, np.nan, np.nan
    conf = p.max(axis=1)
    correct = p.argmax(axis=1) == t
    onehot = np.eye(p.shape[1])[t]
    brier = float(((p - onehot) ** 2).sum(axis=1).mean())
    bins = np.minimum((conf * N_BINS).astype(int), N_BINS - 1)
    ece = 0.0
    for b in np.unique(bins):
        m = bins == b
        ece += m.sum() / len(t) * abs(conf[m].mean() - correct[m].mean())
    return float(correct.mean()), brier, float(ece)


def calibration_metrics(
    probs: np.ndarray, truth: np.ndarray, n_boot: int = 500, seed: int = 1, level: float = 0.95
) -> dict[str, float]:
    """n, accuracy, Brier and ECE with percentile bootstrap CIs (tumors resampled)."""
    p, t = _usable(probs, truth)
    acc, brier, ece = _scores(p, t)
    out: dict[str, float] = {"n": float(len(t)), "accuracy": acc, "brier": brier, "ece": ece}
    rng = np.random.default_rng(seed)
    boot = np.full((n_boot, 3), np.nan)
    if len(t) > 1:
        for b in range(n_boot):
            idx = rng.integers(0, len(t), len(t))
            boot[b] = _scores(p[idx], t[idx])
    tail = (1 - level) / 2
    for k, name in enumerate(("accuracy", "brier", "ece")):
        col = boot[:, k][np.isfinite(boot[:, k])]
        lo, hi = np.quantile(col, [tail, 1 - tail]) if col.size else (np.nan, np.nan)
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = float(lo), float(hi)
    return out


def reliability_table(probs: np.ndarray, truth: np.ndarray) -> pd.DataFrame:
    """Per confidence bin: tumors, mean confidence and observed accuracy."""
    p, t = _usable(probs, truth)
    conf = p.max(axis=1) if len(t) else np.zeros(0)
    correct = (p.argmax(axis=1) == t) if len(t) else np.zeros(0, bool)
    bins = np.minimum((conf * N_BINS).astype(int), N_BINS - 1)
    rows = []
    for b in range(N_BINS):
        m = bins == b
        rows.append(
            {
                "bin_low": b / N_BINS,
                "bin_high": (b + 1) / N_BINS,
                "n": int(m.sum()),
                "mean_confidence": float(conf[m].mean()) if m.any() else np.nan,
                "accuracy": float(correct[m].mean()) if m.any() else np.nan,
            }
        )
    return pd.DataFrame(rows)
