"""Fisher, odds-ratio CIs and BH against scipy/statsmodels and R's documented values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.multitest import multipletests

from scce_genomics.compare.stats import (
    bh_adjust,
    cosine,
    fisher_2x2,
    fisher_table,
    pearson,
    percentile_ci,
    woolf_or_ci,
)


def test_fisher_matches_r_tea_tasting_example():
    # R: fisher.test(matrix(c(3, 1, 1, 3), 2)) -> p 0.4857, OR 6.408309, CI 0.2117329 621.9337
    # (R's uniroot stops early on the open upper end; scipy's root is 626.2, within 1%)
    res = fisher_2x2(3, 1, 1, 3)
    assert res["p"] == pytest.approx(0.4857, abs=1e-4)
    assert res["or"] == pytest.approx(6.408309, rel=1e-5)
    assert res["ci_low"] == pytest.approx(0.2117329, rel=1e-4)
    assert res["ci_high"] == pytest.approx(621.9337, rel=1e-2)


@pytest.mark.parametrize("table", [(10, 5, 3, 20), (0, 12, 7, 9), (1, 1, 40, 2), (8, 0, 0, 8)])
def test_fisher_p_matches_scipy(table):
    a, b, c, d = table
    res = fisher_2x2(a, b, c, d)
    assert res["p"] == pytest.approx(stats.fisher_exact([[a, b], [c, d]]).pvalue, rel=1e-12)
    assert res["ci_low"] <= res["or"] <= res["ci_high"]


def test_fisher_empty_margin_is_nan():
    assert np.isnan(fisher_2x2(0, 0, 3, 4)["p"])


@pytest.mark.parametrize("table", [(10, 5, 3, 20), (4, 9, 12, 3)])
def test_woolf_ci_matches_statsmodels(table):
    a, b, c, d = table
    est, lo, hi = woolf_or_ci(a, b, c, d)
    ref = Table2x2(np.array([[a, b], [c, d]]))
    assert est == pytest.approx(ref.oddsratio)
    assert (lo, hi) == pytest.approx(ref.oddsratio_confint(alpha=0.05))


def test_woolf_haldane_with_zero_cell():
    est, lo, hi = woolf_or_ci(0, 10, 5, 5)
    # Haldane–Anscombe: 0.5 added to every cell (statsmodels' shift_zeros shifts zero cells only)
    ref = Table2x2(np.array([[0, 10], [5, 5]]) + 0.5)
    assert est == pytest.approx(ref.oddsratio)
    assert (lo, hi) == pytest.approx(ref.oddsratio_confint(alpha=0.05))


def test_bh_matches_statsmodels_and_keeps_nan():
    rng = np.random.default_rng(5)
    p = rng.uniform(size=40) ** 3
    assert np.allclose(bh_adjust(p), multipletests(p, method="fdr_bh")[1])
    with_nan = np.concatenate([p[:5], [np.nan], p[5:10]])
    got = bh_adjust(with_nan)
    assert np.isnan(got[5])
    assert np.allclose(
        np.delete(got, 5), multipletests(with_nan[~np.isnan(with_nan)], method="fdr_bh")[1]
    )
    assert np.isnan(bh_adjust([np.nan])).all()


def test_fisher_table_applies_bh_per_reference():
    counts = pd.DataFrame({
        "reference": ["A", "A", "A", "B"],
        "cohort_alt": [9, 1, 5, 9], "cohort_n": [10, 10, 10, 10],
        "ref_alt": [10, 50, 48, 1], "ref_n": [100, 100, 100, 100],
    })  # fmt: skip
    out = fisher_table(counts)
    a = out[out["reference"] == "A"]
    assert np.allclose(a["fdr"], multipletests(a["p_value"], method="fdr_bh")[1])
    assert out.loc[3, "fdr"] == pytest.approx(out.loc[3, "p_value"])
    assert {"test", "effect_size", "correction", "or_ci_low", "or_ci_high"} <= set(out.columns)
    assert out.loc[0, "freq_diff"] == pytest.approx(0.9 - 0.1)


def test_similarities_and_bias_corrected_interval():
    assert cosine(np.array([1, 0]), np.array([2, 0])) == pytest.approx(1.0)
    assert np.isnan(cosine(np.zeros(3), np.ones(3)))
    assert np.isnan(pearson(np.ones(5), np.arange(5)))
    assert pearson(np.arange(5), 2 * np.arange(5)) == pytest.approx(1.0)
    boot = np.random.default_rng(1).normal(0.5, 0.1, size=2000)
    lo, hi = percentile_ci(boot)
    assert lo == pytest.approx(0.5 - 1.96 * 0.1, abs=0.02) and hi == pytest.approx(0.7, abs=0.02)
    # an estimate in the upper tail: the re-centred interval keeps the spread around it
    lo_c, hi_c = percentile_ci(boot, observed=0.75)
    assert lo_c < 0.75 < hi_c
    assert hi_c - lo_c == pytest.approx(hi - lo)
    assert percentile_ci(boot, observed=0.95)[1] == 1.0
