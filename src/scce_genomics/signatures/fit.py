"""COSMIC signature exposures: stepwise selection, a cohort prior, and bootstrap intervals.

Fitting every COSMIC signature to a few hundred mutations over-fits: many signatures pick up
small exposures that mean nothing. As SigProfilerAssignment does, we keep a signature only when
it improves the reconstruction by a clear margin (forward addition) and drop one whose removal
costs little (backward removal), starting from a tissue-relevant candidate set.

At low mutation counts flat signatures (SBS5, SBS40a, SBS3, SBS16) explain a tumor's few
mutations almost equally well and trade places between fits. The default method
(``cohort-prior``) is an empirical-Bayes fit: the cohort's pooled catalogue (many mutations) is
fitted first; each tumor's exposures are then the maximum a posteriori fractions under its
multinomial mutation counts and a Dirichlet prior centred on the pooled mix, over the tumor's
own selected signatures plus the pooled ones (EM). The prior's strength, in pseudo-mutations,
is chosen from the cohort's own data: each tumor's mutations are split in two halves and the
strength whose fit on one half best predicts the other is kept (0 = no prior, when tumors
differ). ``mle`` is the same fit without prior; ``nnls`` the plain least-squares fit.
Uncertainty comes from multinomial resampling of each tumor's own mutations, refitted with the
same signatures, prior and strength, batched over tumors and replicates. Samples with few
mutations are flagged rather than over-interpreted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from scce_genomics.cosmic import cosmic_signatures
from scce_genomics.errors import InputError

__all__ = [
    "DEFAULT_BACKGROUND",
    "DEFAULT_CANDIDATES",
    "METHODS",
    "FitResult",
    "FitSettings",
    "cosine",
    "fit_cohort",
    "fit_samples",
    "load_signatures",
    "resolve_candidates",
    "select_signatures",
]

#: Signatures seen in esophageal (ESCC/EAC) and lung (SCLC) tumors, plus FFPE/culture noise.
DEFAULT_CANDIDATES: tuple[str, ...] = (
    "SBS1",
    "SBS2",
    "SBS3",
    "SBS4",
    "SBS5",
    "SBS8",
    "SBS13",
    "SBS15",
    "SBS16",
    "SBS17a",
    "SBS17b",
    "SBS18",
    "SBS24",
    "SBS28",
    "SBS40a",
    "SBS44",
    "SBS92",
)
#: Clock-like signatures kept in every fit (SigProfilerAssignment's background signatures).
DEFAULT_BACKGROUND: tuple[str, ...] = ("SBS1", "SBS5")
#: Names that changed between COSMIC versions: asked-for name -> fallbacks, in order.
_ALIASES = {"SBS40a": ("SBS40",), "SBS40": ("SBS40a",)}

FLAG_OK = "ok"
FLAG_LOW = "low_mutation_count"
FLAG_NONE = "no_mutations"


@dataclass(frozen=True)
class FitSettings:
    """Selection and bootstrap parameters (the config's ``signatures:`` section).

    The penalties are cosine margins. SigProfilerAssignment uses 0.05/0.01/0.05 against all
    COSMIC signatures; against a short tissue-specific candidate list, smaller margins recover
    flat signatures (SBS16, SBS40a) that SBS5 would otherwise absorb (benchmarks/bench_signatures).
    """

    add_penalty: float = 0.01
    remove_penalty: float = 0.005
    initial_remove_penalty: float = 0.01
    min_mutations: int = 50
    bootstrap: int = 100
    seed: int = 1
    ci: float = 0.95
    background: tuple[str, ...] = DEFAULT_BACKGROUND
    #: Selection score: "cosine" (1 - reconstruction cosine) or "l2" (relative L2 error, as
    #: SigProfilerAssignment); penalties are differences of this score.
    metric: str = "cosine"
    #: Exposures of the selected signatures: "cohort-prior" (empirical Bayes, see the module
    #: docstring), "mle" (multinomial likelihood, no prior) or "nnls" (least squares).
    method: str = "cohort-prior"
    #: Prior strengths (pseudo-mutations) tried by the held-out split; the best is kept.
    prior_grid: tuple[float, ...] = (0.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0)


METHODS = ("cohort-prior", "mle", "nnls")


@dataclass
class FitResult:
    """Per-sample fit: exposures (signatures × samples) and CIs, and a per-sample summary."""

    exposures: pd.DataFrame
    ci_low: pd.DataFrame
    ci_high: pd.DataFrame
    summary: pd.DataFrame  # sample, n_mutations, cosine, residual, n_signatures, flag
    #: prior strength chosen for the cohort (pseudo-mutations; NaN: no prior)
    prior_strength: float = float("nan")

    def long(self) -> pd.DataFrame:
        """The contract table: sample, signature, exposure, fraction, ci_low, ci_high, ..."""
        exp = self.exposures
        total = exp.sum(axis=0).replace(0, np.nan)
        frac = (exp / total).fillna(0.0)
        rows = pd.DataFrame(
            {
                "sample": np.repeat(exp.columns.to_numpy(), len(exp.index)),
                "signature": np.tile(exp.index.to_numpy(), len(exp.columns)),
                "exposure": exp.to_numpy().T.ravel(),
                "fraction": frac.to_numpy().T.ravel(),
                "ci_low": self.ci_low.to_numpy().T.ravel(),
                "ci_high": self.ci_high.to_numpy().T.ravel(),
            }
        )
        info = self.summary.set_index("sample")
        for col in ("n_mutations", "cosine", "flag"):
            rows[col] = info.loc[rows["sample"], col].to_numpy()
        for col in ("exposure", "fraction", "ci_low", "ci_high", "cosine"):
            rows[col] = rows[col].astype(float).round(6)
        return rows


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity along the last axis (0 where either vector is all zero)."""
    num = np.sum(a * b, axis=-1)
    den = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def load_signatures(
    kind: str = "SBS",
    version: str = "3.4",
    build: str = "GRCh38",
    exome: bool = False,
    path: str | Path | None = None,
) -> pd.DataFrame:
    """COSMIC reference signatures (channels × signatures), from the installed package or a file."""
    return cosmic_signatures(kind=kind, version=version, build=build, exome=exome, path=path)


def resolve_candidates(signatures: pd.DataFrame, candidates: Sequence[str] | str) -> list[str]:
    """Candidate names present in ``signatures``; ``"all"`` means every signature.

    Renamed signatures fall back (SBS40a in v3.4, SBS40 before); an unknown name is an error.
    """
    if isinstance(candidates, str):
        if candidates == "all":
            return list(signatures.columns)
        candidates = [c.strip() for c in candidates.split(",") if c.strip()]
    chosen: list[str] = []
    for name in candidates:
        options = (name, *_ALIASES.get(name, ()))
        found = next((o for o in options if o in signatures.columns), None)
        if found is None:
            raise InputError(
                f"signature {name} is not in the reference set (has {signatures.shape[1]} "
                f"signatures, e.g. {', '.join(map(str, signatures.columns[:5]))})"
            )
        if found not in chosen:
            chosen.append(found)
    if not chosen:
        raise InputError("no candidate signatures given")
    return chosen


def _fit(w: np.ndarray, y: np.ndarray, active: np.ndarray) -> tuple[np.ndarray, float]:
    """NNLS on the active columns; exposures (full length) and reconstruction cosine."""
    x = np.zeros(w.shape[1])
    if active.any():
        x[active] = nnls(w[:, active], y, maxiter=50 * w.shape[1])[0]
    return x, float(cosine(w @ x, y))


def _error(w: np.ndarray, y: np.ndarray, active: np.ndarray, metric: str) -> float:
    """Selection score of the NNLS fit on ``active``: lower is better."""
    x, cos = _fit(w, y, active)
    if metric == "l2":
        return float(np.linalg.norm(y - w @ x) / np.linalg.norm(y))
    return 1.0 - cos


def select_signatures(
    w: np.ndarray, y: np.ndarray, background: np.ndarray, settings: FitSettings
) -> np.ndarray:
    """Boolean mask of signatures kept for catalogue ``y`` (stepwise on the fit error).

    Start from the background signatures plus those NNLS gives weight among all candidates
    (as SigProfilerAssignment adds SBS1/SBS5); remove the one whose loss
    raises the error least while that rise is below the penalty (background signatures are
    never removed); then add the one lowering the error most while the gain beats the add
    penalty, re-running removal after each addition.
    """
    k = w.shape[1]
    if y.sum() <= 0:
        return np.zeros(k, dtype=bool)
    if settings.metric not in ("cosine", "l2"):
        raise InputError(f"unknown selection metric {settings.metric!r}; use cosine or l2")

    def err(mask: np.ndarray) -> float:
        return _error(w, y, mask, settings.metric)

    x, _ = _fit(w, y, np.ones(k, dtype=bool))
    active = (x > 0) | background

    def backward(active: np.ndarray, penalty: float) -> np.ndarray:
        current = err(active)
        while True:
            removable = np.flatnonzero(active & ~background)
            if len(removable) == 0 or active.sum() <= 1:
                return active
            trials = []
            for j in removable:
                trial = active.copy()
                trial[j] = False
                trials.append(err(trial))
            best = int(np.argmin(trials))
            if trials[best] - current < penalty:
                active = active.copy()
                active[removable[best]] = False
                current = trials[best]
            else:
                return active

    active = backward(active, settings.initial_remove_penalty)
    for _ in range(4 * k):
        current = err(active)
        addable = np.flatnonzero(~active)
        if len(addable) == 0:
            break
        gains = []
        for j in addable:
            trial = active.copy()
            trial[j] = True
            gains.append(current - err(trial))
        best = int(np.argmax(gains))
        if gains[best] <= settings.add_penalty:
            break
        active = active.copy()
        active[addable[best]] = True
        active = backward(active, settings.remove_penalty)
    return active


def _batched_refit(w: np.ndarray, masks: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Exposures for many catalogues, each with its own fixed active set.

    ``masks`` (S, K), ``y`` (S, B, C) -> (S, B, K). Unconstrained least squares on the active
    set is exact NNLS whenever it is non-negative; other replicates get scipy's NNLS.
    """
    s_n = y.shape[0]
    k = w.shape[1]
    gram = w.T @ w
    g = np.broadcast_to(gram, (s_n, k, k)).copy()
    inactive = ~masks
    g[inactive[:, :, None] | inactive[:, None, :]] = 0.0
    diag = np.arange(k)
    g[:, diag, diag] = np.where(inactive, 1.0, g[:, diag, diag])
    rhs = np.einsum("ck,sbc->skb", w, y)
    rhs[inactive] = 0.0
    x = np.linalg.solve(g, rhs).transpose(0, 2, 1)  # (S, B, K)
    x[np.broadcast_to(inactive[:, None, :], x.shape)] = 0.0
    bad_s, bad_b = np.nonzero((x < -1e-9).any(axis=2))
    for s, b in zip(bad_s, bad_b, strict=True):
        act = masks[s]
        x[s, b] = 0.0
        x[s, b, act] = nnls(w[:, act], y[s, b], maxiter=50 * k)[0]
    return np.clip(x, 0.0, None)


def _em(
    w: np.ndarray,
    x: np.ndarray,
    active: np.ndarray,
    prior: np.ndarray | None = None,
    strength: float = 0.0,
    start: np.ndarray | None = None,
    iters: int = 500,
    tol: float = 1e-7,
) -> np.ndarray:
    """MAP signature fractions (rows of ``x``) by EM: multinomial counts, Dirichlet prior.

    Maximises Σ_c x_c log(Σ_k w_ck f_k) + strength Σ_k prior_k log f_k over fractions f on
    each row's ``active`` signatures (``prior`` None or ``strength`` 0: maximum likelihood).
    Plain EM crawls along the flat directions that trading signatures create, so steps are
    extrapolated (SQUAREM, Varadhan & Roland 2008) and kept only where they improve the fit.
    """
    f = active / np.maximum(active.sum(axis=1, keepdims=True), 1)
    if start is not None:
        f = np.where(active, np.maximum(start, 1e-6), 0.0)
        f = f / np.maximum(f.sum(axis=1, keepdims=True), 1e-300)
    pr = np.zeros_like(f) if prior is None else strength * np.where(active, prior[None, :], 0.0)

    def step(g: np.ndarray, xs: np.ndarray, ps: np.ndarray) -> np.ndarray:
        p = g @ w.T
        ratio = np.divide(xs, p, out=np.zeros_like(xs), where=p > 0)
        new = g * (ratio @ w) + ps
        return new / np.maximum(new.sum(axis=1, keepdims=True), 1e-300)

    def objective(g: np.ndarray, xs: np.ndarray, ps: np.ndarray) -> np.ndarray:
        p = np.maximum(g @ w.T, 1e-300)
        return (xs * np.log(p)).sum(axis=1) + (ps * np.log(np.maximum(g, 1e-300))).sum(axis=1)

    todo = np.flatnonzero(x.sum(axis=1) > 0)  # rows still moving
    for _ in range(iters):
        if len(todo) == 0:
            break
        g, xs, ps, act = f[todo], x[todo], pr[todo], active[todo]
        f1 = step(g, xs, ps)
        f2 = step(f1, xs, ps)
        r = f1 - g
        v = f2 - f1 - r
        rn = np.sqrt((r**2).sum(axis=1, keepdims=True))
        vn = np.sqrt((v**2).sum(axis=1, keepdims=True))
        alpha = np.minimum(-np.divide(rn, vn, out=np.ones_like(rn), where=vn > 0), -1.0)
        jump = np.where(act, np.maximum(g - 2 * alpha * r + alpha**2 * v, 1e-12), 0.0)
        jump = step(jump / np.maximum(jump.sum(axis=1, keepdims=True), 1e-300), xs, ps)
        better = (objective(jump, xs, ps) >= objective(f2, xs, ps))[:, None]
        new = np.where(better, jump, f2)
        moved = np.abs(new - g).max(axis=1)
        f[todo] = new
        todo = todo[moved >= tol]
    f[x.sum(axis=1) <= 0] = 0.0
    return f


def _choose_strength(
    w: np.ndarray, x: np.ndarray, active: np.ndarray, prior: np.ndarray, settings: FitSettings
) -> float:
    """Prior strength whose fit on half of each tumor's mutations best predicts the other half."""
    rng = np.random.default_rng(settings.seed)
    half = rng.binomial(x.astype(np.int64), 0.5).astype(float)
    other = x - half
    scores = []
    for strength in settings.prior_grid:
        score = 0.0
        for train, test in ((half, other), (other, half)):
            f = _em(w, train, active, prior, strength, iters=200, tol=1e-6)
            p = np.maximum(f @ w.T, 1e-300)
            score += float((test * np.log(p))[train.sum(axis=1) > 0].sum())
        scores.append(score)
    return float(settings.prior_grid[int(np.argmax(scores))])


def fit_samples(
    catalog: pd.DataFrame,
    signatures: pd.DataFrame,
    candidates: Sequence[str] | str = DEFAULT_CANDIDATES,
    settings: FitSettings | None = None,
) -> FitResult:
    """Fit each sample (column) of a channels × samples catalogue; label-aligned channels.

    With ``method="cohort-prior"`` the columns are one cohort: the prior is their pooled fit.
    """
    settings = settings or FitSettings()
    if settings.method not in METHODS:
        raise InputError(f"unknown fit method {settings.method!r}; use {', '.join(METHODS)}")
    names = resolve_candidates(signatures, candidates)
    missing = set(signatures.index) - set(catalog.index)
    if missing:
        raise InputError(
            f"catalogue lacks {len(missing)} of the signatures' channels "
            f"(e.g. {sorted(missing)[:3]}); is it the right matrix type?"
        )
    sig = signatures.loc[:, names]
    w = sig.to_numpy(dtype=float)
    counts = catalog.loc[sig.index].to_numpy(dtype=float).T  # (S, C)
    samples = [str(c) for c in catalog.columns]
    background = np.array([n in settings.background for n in names])
    s_n, k = counts.shape[0], len(names)

    masks = np.zeros((s_n, k), dtype=bool)
    point = np.zeros((s_n, k))
    for s in range(s_n):
        masks[s] = select_signatures(w, counts[s], background, settings)
        point[s] = _fit(w, counts[s], masks[s])[0]
    n_mut = counts.sum(axis=1)

    prior: np.ndarray | None = None
    strength = float("nan")
    if settings.method != "nnls":
        pooled = counts.sum(axis=0)
        if settings.method == "cohort-prior" and s_n > 1 and pooled.sum() > 0:
            pooled_mask = select_signatures(w, pooled, background, settings)
            prior = _fit(w, pooled, pooled_mask)[0]
            prior = prior / prior.sum()
            masks = masks | pooled_mask[None, :]
            masks[n_mut <= 0] = False
            strength = _choose_strength(w, counts, masks, prior, settings)
        start = point / np.maximum(point.sum(axis=1, keepdims=True), 1e-300)
        point = _em(w, counts, masks, prior, strength if prior is not None else 0.0, start)
        point = point * n_mut[:, None]
    recon = point @ w.T
    cos = cosine(recon, counts)

    low = np.zeros((s_n, k))
    high = np.zeros((s_n, k))
    if settings.bootstrap > 0 and s_n:
        rng = np.random.default_rng(settings.seed)
        alpha = (1 - settings.ci) / 2 * 100
        idx = np.flatnonzero(n_mut > 0)
        # Chunk so memory stays bounded (S × B × 96 integers).
        chunk = max(1, 200_000 // max(settings.bootstrap, 1))
        for first in range(0, len(idx), chunk):
            part = idx[first : first + chunk]
            p = counts[part] / n_mut[part, None]
            y = rng.multinomial(
                n_mut[part, None].astype(np.int64),
                p[:, None, :],
                size=(len(part), settings.bootstrap),
            ).astype(float)
            if settings.method == "nnls":
                boot = _batched_refit(w, masks[part], y)
            else:
                flat = y.reshape(-1, y.shape[2])
                act = np.repeat(masks[part], settings.bootstrap, axis=0)
                warm = np.repeat(point[part] / n_mut[part, None], settings.bootstrap, axis=0)
                frac = _em(
                    w, flat, act, prior, 0.0 if np.isnan(strength) else strength, warm, 100, 1e-5
                )
                boot = (frac * flat.sum(axis=1, keepdims=True)).reshape(len(part), -1, k)
            low[part] = np.percentile(boot, alpha, axis=1)
            high[part] = np.percentile(boot, 100 - alpha, axis=1)

    residual = np.abs(counts - recon).sum(axis=1) / np.where(n_mut > 0, n_mut, 1)
    flag = np.where(
        n_mut == 0, FLAG_NONE, np.where(n_mut < settings.min_mutations, FLAG_LOW, FLAG_OK)
    )
    index = pd.Index(names, name="signature")
    summary = pd.DataFrame(
        {
            "sample": samples,
            "n_mutations": n_mut.astype(np.int64),
            "cosine": np.round(cos, 6),
            "residual": np.round(residual, 6),
            "n_signatures": masks.sum(axis=1),
            "signatures": [",".join(np.array(names)[m]) for m in masks],
            "flag": flag,
            "method": settings.method,
            "prior_strength": strength,
        }
    )
    return FitResult(
        exposures=pd.DataFrame(point.T, index=index, columns=samples),
        ci_low=pd.DataFrame(low.T, index=index, columns=samples),
        ci_high=pd.DataFrame(high.T, index=index, columns=samples),
        summary=summary,
        prior_strength=strength,
    )


def fit_cohort(
    catalog: pd.DataFrame,
    signatures: pd.DataFrame,
    candidates: Sequence[str] | str = DEFAULT_CANDIDATES,
    settings: FitSettings | None = None,
    name: str = "cohort",
) -> FitResult:
    """Fit the pooled catalogue (sum over samples): the cohort's overall signature mix."""
    pooled = catalog.sum(axis=1).to_frame(name)
    return fit_samples(pooled, signatures, candidates, settings)
