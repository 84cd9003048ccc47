"""Signature fitting: selection recovers a known mix, bootstrap CIs cover it, flags, plots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import nnls

from scce_genomics.cli import main
from scce_genomics.errors import InputError
from scce_genomics.signatures.fit import (
    FitSettings,
    _batched_refit,
    cosine,
    fit_cohort,
    fit_samples,
    load_signatures,
    resolve_candidates,
)
from scce_genomics.spectra.plots import SBS6_COLOURS, plot_exposures, plot_sbs96

MIX = {"SBS1": 0.15, "SBS2": 0.2, "SBS13": 0.2, "SBS4": 0.45}


@pytest.fixture(scope="module")
def cosmic() -> pd.DataFrame:
    return load_signatures("SBS", "3.4", "GRCh38")


def simulate(cosmic: pd.DataFrame, n: list[int], seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = sum(w * cosmic[s].to_numpy() for s, w in MIX.items())
    counts = np.stack([rng.multinomial(k, p / p.sum()) for k in n]).T
    return pd.DataFrame(counts, index=cosmic.index, columns=[f"s{i}" for i in range(len(n))])


def test_recovers_known_mix_and_flags(cosmic: pd.DataFrame) -> None:
    catalog = simulate(cosmic, [3000, 3000, 30, 0])
    result = fit_samples(catalog, cosmic, settings=FitSettings(bootstrap=20))
    summary = result.summary.set_index("sample")
    truth = pd.Series(MIX).reindex(result.exposures.index).fillna(0).to_numpy()
    for s in ("s0", "s1"):
        frac = result.exposures[s] / result.exposures[s].sum()
        assert cosine(frac.to_numpy(), truth) > 0.97
        assert set(MIX) <= set(summary.loc[s, "signatures"].split(","))
        assert summary.loc[s, "cosine"] > 0.95 and summary.loc[s, "flag"] == "ok"
        assert result.exposures[s].sum() == pytest.approx(3000, rel=0.1)
    assert summary.loc["s2", "flag"] == "low_mutation_count"
    assert summary.loc["s3", "flag"] == "no_mutations"
    assert result.exposures["s3"].sum() == 0
    long = result.long()
    assert list(long.columns) == [
        "sample",
        "signature",
        "exposure",
        "fraction",
        "ci_low",
        "ci_high",
        "n_mutations",
        "cosine",
        "flag",
    ]
    assert (long["ci_low"] <= long["exposure"] + 1e-6).all()
    assert (long["ci_high"] + 1e-6 >= long["ci_low"]).all()
    fractions = long.groupby("sample")["fraction"].sum()
    assert fractions["s0"] == pytest.approx(1.0, abs=1e-4) and fractions["s3"] == 0


def test_bootstrap_cis_cover_truth(cosmic: pd.DataFrame) -> None:
    n = 1500
    catalog = simulate(cosmic, [n] * 12, seed=4)
    result = fit_samples(
        catalog, cosmic, candidates=[*MIX, "SBS5"], settings=FitSettings(bootstrap=200)
    )
    hits = total = 0
    for s in catalog.columns:
        for sig, w in MIX.items():
            total += 1
            hits += result.ci_low.loc[sig, s] <= w * n <= result.ci_high.loc[sig, s]
    assert hits / total >= 0.8
    widths = (result.ci_high - result.ci_low).loc[list(MIX)]
    assert (widths.to_numpy() > 0).all()


def test_batched_refit_equals_scipy_nnls(cosmic: pd.DataFrame) -> None:
    rng = np.random.default_rng(2)
    w = cosmic[["SBS1", "SBS2", "SBS4", "SBS5", "SBS13"]].to_numpy()
    masks = np.array([[True, True, True, True, True], [True, False, True, True, False]])
    y = rng.poisson(3.0, size=(2, 15, 96)).astype(float)
    got = _batched_refit(w, masks, y)
    for s in range(2):
        for b in range(15):
            want = np.zeros(5)
            want[masks[s]] = nnls(w[:, masks[s]], y[s, b])[0]
            np.testing.assert_allclose(got[s, b], want, atol=1e-6)


def test_candidates_aliases_and_errors(cosmic: pd.DataFrame) -> None:
    assert resolve_candidates(cosmic, ["SBS40a", "SBS1"]) == ["SBS40a", "SBS1"]
    old = cosmic.rename(columns={"SBS40a": "SBS40"})
    assert resolve_candidates(old, ["SBS40a"]) == ["SBS40"]
    assert resolve_candidates(cosmic, "all") == list(cosmic.columns)
    with pytest.raises(InputError, match="SBS999"):
        resolve_candidates(cosmic, ["SBS999"])
    with pytest.raises(InputError, match="channels"):
        fit_samples(pd.DataFrame({"x": [1, 2]}, index=["a", "b"]), cosmic)


def test_cohort_fit_pools_samples(cosmic: pd.DataFrame) -> None:
    catalog = simulate(cosmic, [40, 40, 40, 40, 40], seed=9)
    pooled = fit_cohort(catalog, cosmic, settings=FitSettings(bootstrap=10))
    assert list(pooled.exposures.columns) == ["cohort"]
    assert pooled.summary.loc[0, "n_mutations"] == 200
    assert pooled.summary.loc[0, "flag"] == "ok"  # each sample alone would be flagged


def test_cli_and_plots(tmp_path: Path, cosmic: pd.DataFrame) -> None:
    catalog = simulate(cosmic, [500, 800], seed=5)
    matrix = tmp_path / "SBS96.tsv"
    catalog.rename_axis("MutationType").reset_index().to_csv(matrix, sep="\t", index=False)
    out = tmp_path / "exp.tsv"
    code = main(
        [
            "signatures",
            "--matrix",
            str(matrix),
            "--out",
            str(out),
            "--bootstrap",
            "10",
            "--cohort-out",
            str(tmp_path / "c.tsv"),
            "--summary",
            str(tmp_path / "s.tsv"),
        ]
    )
    assert code == 0
    table = pd.read_csv(out, sep="\t")
    assert set(table["sample"]) == {"s0", "s1"}
    fig = plot_sbs96(catalog)
    colours = {tuple(np.round(p.get_facecolor()[:3], 3)) for p in fig.axes[0].patches}
    assert len(fig.axes) == 3  # two samples + pooled cohort
    from matplotlib.colors import to_rgb

    assert {tuple(np.round(to_rgb(c), 3)) for c in SBS6_COLOURS.values()} <= colours
    assert fig.axes[-1].get_xlabel() and fig.axes[0].get_ylabel() == "mutations"
    fig2 = plot_exposures(table)
    assert len(fig2.axes) == 2
    png = tmp_path / "p.png"
    assert (
        main(
            [
                "plot-spectra",
                "--matrix",
                str(matrix),
                "--exposures",
                str(out),
                "--spectra-png",
                str(png),
                "--exposures-png",
                str(tmp_path / "e.png"),
            ]
        )
        == 0
    )
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_em_reaches_the_map_of_counts_and_prior(cosmic: pd.DataFrame) -> None:
    """The EM fractions maximise multinomial likelihood + Dirichlet prior (checked by scipy)."""
    from scipy.optimize import minimize

    from scce_genomics.signatures.fit import _em

    names = ["SBS1", "SBS5", "SBS13", "SBS40a"]
    w = cosmic[names].to_numpy()
    x = np.random.default_rng(2).multinomial(60, w @ np.array([0.2, 0.3, 0.3, 0.2]))[None, :]
    prior = np.array([0.25, 0.25, 0.25, 0.25])
    f = _em(w, x.astype(float), np.ones((1, 4), bool), prior, 20.0)[0]

    def neg(z: np.ndarray) -> float:
        q = np.exp(z) / np.exp(z).sum()
        return -float(x[0] @ np.log(w @ q) + 20.0 * prior @ np.log(q))

    best = minimize(
        neg,
        np.zeros(4),
        method="Nelder-Mead",
        options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 20000},
    )
    q = np.exp(best.x) / np.exp(best.x).sum()
    assert np.allclose(f, q, atol=2e-3)
    assert neg(np.log(f)) <= best.fun + 1e-6


def test_cohort_prior_stops_flat_signatures_trading_places(cosmic: pd.DataFrame) -> None:
    """A cohort sharing one flat-rich mix: the prior recovers it at 60 mutations, NNLS cannot."""
    mix = {"SBS1": 0.15, "SBS5": 0.25, "SBS2": 0.2, "SBS13": 0.2, "SBS16": 0.2}
    rng = np.random.default_rng(5)
    p = sum(f * cosmic[s].to_numpy() for s, f in mix.items())
    catalog = pd.DataFrame(rng.multinomial(60, p / p.sum(), size=40).T, index=cosmic.index)
    truth = pd.Series(mix)
    med = {}
    for method in ("nnls", "cohort-prior"):
        res = fit_samples(catalog, cosmic, settings=FitSettings(bootstrap=0, method=method))
        frac = (res.exposures / res.exposures.sum()).fillna(0)
        t = truth.reindex(frac.index).fillna(0).to_numpy()
        med[method] = float(np.median(cosine(frac.T.to_numpy(), t)))
        if method == "cohort-prior":
            assert res.prior_strength >= 50  # tumors agree: a strong prior is chosen
            assert (res.summary["method"] == "cohort-prior").all()
    assert med["cohort-prior"] > 0.97 > med["nnls"]


def test_prior_strength_stays_low_when_tumors_differ(cosmic: pd.DataFrame) -> None:
    rng = np.random.default_rng(6)
    pure = ["SBS2", "SBS4", "SBS17b", "SBS18"]
    counts = [rng.multinomial(800, cosmic[pure[i % 4]].to_numpy()) for i in range(24)]
    catalog = pd.DataFrame(np.stack(counts).T, index=cosmic.index)
    res = fit_samples(catalog, cosmic, settings=FitSettings(bootstrap=0))
    assert res.prior_strength <= 10
    frac = res.exposures / res.exposures.sum()
    for i, sample in enumerate(frac.columns):  # each tumor keeps its own dominant signature
        assert frac[sample].idxmax() == pure[i % 4]
