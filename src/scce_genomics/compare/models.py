"""Per-family likelihood models of the per-tumor classifier.

Each model is fitted on labelled reference tumors and returns, for new tumors, the log
likelihood of their features under every class (tumors × classes; a column is NaN for a class
without training data in this family, e.g. SCLC copy number). Constants shared by all classes
(multinomial coefficients) are dropped: only differences between classes matter.

* :class:`DirichletMultinomialKernel` (SBS96 counts, signature-group exposures): the mean over
  the class's reference tumors j of a Dirichlet-multinomial likelihood with parameters
  ``n_j + smoothing × pooled_c`` (the tumor's counts as a draw from reference tumor j's
  spectrum, whose uncertainty from its own ~200 mutations is kept). It is count-aware: a
  40-mutation tumor gets a flat likelihood, and a 10,000-mutation genome cannot become more
  certain than the reference tumors' own counts allow.
* :class:`BernoulliModel` (driver genes): per-gene mutation frequency of the class, smoothed
  toward the frequency over all classes with ``prior`` pseudo-patients.
* :class:`CategoricalModel` (arm and focal copy-number calls): per feature, frequency of each
  call in the class, smoothed likewise; a missing call (``NA``) contributes nothing.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from scipy.special import gammaln, logsumexp

__all__ = [
    "SMOOTHING_GRID",
    "BernoulliModel",
    "CategoricalModel",
    "DirichletMultinomialKernel",
    "FamilyModel",
]


#: Pseudo-counts tried when the kernel's smoothing is chosen by leave-one-out likelihood.
SMOOTHING_GRID: tuple[float, ...] = (10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0)


class FamilyModel(Protocol):
    """What the classifier needs from a family model."""

    def fit(self, x: np.ndarray, y: np.ndarray, n_classes: int) -> FamilyModel: ...

    def loglik(self, x: np.ndarray) -> np.ndarray: ...


def _dm_loglik(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """log Dirichlet-multinomial(x | alpha) without the multinomial coefficient, (n, J)."""
    total_a = alpha.sum(axis=1)  # (J,)
    total_x = x.sum(axis=1)  # (n,)
    const = gammaln(total_a)[None, :] - gammaln(total_x[:, None] + total_a[None, :])
    per = gammaln(x[:, None, :] + alpha[None, :, :]) - gammaln(alpha)[None, :, :]
    return np.asarray(const + per.sum(axis=2), dtype=float)


class DirichletMultinomialKernel:
    """Mixture over a class's reference tumors of Dirichlet-multinomial likelihoods.

    Counts above the training tumors' median are scaled down to it (``cap``): the reference
    spectra cannot resolve more, and the calibration is fitted at the references' counts.
    """

    def __init__(self, smoothing: float | None = None) -> None:
        self.smoothing = smoothing
        self.alphas: list[np.ndarray | None] = []
        self.cap = np.inf

    @staticmethod
    def _alpha(rows: np.ndarray, smoothing: float) -> np.ndarray:
        pooled = rows.sum(axis=0) + 1e-3
        return rows + smoothing * (pooled / pooled.sum())[None, :]

    def _loo(self, groups: list[np.ndarray], smoothing: float) -> float:
        """Leave-one-out log likelihood of every training tumor under its own class."""
        total = 0.0
        for rows in groups:
            if len(rows) < 2:
                continue
            x = rows * np.minimum(1.0, self.cap / rows.sum(axis=1, keepdims=True))
            ll = _dm_loglik(x, self._alpha(rows, smoothing))
            np.fill_diagonal(ll, -np.inf)
            total += float((logsumexp(ll, axis=1) - np.log(len(rows) - 1)).sum())
        return total

    def fit(self, x: np.ndarray, y: np.ndarray, n_classes: int) -> DirichletMultinomialKernel:
        x = np.asarray(x, dtype=float)
        totals = x.sum(axis=1)
        self.cap = float(np.median(totals[totals > 0])) if (totals > 0).any() else np.inf
        groups = [x[(y == c) & (totals > 0)] for c in range(n_classes)]
        if self.smoothing is None:  # bandwidth by leave-one-out likelihood
            grid = SMOOTHING_GRID
            self.smoothing = grid[int(np.argmax([self._loo(groups, k) for k in grid]))]
        self.alphas = [self._alpha(rows, self.smoothing) if len(rows) else None for rows in groups]
        return self

    def loglik(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        totals = x.sum(axis=1, keepdims=True)
        x = x * np.minimum(1.0, self.cap / np.maximum(totals, 1e-300))
        out = np.full((len(x), len(self.alphas)), np.nan)
        for c, alpha in enumerate(self.alphas):
            if alpha is None or len(x) == 0:
                continue
            out[:, c] = logsumexp(_dm_loglik(x, alpha), axis=1) - np.log(len(alpha))
        return out


class BernoulliModel:
    """Independent per-feature presence (0/1; NaN = unknown) with smoothed class frequencies."""

    def __init__(self, prior: float = 2.0) -> None:
        self.prior = prior
        self.theta: list[np.ndarray | None] = []

    def fit(self, x: np.ndarray, y: np.ndarray, n_classes: int) -> BernoulliModel:
        x = np.asarray(x, dtype=float)
        known = ~np.isnan(x)
        pooled = np.nansum(x, axis=0) / np.maximum(known.sum(axis=0), 1)
        pooled = np.clip(pooled, 0.01, 0.99)
        self.theta = []
        for c in range(n_classes):
            rows, ok = x[y == c], known[y == c]
            if len(rows) == 0:
                self.theta.append(None)
                continue
            hits = np.nansum(rows, axis=0)
            self.theta.append((hits + self.prior * pooled) / (ok.sum(axis=0) + self.prior))
        return self

    def loglik(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        out = np.full((len(x), len(self.theta)), np.nan)
        known = ~np.isnan(x)
        xx = np.nan_to_num(x)
        for c, theta in enumerate(self.theta):
            if theta is None:
                continue
            ll = xx * np.log(theta) + (1 - xx) * np.log1p(-theta)
            out[:, c] = np.where(known, ll, 0.0).sum(axis=1)
        return out


class CategoricalModel:
    """Independent per-feature categorical calls (integer codes; -1 = unknown), smoothed."""

    def __init__(self, n_levels: int, prior: float = 2.0) -> None:
        self.n_levels = n_levels
        self.prior = prior
        self.logp: list[np.ndarray | None] = []

    def _counts(self, x: np.ndarray) -> np.ndarray:
        """(features, levels) counts of each call."""
        return np.stack([(x == k).sum(axis=0) for k in range(self.n_levels)], axis=1).astype(float)

    def fit(self, x: np.ndarray, y: np.ndarray, n_classes: int) -> CategoricalModel:
        x = np.asarray(x, dtype=int)
        total = self._counts(x) + 0.5
        pooled = total / total.sum(axis=1, keepdims=True)
        self.logp = []
        for c in range(n_classes):
            rows = x[y == c]
            if len(rows) == 0:
                self.logp.append(None)
                continue
            counts = self._counts(rows) + self.prior * pooled
            self.logp.append(np.log(counts / counts.sum(axis=1, keepdims=True)))
        return self

    def loglik(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=int)
        out = np.full((len(x), len(self.logp)), np.nan)
        known = x >= 0
        codes = np.where(known, x, 0)
        cols = np.arange(x.shape[1])[None, :] if x.ndim == 2 else np.zeros((1, 0), dtype=int)
        for c, logp in enumerate(self.logp):
            if logp is None or x.shape[1] == 0:
                if logp is not None:
                    out[:, c] = 0.0
                continue
            out[:, c] = np.where(known, logp[cols, codes], 0.0).sum(axis=1)
        return out
