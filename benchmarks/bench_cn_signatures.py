"""Copy-number signature fit: recovery of known COSMIC CN signature mixes from CN48 counts.

Usage: python benchmarks/bench_cn_signatures.py [--repeats 50] [--seed 1]
For each number of classified segments (50, 100, 200, 400), draws CN48 counts from random mixes
of 2-3 COSMIC v3.4 CN signatures (read from the installed SigProfilerAssignment), fits them
with the copy-number stage's fitter, and prints the cosine between true and fitted exposure
fractions (median, 5th percentile, share ≥ 0.9) and how often the 95% CI covers the truth.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from scce_genomics.cnv.cn48 import CN48_CHANNELS, CN48_INDEX
from scce_genomics.cnv.cn_signatures import fit_cn_signatures
from scce_genomics.signatures.fit import load_signatures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sigs = load_signatures("CN", "3.4", "GRCh37").loc[list(CN48_CHANNELS)]
    names = list(sigs.columns)
    rng = np.random.default_rng(args.seed)
    rows = []
    for n_segments in (50, 100, 200, 400):
        truths, counts = {}, {}
        for r in range(args.repeats):
            chosen = rng.choice(names, size=int(rng.integers(2, 4)), replace=False)
            weights = rng.dirichlet(np.ones(len(chosen)))
            p = sigs[chosen].to_numpy() @ weights
            counts[f"s{r}"] = rng.multinomial(n_segments, p / p.sum())
            truths[f"s{r}"] = pd.Series(weights, index=chosen)
        catalog = pd.DataFrame(counts, index=pd.Index(CN48_CHANNELS, name=CN48_INDEX))
        start = time.perf_counter()
        fit = fit_cn_signatures(catalog, bootstrap=100, seed=args.seed, signatures=sigs)
        seconds = time.perf_counter() - start
        cosines, covered, total = [], 0, 0
        for sample, truth in truths.items():
            got = fit[fit["sample"] == sample].set_index("signature")
            keys = sorted(set(got.index) | set(truth.index))
            a = got["fraction"].reindex(keys, fill_value=0).to_numpy(float)
            b = truth.reindex(keys, fill_value=0).to_numpy(float)
            cosines.append(float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)))
            scale = got["exposure"].sum()
            for sig, w in truth.items():
                total += 1
                if sig in got.index:
                    lo, hi = got.loc[sig, ["ci_low", "ci_high"]] / scale
                    covered += int(lo <= w <= hi)
        c = np.array(cosines)
        rows.append(
            {
                "segments": n_segments,
                "samples": args.repeats,
                "median_cosine": round(float(np.median(c)), 3),
                "p5_cosine": round(float(np.percentile(c, 5)), 3),
                "share_cosine_ge_0.9": round(float((c >= 0.9).mean()), 2),
                "ci95_covers_truth": round(covered / total, 2),
                "fit_seconds": round(seconds, 2),
            }
        )
    print(pd.DataFrame(rows).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
