"""One calibrated per-tumor classifier over every feature family, with patient-level CV.

Per family f and class c a model (:mod:`.models`) gives the log likelihood ℓ_fc of the
tumor's features. The probabilities over the references are

    log P(c | tumor) ∝ Σ_f w_f ℓ_fc          (equal prior over the references)

over the families the tumor has. The weights w_f ≥ 0 are the calibration: fitted by minimising
the class-balanced log loss of out-of-fold likelihoods (patient-level cross-validation inside
the training set), so that families that repeat each other (SBS96 and signatures come from
the same mutations) or that are over-confident (independent genes or arms are not
independent) are down-weighted until "0.9" means right about 90% of the time.

A family a reference lacks (SCLC has no per-patient copy number) is marginalised out, never
imputed: such a family only splits the probability among the references that have it and
leaves the others' share as the remaining families set it (equivalently, the family's
likelihood under SCLC is taken as its average under the other references, weighted by their
current probabilities). Family-alone probabilities use their own temperature, fitted the same
way, over the references that have the family.

"Closest" reference, everywhere in the comparison: the reference with the highest calibrated
probability (for a cohort: the highest mean over its tumors).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize, minimize_scalar
from scipy.special import logsumexp

from scce_genomics.compare.features import CLASSIFIER_FAMILIES
from scce_genomics.compare.models import (
    BernoulliModel,
    CategoricalModel,
    DirichletMultinomialKernel,
    FamilyModel,
)
from scce_genomics.compare.references import ARM_CALLS, FOCAL_CALLS

__all__ = [
    "CLOSEST_DEFINITION",
    "COMBINED",
    "Classifier",
    "CrossValidation",
    "LabelledSet",
    "choose_smoothing",
    "combine",
    "cross_validate",
    "fit_classifier",
]

COMBINED = "all families"
CLOSEST_DEFINITION = (
    "closest = the reference with the highest calibrated probability (per tumor: over the "
    "families it has; per cohort: the highest mean of its tumors' probabilities)"
)
MAX_WEIGHT = 5.0


@dataclass
class LabelledSet:
    """Feature tables by family (tumors × features) and each tumor's reference label."""

    features: dict[str, pd.DataFrame]
    labels: pd.Series  # tumor -> class name
    classes: list[str]

    def subset(self, tumors: list[str] | pd.Index) -> LabelledSet:
        keep = pd.Index(tumors)
        feats = {f: t.loc[t.index.intersection(keep)] for f, t in self.features.items()}
        return LabelledSet(feats, self.labels.loc[keep], self.classes)


Smoothing = dict[str, float]
_KERNEL_FAMILIES = ("SBS96 spectrum", "signatures")


def _make_model(family: str, smoothing: Smoothing, prior: float) -> FamilyModel:
    if family in _KERNEL_FAMILIES:
        return DirichletMultinomialKernel(smoothing.get(family))
    if family == "driver genes":
        return BernoulliModel(prior)
    if family == "arm CNV":
        return CategoricalModel(len(ARM_CALLS), prior)
    if family == "focal CNV":
        return CategoricalModel(len(FOCAL_CALLS), prior)
    raise ValueError(f"no model for family {family!r}")


def _fit_models(train: LabelledSet, smoothing: Smoothing, prior: float) -> dict[str, FamilyModel]:
    models: dict[str, FamilyModel] = {}
    code = {c: k for k, c in enumerate(train.classes)}
    for family, table in train.features.items():
        if table.empty:
            continue
        y = train.labels.loc[table.index].map(code).to_numpy()
        model = _make_model(family, smoothing, prior)
        models[family] = model.fit(table.to_numpy(), y, len(train.classes))
    return models


def choose_smoothing(data: LabelledSet) -> Smoothing:
    """Kernel smoothing per count family, by leave-one-out likelihood of ``data``'s tumors."""
    code = {c: k for k, c in enumerate(data.classes)}
    out: Smoothing = {}
    for family in _KERNEL_FAMILIES:
        table = data.features.get(family)
        if table is None or table.empty:
            continue
        y = data.labels.loc[table.index].map(code).to_numpy()
        kernel = DirichletMultinomialKernel().fit(table.to_numpy(), y, len(data.classes))
        assert kernel.smoothing is not None
        out[family] = kernel.smoothing
    return out


def _logliks(
    models: dict[str, FamilyModel], features: dict[str, pd.DataFrame], tumors: pd.Index,
    n_classes: int,
) -> dict[str, np.ndarray]:  # fmt: skip
    """Per family: tumors × classes log likelihoods; NaN rows for tumors without the family."""
    out: dict[str, np.ndarray] = {}
    for family, model in models.items():
        ll = np.full((len(tumors), n_classes), np.nan)
        table = features.get(family)
        if table is not None:
            have = table.index.intersection(tumors)
            if len(have):
                rows = tumors.get_indexer(have)
                ll[rows] = model.loglik(table.loc[have].to_numpy())
        out[family] = ll
    return out


def combine(ll: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """Calibrated probabilities (tumors × classes) from weighted family log likelihoods.

    Families covering every class add ``w_f ℓ_f``; a block of families covering only some
    classes S redistributes the probability within S and leaves each class outside S its
    current share (the block is marginalised out for them). NaN rows: no family at all.
    """
    fams = [f for f in ll if f in weights]
    if not fams:
        raise ValueError("no family to combine")
    n, c = ll[fams[0]].shape
    z = np.zeros((n, c))
    used = np.zeros(n, dtype=bool)
    blocks: dict[tuple[bool, ...], np.ndarray] = {}
    for f in fams:
        values = ll[f]
        has = ~np.isnan(values).all(axis=1)
        if not has.any():
            continue
        used |= has
        covered = ~np.isnan(values[has]).any(axis=0)
        term = weights[f] * np.nan_to_num(values, nan=0.0)
        if covered.all():
            z += term
        else:
            key = tuple(bool(x) for x in covered)
            blocks[key] = blocks.get(key, np.zeros((n, c))) + term
    for key, b in sorted(blocks.items(), key=lambda kv: -sum(kv[0])):
        inside = np.array(key)
        prior = z[:, inside] - logsumexp(z[:, inside], axis=1, keepdims=True)
        shift = logsumexp(b[:, inside] + prior, axis=1, keepdims=True)
        z = np.where(inside[None, :], z + b, z + shift)
    probs = np.exp(z - logsumexp(z, axis=1, keepdims=True))
    probs[~used] = np.nan
    return probs


def _balanced_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    counts = np.bincount(y, minlength=n_classes).astype(float)
    w = 1.0 / np.maximum(counts[y], 1.0)
    return w / w.sum()


def _loss(probs: np.ndarray, y: np.ndarray, sample_w: np.ndarray) -> float:
    truth = probs[np.arange(len(y)), y]
    ok = ~np.isnan(truth)
    p = np.clip(truth[ok], 1e-12, 1.0)
    return float(-(sample_w[ok] * np.log(p)).sum() / max(sample_w[ok].sum(), 1e-300))


def _fit_weights(ll: dict[str, np.ndarray], y: np.ndarray, n_classes: int) -> dict[str, float]:
    """Family weights minimising the class-balanced log loss of the combined probabilities."""
    fams = [f for f in ll if (~np.isnan(ll[f])).any()]
    sw = _balanced_weights(y, n_classes)

    def objective(w: np.ndarray) -> float:
        return _loss(combine({f: ll[f] for f in fams}, dict(zip(fams, w, strict=True))), y, sw)

    start = np.full(len(fams), 0.5)
    res = minimize(
        objective, start, method="L-BFGS-B", bounds=[(0.0, MAX_WEIGHT)] * len(fams),
        options={"maxiter": 200},
    )  # fmt: skip
    return {f: float(w) for f, w in zip(fams, res.x, strict=True)}


def _alone(ll_f: np.ndarray, t: float) -> np.ndarray:
    """Family-alone probabilities over the classes the family covers (others NaN)."""
    z = t * ll_f
    covered = ~np.isnan(z)
    z = np.where(covered, z, -np.inf)
    with np.errstate(invalid="ignore"):
        p = np.exp(z - logsumexp(z, axis=1, keepdims=True))
    return np.where(covered, p, np.nan)


def _fit_temperature(ll_f: np.ndarray, y: np.ndarray, n_classes: int) -> float:
    sw = _balanced_weights(y, n_classes)
    has = ~np.isnan(ll_f).all(axis=1)
    has &= ~np.isnan(ll_f[np.arange(len(y)), y])  # only tumors of a covered class
    if has.sum() < 2:
        return 1.0
    res = minimize_scalar(
        lambda t: _loss(_alone(ll_f[has], t), y[has], sw[has]),
        bounds=(0.0, MAX_WEIGHT),
        method="bounded",
    )
    return float(res.x)


def _folds(labels: pd.Series, k: int, seed: int) -> pd.Series:
    """Stratified patient-level fold ids (0..k-1)."""
    rng = np.random.default_rng(seed)
    out = pd.Series(0, index=labels.index)
    for _, members in labels.groupby(labels, sort=True):
        order = rng.permutation(len(members))
        out.loc[members.index[order]] = np.arange(len(members)) % k
    return out


@dataclass
class Classifier:
    """Fitted family models, combined weights and family-alone temperatures."""

    classes: list[str]
    models: dict[str, FamilyModel]
    weights: dict[str, float]
    temperatures: dict[str, float]
    smoothing: Smoothing | None = None
    prior: float = 2.0

    def logliks(self, features: dict[str, pd.DataFrame], tumors: pd.Index) -> dict[str, np.ndarray]:
        return _logliks(self.models, features, tumors, len(self.classes))

    def probabilities(
        self, ll: dict[str, np.ndarray], families: tuple[str, ...] | None = None
    ) -> np.ndarray:
        """Combined probabilities from the given families' likelihoods (all by default)."""
        use = {f: v for f, v in ll.items() if families is None or f in families}
        weights = {f: self.weights.get(f, 0.0) for f in use}
        return combine(use, weights)

    def family_probabilities(self, ll: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {f: _alone(v, self.temperatures.get(f, 1.0)) for f, v in ll.items()}


def _out_of_fold(
    data: LabelledSet, k: int, seed: int, smoothing: Smoothing, prior: float
) -> tuple[dict[str, np.ndarray], pd.Series]:
    tumors = data.labels.index
    folds = _folds(data.labels, k, seed)
    ll = {f: np.full((len(tumors), len(data.classes)), np.nan) for f in data.features}
    for fold in range(k):
        held = tumors[(folds == fold).to_numpy()]
        train = data.subset(tumors[(folds != fold).to_numpy()])
        models = _fit_models(train, smoothing, prior)
        part = _logliks(models, data.features, held, len(data.classes))
        rows = tumors.get_indexer(held)
        for f, v in part.items():
            ll[f][rows] = v
    return ll, folds


def _calibrate(
    ll: dict[str, np.ndarray], labels: pd.Series, classes: list[str]
) -> tuple[dict[str, float], dict[str, float]]:
    y = labels.map({c: k for k, c in enumerate(classes)}).to_numpy()
    weights = _fit_weights(ll, y, len(classes))
    temps = {f: _fit_temperature(v, y, len(classes)) for f, v in ll.items()}
    return weights, temps


def fit_classifier(
    data: LabelledSet,
    folds: int = 5,
    seed: int = 1,
    smoothing: Smoothing | None = None,
    prior: float = 2.0,
) -> Classifier:
    """Models on every tumor of ``data``; weights from its own out-of-fold likelihoods.

    ``smoothing`` of the kernel families defaults to the leave-one-out choice on ``data``.
    """
    smoothing = smoothing if smoothing is not None else choose_smoothing(data)
    ll, _ = _out_of_fold(data, folds, seed, smoothing, prior)
    weights, temps = _calibrate(ll, data.labels, data.classes)
    models = _fit_models(data, smoothing, prior)
    return Classifier(data.classes, models, weights, temps, smoothing, prior)


@dataclass
class CrossValidation:
    """Out-of-fold results of nested patient-level cross-validation on the references.

    ``logliks``: family -> tumors × classes (models fitted without the tumor's fold);
    ``fold``: outer fold of each tumor; ``weights``/``temperatures``: calibration fitted inside
    each outer training set (by an inner CV), applied to that fold.
    """

    classes: list[str]
    labels: pd.Series
    logliks: dict[str, np.ndarray]
    fold: pd.Series
    weights: list[dict[str, float]]
    temperatures: list[dict[str, float]]
    families_of: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))

    def probabilities(self, families: tuple[str, ...] | None = None) -> np.ndarray:
        """Out-of-fold combined probabilities, each fold with its own calibration."""
        fams = [f for f in self.logliks if families is None or f in families]
        out = np.full((len(self.labels), len(self.classes)), np.nan)
        if not fams:
            return out
        for k, w in enumerate(self.weights):
            rows = (self.fold == k).to_numpy()
            out[rows] = combine(
                {f: self.logliks[f][rows] for f in fams}, {f: w.get(f, 0.0) for f in fams}
            )
        return out

    def family_probabilities(self, family: str) -> np.ndarray:
        out = np.full((len(self.labels), len(self.classes)), np.nan)
        for k, t in enumerate(self.temperatures):
            rows = (self.fold == k).to_numpy()
            out[rows] = _alone(self.logliks[family][rows], t.get(family, 1.0))
        return out


def cross_validate(
    data: LabelledSet,
    folds: int = 5,
    seed: int = 1,
    smoothing: Smoothing | None = None,
    prior: float = 2.0,
) -> CrossValidation:
    """Nested patient-level CV: smoothing and calibration chosen inside each training set."""
    tumors = data.labels.index
    outer = _folds(data.labels, folds, seed)
    ll = {f: np.full((len(tumors), len(data.classes)), np.nan) for f in data.features}
    weights: list[dict[str, float]] = []
    temps: list[dict[str, float]] = []
    for fold in range(folds):
        held = tumors[(outer == fold).to_numpy()]
        train = data.subset(tumors[(outer != fold).to_numpy()])
        chosen = smoothing if smoothing is not None else choose_smoothing(train)
        inner, _ = _out_of_fold(train, folds, seed + 1 + fold, chosen, prior)
        w, t = _calibrate(inner, train.labels, data.classes)
        weights.append(w)
        temps.append(t)
        models = _fit_models(train, chosen, prior)
        part = _logliks(models, data.features, held, len(data.classes))
        rows = tumors.get_indexer(held)
        for f, v in part.items():
            ll[f][rows] = v
    families_of = pd.Series(
        [
            tuple(f for f in CLASSIFIER_FAMILIES if f in ll and not np.isnan(ll[f][i]).all())
            for i in range(len(tumors))
        ],
        index=tumors,
    )
    return CrossValidation(data.classes, data.labels, ll, outer, weights, temps, families_of)
