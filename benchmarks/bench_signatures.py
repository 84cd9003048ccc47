"""Signature fitting: recovery of known mixes at 40-3,000 mutations, against SigProfilerAssignment.

Known mixes: every reference tumor's own SigProfiler attribution (95 ESCC, 66 EAC, 35 SCLC; see
resources/references; COSMIC v3.0 names mapped to v3.4: SBS40 -> SBS40a, SBS22 -> SBS22a) and
one fixed ESCC-like mix rich in flat signatures (SBS1 0.15, SBS5 0.25, SBS2 0.2, SBS13 0.2,
SBS16 0.2). Catalogues are drawn multinomially from COSMIC v3.4 GRCh37 exome signatures; each
reference's tumors form one cohort per mutation count. Fitted with the project's three methods
(``nnls``, ``mle``, ``cohort-prior``: the default) on its default candidates, and with
SigProfilerAssignment ``cosmic_fit`` (installed; offline from a matrix) with every COSMIC v3.4
signature, ``genome_build="GRCh37"``, ``exome=True`` and its default penalties written out.
Score: cosine between fitted and true signature fractions per tumor (median per cell), also
after summing into aetiology groups with SBS3/SBS5/SBS16/SBS40a counted as one flat group
(flat signatures trade places at low counts; stated separately, never instead).

Run: python benchmarks/bench_signatures.py [--counts 40,150,600,3000] [--no-spa]
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

from scce_genomics.compare.references import load_reference, resources_dir
from scce_genomics.compare.signature_groups import signature_group
from scce_genomics.signatures.fit import (
    DEFAULT_CANDIDATES,
    FitSettings,
    cosine,
    fit_samples,
    load_signatures,
    resolve_candidates,
)

RENAME = {"SBS40": "SBS40a", "SBS22": "SBS22a"}
FLAT = {"SBS3", "SBS5", "SBS16", "SBS40a"}
SYNTHETIC = {"SBS1": 0.15, "SBS5": 0.25, "SBS2": 0.2, "SBS13": 0.2, "SBS16": 0.2}
METHODS = ("nnls", "mle", "cohort-prior")


def known_mixes(sigs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per reference: tumors × signatures true fractions (and the synthetic mix × 60)."""
    out = {}
    for name in ("ESCC", "EAC", "SCLC"):
        exp = load_reference(resources_dir() / "references" / name).exposures
        exp = exp.rename(columns=RENAME)
        exp = exp.loc[:, exp.sum() > 0]
        assert set(exp.columns) <= set(sigs.columns), set(exp.columns) - set(sigs.columns)
        out[name] = exp.div(exp.sum(axis=1), axis=0)
    out["flat-rich ESCC-like (fixed)"] = pd.DataFrame(
        [SYNTHETIC] * 60, index=[f"s{i}" for i in range(60)]
    )
    return out


def simulate(
    sigs: pd.DataFrame, truth: pd.DataFrame, n: int, rng: np.random.Generator
) -> pd.DataFrame:
    p = truth.to_numpy() @ sigs[truth.columns].to_numpy().T
    counts = np.stack([rng.multinomial(n, row / row.sum()) for row in p])
    return pd.DataFrame(counts.T, index=sigs.index, columns=truth.index)


def scores(fitted: pd.DataFrame, truth: pd.DataFrame) -> tuple[float, float]:
    """Median cosine of fractions (tumors × signatures) vs truth: signatures and groups."""
    cols = sorted(set(fitted.columns) | set(truth.columns))
    f = fitted.reindex(columns=cols, fill_value=0.0).fillna(0.0)
    f = f.div(f.sum(axis=1).replace(0, np.nan), axis=0).fillna(0.0)
    t = truth.reindex(index=f.index, columns=cols, fill_value=0.0)
    by_sig = cosine(f.to_numpy(), t.to_numpy())
    groups = ["flat" if c in FLAT else signature_group(c) for c in cols]
    fg = f.T.groupby(groups).sum().T
    tg = t.T.groupby(groups).sum().T
    by_group = cosine(fg.to_numpy(), tg.to_numpy())
    return float(np.median(by_sig)), float(np.median(by_group))


def run_spa(catalog: pd.DataFrame, tmp: Path) -> tuple[pd.DataFrame, float]:
    from SigProfilerAssignment import Analyzer

    matrix = tmp / "matrix.txt"
    catalog.rename_axis("MutationType").reset_index().to_csv(matrix, sep="\t", index=False)
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        Analyzer.cosmic_fit(
            str(matrix),
            str(tmp / "spa"),
            input_type="matrix",
            context_type="96",
            genome_build="GRCh37",
            cosmic_version=3.4,
            exome=True,
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
    seconds = time.perf_counter() - start
    act = next((tmp / "spa").rglob("*Activities.txt"))
    return pd.read_csv(act, sep="\t", index_col=0), seconds


def recovery(counts: list[int], with_spa: bool) -> pd.DataFrame:
    sigs = load_signatures("SBS", "3.4", "GRCh37", exome=True)
    names = resolve_candidates(sigs, DEFAULT_CANDIDATES)
    rng = np.random.default_rng(7)
    rows = []
    for mix, truth in known_mixes(sigs).items():
        for n in counts:
            catalog = simulate(sigs, truth, n, rng)
            row: dict[str, object] = {"mix": mix, "tumors": len(truth), "mutations": n}
            for method in METHODS:
                res = fit_samples(catalog, sigs, names, FitSettings(bootstrap=0, method=method))
                sig_cos, group_cos = scores(res.exposures.T, truth)
                row[method] = sig_cos
                row[f"{method} (groups)"] = group_cos
                if method == "cohort-prior":
                    row["prior strength"] = res.prior_strength
            if with_spa:
                with tempfile.TemporaryDirectory() as tmp:
                    spa, _ = run_spa(catalog, Path(tmp))
                sig_cos, group_cos = scores(spa.reindex(catalog.columns), truth)
                row["SPA"] = sig_cos
                row["SPA (groups)"] = group_cos
            rows.append(row)
            print(f"  {mix} at {n} mutations done", flush=True)
    return pd.DataFrame(rows)


def speed(n_samples: int, bootstrap: int) -> pd.DataFrame:
    sigs = load_signatures("SBS", "3.4", "GRCh38")
    names = resolve_candidates(sigs, DEFAULT_CANDIDATES)
    rng = np.random.default_rng(1)
    truth = pd.DataFrame(
        rng.dirichlet(np.ones(len(names)) * 0.3, n_samples),
        columns=names,
        index=[f"S{i:04d}" for i in range(n_samples)],
    )
    catalog = pd.concat(
        [simulate(sigs, truth.iloc[[i]], int(n), rng) for i, n in
         enumerate(rng.integers(50, 5000, n_samples))], axis=1,
    )  # fmt: skip
    rows = []
    for method in ("nnls", "cohort-prior"):
        start = time.perf_counter()
        fit_samples(catalog, sigs, names, FitSettings(bootstrap=bootstrap, method=method))
        rows.append(
            {
                "method": method,
                "samples": n_samples,
                "bootstraps": bootstrap,
                "seconds": time.perf_counter() - start,
            }
        )
    table = pd.DataFrame(rows)
    table["ratio to nnls"] = table["seconds"] / table["seconds"].iloc[0]
    return table


def spa_speed(n_samples: int) -> pd.DataFrame | None:
    sigs = load_signatures("SBS", "3.4", "GRCh37", exome=True)
    names = resolve_candidates(sigs, DEFAULT_CANDIDATES)
    truth = known_mixes(sigs)["ESCC"]
    rng = np.random.default_rng(3)
    idx = rng.choice(len(truth), n_samples)
    mix = truth.iloc[idx].reset_index(drop=True)
    mix.index = [f"S{i:04d}" for i in range(n_samples)]
    catalog = simulate(sigs, mix, 300, rng)
    with tempfile.TemporaryDirectory() as tmp:
        _, spa_seconds = run_spa(catalog, Path(tmp))
    start = time.perf_counter()
    fit_samples(catalog, sigs, names, FitSettings(bootstrap=0))
    ours = time.perf_counter() - start
    return pd.DataFrame(
        [{"samples": n_samples, "SPA seconds": spa_seconds, "ours (cohort-prior) seconds": ours,
          "SPA / ours": spa_seconds / ours}]
    )  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counts", default="40,150,600,3000", help="mutations per tumor")
    ap.add_argument("--samples", type=int, default=1000, help="tumors for the speed test")
    ap.add_argument("--bootstrap", type=int, default=100)
    ap.add_argument("--no-spa", action="store_true", help="skip SigProfilerAssignment")
    args = ap.parse_args()
    with_spa = not args.no_spa and importlib.util.find_spec("SigProfilerAssignment") is not None
    pd.set_option("display.width", 200)
    print("== Median cosine of fitted vs true signature fractions (goal: >= 0.95 at 150) ==")
    table = recovery([int(c) for c in args.counts.split(",")], with_spa)
    cols = ["mix", "tumors", "mutations", *METHODS, *(["SPA"] if with_spa else []),
            "prior strength"]  # fmt: skip
    print(table[cols].to_string(index=False, float_format="%.3f"))
    print("\n== Same, with SBS3/SBS5/SBS16/SBS40a as one flat group and aetiology groups ==")
    gcols = ["mix", "mutations", *(f"{m} (groups)" for m in METHODS)]
    gcols += ["SPA (groups)"] if with_spa else []
    print(table[gcols].to_string(index=False, float_format="%.3f"))
    print(f"\n== Speed: {args.samples} tumors, 50-5,000 mutations, {args.bootstrap} bootstraps ==")
    print(speed(args.samples, args.bootstrap).to_string(index=False, float_format="%.2f"))
    if with_spa:
        print("\n== Speed against SigProfilerAssignment (200 tumors, 300 mutations, no CIs) ==")
        print(spa_speed(200).to_string(index=False, float_format="%.2f"))


if __name__ == "__main__":
    main()
