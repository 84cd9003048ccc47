"""Signature fitting: speed (1,000 samples × 100 bootstraps), agreement with SigProfilerAssignment,
and recovery of a known mix at 50-500 mutations.

Run: python benchmarks/bench_signatures.py [--samples 1000] [--spa-samples 200] [--no-spa]
Prints tables; nothing is downloaded (COSMIC comes from the installed SigProfilerAssignment).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.signatures.fit import (
    DEFAULT_CANDIDATES,
    FitSettings,
    cosine,
    fit_samples,
    load_signatures,
    resolve_candidates,
)

#: ESCC-like and SCLC-like mixes (fractions) used to simulate catalogues.
MIXES = {
    "escc": {"SBS1": 0.15, "SBS5": 0.25, "SBS2": 0.2, "SBS13": 0.2, "SBS16": 0.2},
    "sclc": {"SBS1": 0.1, "SBS5": 0.2, "SBS4": 0.6, "SBS13": 0.1},
    "mmr": {"SBS1": 0.3, "SBS5": 0.2, "SBS15": 0.3, "SBS44": 0.2},
}


def simulate(
    cosmic: pd.DataFrame, n: np.ndarray, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Catalogues from random Dirichlet mixes over the candidate set, and their true fractions."""
    names = resolve_candidates(cosmic, DEFAULT_CANDIDATES)
    w = cosmic[names].to_numpy()
    truth = np.zeros((len(n), len(names)))
    for i in range(len(n)):
        k = rng.integers(2, 6)
        chosen = rng.choice(len(names), k, replace=False)
        truth[i, chosen] = rng.dirichlet(np.ones(k))
    p = truth @ w.T
    counts = np.stack([rng.multinomial(int(k), pi / pi.sum()) for k, pi in zip(n, p, strict=True)])
    cols = [f"S{i:04d}" for i in range(len(n))]
    return (
        pd.DataFrame(counts.T, index=cosmic.index, columns=cols),
        pd.DataFrame(truth.T, index=names, columns=cols),
    )


def bench_speed(cosmic: pd.DataFrame, n_samples: int, bootstrap: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    catalog, _ = simulate(cosmic, rng.integers(50, 5000, n_samples), rng)
    rows = []
    for b in (0, bootstrap):
        start = time.perf_counter()
        fit_samples(catalog, cosmic, settings=FitSettings(bootstrap=b))
        rows.append({"samples": n_samples, "bootstraps": b, "seconds": time.perf_counter() - start})
    return pd.DataFrame(rows)


def bench_recovery(cosmic: pd.DataFrame, reps: int = 100) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for mix_name, mix in MIXES.items():
        p = sum(w * cosmic[s].to_numpy() for s, w in mix.items())
        truth = pd.Series(mix)
        for n in (50, 100, 200, 500):
            catalog = pd.DataFrame(rng.multinomial(n, p / p.sum(), size=reps).T, index=cosmic.index)
            for label, settings in (
                ("default (0.01/0.005)", FitSettings(bootstrap=0)),
                (
                    "SPA-like (l2, 0.05/0.01)",
                    FitSettings(0.05, 0.01, 0.05, bootstrap=0, metric="l2"),
                ),
            ):
                res = fit_samples(catalog, cosmic, settings=settings)
                frac = (res.exposures / res.exposures.sum()).fillna(0)
                t = truth.reindex(frac.index).fillna(0).to_numpy()
                cos = cosine(frac.T.to_numpy(), t)
                rows.append(
                    {
                        "mix": mix_name,
                        "mutations": n,
                        "settings": label,
                        "mean_cosine": cos.mean(),
                        "p10_cosine": np.percentile(cos, 10),
                    }
                )
    return pd.DataFrame(rows)


def bench_spa(cosmic: pd.DataFrame, n_samples: int) -> pd.DataFrame | None:
    if importlib.util.find_spec("SigProfilerAssignment") is None:
        print("SigProfilerAssignment not installed: comparison skipped")
        return None
    from SigProfilerAssignment import Analyzer

    rng = np.random.default_rng(3)
    catalog, _ = simulate(cosmic, rng.integers(200, 3000, n_samples), rng)
    names = resolve_candidates(cosmic, DEFAULT_CANDIDATES)
    # SigProfilerAssignment's default penalties on its relative-L2 selection metric.
    settings = FitSettings(0.05, 0.01, 0.05, bootstrap=0, metric="l2")
    with tempfile.TemporaryDirectory() as tmp:
        matrix = Path(tmp) / "m.txt"
        catalog.rename_axis("MutationType").reset_index().to_csv(matrix, sep="\t", index=False)
        sig_file = Path(tmp) / "sigs.txt"
        cosmic[names].rename_axis("Type").reset_index().to_csv(sig_file, sep="\t", index=False)
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            Analyzer.cosmic_fit(
                str(matrix),
                str(Path(tmp) / "spa"),
                input_type="matrix",
                context_type="96",
                signature_database=str(sig_file),
                genome_build="GRCh38",
                cosmic_version=3.4,
                exclude_signature_subgroups=None,
                make_plots=False,
                add_background_signatures=True,
                collapse_to_SBS96=True,
                export_probabilities=False,
                verbose=False,
                cpu=2,
                nnls_add_penalty=0.05,
                nnls_remove_penalty=0.01,
                initial_remove_penalty=0.05,
            )
        spa_seconds = time.perf_counter() - start
        act = next((Path(tmp) / "spa").rglob("*Activities.txt"))
        spa = pd.read_csv(act, sep="\t", index_col=0).T
    start = time.perf_counter()
    ours = fit_samples(catalog, cosmic, candidates=names, settings=settings)
    our_seconds = time.perf_counter() - start
    spa = spa.reindex(index=ours.exposures.index, columns=ours.exposures.columns).fillna(0)
    cos = cosine(ours.exposures.T.to_numpy(), spa.T.to_numpy())
    return pd.DataFrame(
        [
            {
                "samples": n_samples,
                "spa_seconds": spa_seconds,
                "ours_seconds": our_seconds,
                "speed_ratio": spa_seconds / our_seconds,
                "median_exposure_cosine": float(np.median(cos)),
                "fraction_cosine_ge_0.99": float((cos >= 0.99).mean()),
                "min_cosine": float(cos.min()),
            }
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--bootstrap", type=int, default=100)
    parser.add_argument("--spa-samples", type=int, default=200)
    parser.add_argument("--no-spa", action="store_true")
    args = parser.parse_args()
    cosmic = load_signatures("SBS", "3.4", "GRCh38")
    pd.set_option("display.width", 140)
    print("== Fitting speed (17 candidates, stepwise selection + batched bootstrap) ==")
    print(bench_speed(cosmic, args.samples, args.bootstrap).to_string(index=False))
    print("\n== Recovered-mix cosine (fractions vs truth, 100 catalogues per row) ==")
    print(bench_recovery(cosmic).to_string(index=False, float_format="%.3f"))
    if not args.no_spa:
        print(
            "\n== Agreement with SigProfilerAssignment cosmic_fit (same candidates, penalties) =="
        )
        table = bench_spa(cosmic, args.spa_samples)
        if table is not None:
            print(table.to_string(index=False, float_format="%.3f"))


if __name__ == "__main__":
    main()
