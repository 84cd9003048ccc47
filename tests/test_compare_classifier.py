"""The per-tumor classifier: family models, marginalising a missing family, CV and metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scce_genomics.compare.calibration import calibration_metrics, reliability_table
from scce_genomics.compare.classifier import LabelledSet, combine, cross_validate, fit_classifier
from scce_genomics.compare.models import (
    BernoulliModel,
    CategoricalModel,
    DirichletMultinomialKernel,
)


def test_combine_marginalises_a_family_a_class_lacks():
    """A family without SCLC splits ESCC/EAC and leaves SCLC the share the others gave it."""
    full = np.log(np.array([[0.5, 0.3, 0.2], [0.2, 0.2, 0.6]]))
    partial = np.array([[np.log(0.9), np.log(0.1), np.nan], [np.nan, np.nan, np.nan]])
    probs = combine({"a": full, "cn": partial}, {"a": 1.0, "cn": 1.0})
    alone = combine({"a": full}, {"a": 1.0})
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert probs[0, 2] == pytest.approx(alone[0, 2])  # SCLC share unchanged
    # within ESCC/EAC: prior odds 0.5:0.3 times likelihood ratio 0.9:0.1
    assert probs[0, 0] / probs[0, 1] == pytest.approx((0.5 * 0.9) / (0.3 * 0.1))
    assert np.allclose(probs[1], alone[1])  # the second tumor has no copy number
    # copy number only: SCLC keeps its equal prior share, never an imputed likelihood
    only = combine({"cn": partial[:1]}, {"cn": 1.0})
    assert only[0, 2] == pytest.approx(1 / 3)
    assert only[0, 0] == pytest.approx(2 / 3 * 0.9)
    nothing = combine({"cn": partial[1:]}, {"cn": 1.0})
    assert np.isnan(nothing).all()


def test_dirichlet_multinomial_kernel_is_count_aware():
    rng = np.random.default_rng(0)
    a = rng.dirichlet(np.ones(96) * 0.5)
    b = rng.dirichlet(np.ones(96) * 0.5)
    train = np.vstack([rng.multinomial(200, a, 30), rng.multinomial(200, b, 30)])
    y = np.repeat([0, 1], 30)
    kernel = DirichletMultinomialKernel().fit(train, y, 3)
    assert kernel.smoothing is not None  # chosen by leave-one-out likelihood
    few, many = rng.multinomial(10, a), rng.multinomial(150, a)
    ll = kernel.loglik(np.vstack([few, many]))
    assert np.isnan(ll[:, 2]).all()  # no tumor of the third class
    gap = ll[:, 0] - ll[:, 1]
    assert 0 < gap[0] < gap[1]  # more mutations, more evidence, right direction
    # counts above the references' median are scaled down to it: a 100× larger catalogue
    # is no more certain than one at the cap
    huge = kernel.loglik((many * 100)[None, :])[0]
    capped = kernel.loglik((many * kernel.cap / many.sum())[None, :])[0]
    assert np.allclose(huge, capped, equal_nan=True)


def test_bernoulli_and_categorical_models_follow_the_frequencies():
    x = np.array([[1, 0], [1, 0], [1, 1], [0, 0], [0, 1], [0, 1]], dtype=float)
    y = np.array([0, 0, 0, 1, 1, 1])
    model = BernoulliModel(prior=2.0).fit(x, y, 2)
    ll = model.loglik(np.array([[1, 0], [0, 1], [np.nan, np.nan]]))
    assert ll[0, 0] > ll[0, 1] and ll[1, 1] > ll[1, 0]
    assert np.allclose(ll[2], 0.0)  # unknown features say nothing
    calls = np.array([[0, 2], [0, 2], [1, 2], [1, 0], [1, 0], [-1, 0]])
    cat = CategoricalModel(n_levels=3, prior=2.0).fit(calls, y, 2)
    out = cat.loglik(np.array([[0, 2], [1, 0], [-1, -1]]))
    assert out[0, 0] > out[0, 1] and out[1, 1] > out[1, 0]
    assert np.allclose(out[2], 0.0)


def _toy(n: int = 60, seed: int = 1) -> LabelledSet:
    """Two informative families for three classes; the second lacks class C."""
    rng = np.random.default_rng(seed)
    labels = pd.Series(np.repeat(["A", "B", "C"], n), index=[f"t{i}" for i in range(3 * n)])
    p = {"A": [0.6, 0.2, 0.2], "B": [0.2, 0.6, 0.2], "C": [0.2, 0.2, 0.6]}
    counts = np.vstack([rng.multinomial(30, p[c]) for c in labels])
    genes = {"A": [0.8, 0.1], "B": [0.2, 0.7], "C": [0.5, 0.5]}
    g = np.vstack([rng.random(2) < genes[c] for c in labels]).astype(float)
    feats = {
        "SBS96 spectrum": pd.DataFrame(counts, index=labels.index),
        "driver genes": pd.DataFrame(g, index=labels.index)[labels.to_numpy() != "C"],
    }
    return LabelledSet(feats, labels, ["A", "B", "C"])


def test_cross_validation_is_calibrated_on_a_separable_toy_problem():
    data = _toy()
    cv = cross_validate(data, folds=3, seed=2)
    truth = data.labels.map({"A": 0, "B": 1, "C": 2}).to_numpy()
    probs = cv.probabilities()
    metrics = calibration_metrics(probs, truth, n_boot=50)
    assert metrics["accuracy"] > 0.7
    assert metrics["ece"] < 0.12
    assert metrics["ece_ci_low"] <= metrics["ece"] <= metrics["ece_ci_high"]
    assert np.isnan(cv.family_probabilities("driver genes")[truth == 2, 2]).all()
    clf = fit_classifier(data, folds=3, seed=2)
    assert set(clf.weights) == {"SBS96 spectrum", "driver genes"}
    assert all(0 <= w <= 5 for w in clf.weights.values())


def test_calibration_metrics_by_hand():
    probs = np.array([[0.9, 0.1, 0.0], [0.6, 0.4, 0.0], [0.2, 0.8, 0.0], [0.5, 0.5, np.nan]])
    truth = np.array([0, 1, 1, 0])
    m = calibration_metrics(probs, truth, n_boot=10)
    assert m["n"] == 4 and m["accuracy"] == pytest.approx(0.75)  # ties go to the first
    brier = ((0.1**2 + 0.1**2) + (0.6**2 + 0.6**2) + (0.2**2 + 0.2**2) + (0.5**2 * 2)) / 4
    assert m["brier"] == pytest.approx(brier)
    # bins: 0.9 (right), 0.6 (wrong), 0.8 (right), 0.5 (right)
    ece = (abs(0.9 - 1) + abs(0.6 - 0) + abs(0.8 - 1) + abs(0.5 - 1)) / 4
    assert m["ece"] == pytest.approx(ece)
    table = reliability_table(probs, truth)
    assert table["n"].sum() == 4 and len(table) == 10
    row = table[table["bin_low"] == 0.6].iloc[0]
    assert row["n"] == 1 and row["accuracy"] == 0.0
