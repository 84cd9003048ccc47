"""Calibration of the reference comparison: leave-out on real catalogues and simulated genomes.

1. Real exomes: each reference (ESCC, EAC, SCLC) is split at random; the engine's references are
   rebuilt from one part and the held-out samples are classified — per sample (SBS96 kernel
   posterior; "uncertain" below the posterior threshold) and as cohorts of 5, 10 and 30 drawn
   from the held-out samples (where that many exist): the closest reference of the SBS96 and
   signature families and the overall verdict (ESCC-like / not / inconclusive).
2. Simulated genomes: each simulated tumor takes the signature mix of a held-out reference
   sample (COSMIC v3.4 GRCh37 genome signatures, ~50× the exome mutation count, capped at
   20,000) and, where the reference has copy-number data, the arm events of a held-out ESCC
   sample or arm events drawn from the EAC frequencies; the cohort's opportunity is GRCh37
   genome, so the exome references are converted before comparison.

Run: python benchmarks/bench_compare.py [--repeats 2] [--cohorts 8] [--bootstrap 200]
Prints confusion matrices (rows: true origin, columns: call).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from scce_genomics.compare.references import (
    CohortData,
    load_reference,
    opportunity,
    resources_dir,
    subset_cohort,
)
from scce_genomics.compare.run import CompareConfig, compare_summary
from scce_genomics.compare.spectra import per_sample_spectra
from scce_genomics.cosmic import SBS96_CHANNELS, cosmic_signatures

NAMES = ("ESCC", "EAC", "SCLC")
SIZES = (5, 10, 30)
FAMILIES = ("SBS96 spectrum", "signatures", "arm CNV")


def split(
    ref: CohortData, rng: np.random.Generator, frac: float = 0.5
) -> tuple[set[str], set[str]]:
    """Random (kept, held-out) patient sets."""
    patients = np.array(sorted(ref.samples()))
    held = set(rng.choice(patients, size=round(len(patients) * frac), replace=False))
    return set(patients) - held, held


def confusion(calls: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    tab = pd.crosstab(calls["truth"], calls["call"]).reindex(index=list(NAMES), columns=cols)
    return tab.fillna(0).astype(int)


def show(title: str, calls: pd.DataFrame, cols: list[str]) -> None:
    print(f"\n{title}")
    if calls.empty:
        print("  (none)")
        return
    tab = confusion(calls, cols)
    tab["n"] = tab.sum(axis=1)
    own = [tab.loc[t, t] / tab.loc[t, "n"] if t in tab.columns and tab.loc[t, "n"] else np.nan
           for t in NAMES]  # fmt: skip
    if set(NAMES) & set(cols):
        tab["own kind"] = [f"{x:.0%}" if np.isfinite(x) else "NA" for x in own]
    print(tab.to_string())


def cohort_calls(
    truth: str, pool: CohortData, refs: list[CohortData], size: int, n_cohorts: int,
    cfg: CompareConfig, rng: np.random.Generator,
) -> list[dict[str, object]]:  # fmt: skip
    samples = sorted(pool.samples())
    if len(samples) < size:
        return []
    out = []
    for _ in range(n_cohorts):
        pick = set(rng.choice(samples, size=size, replace=False))
        cohort = subset_cohort(pool, pick, name="cohort")
        summary = compare_summary(cohort, refs, cfg, FAMILIES)
        row: dict[str, object] = {"truth": truth, "size": size}
        for fam in FAMILIES:
            part = summary[summary["family"] == fam]
            row[fam] = part["closest"].iloc[0] if len(part) else "NA"
            row[f"verdict {fam}"] = part["verdict"].iloc[0] if len(part) else "NA"
        row["verdict"] = summary.loc[summary["family"] == "overall", "verdict"].iloc[0]
        out.append(row)
    return out


def simulate_genomes(
    ref: CohortData, held: set[str], rng: np.random.Generator, sigs: pd.DataFrame
) -> CohortData:
    """Genome-like tumors from held-out samples' signature mixes and copy-number events."""
    names = sorted(held & set(ref.exposures.index)) if ref.exposures is not None else []
    counts = {}
    exposures = {}
    for s in names:
        exp = ref.exposures.loc[s]
        exp = exp[(exp > 0) & exp.index.isin(sigs.columns)]
        if exp.sum() == 0:
            continue
        mix = (sigs[exp.index].to_numpy() * (exp / exp.sum()).to_numpy()).sum(axis=1)
        n_exome = float(ref.sbs96[s].sum()) if ref.sbs96 is not None and s in ref.sbs96 else 200
        n = int(min(20000, max(500, rng.lognormal(np.log(max(n_exome, 10) * 50), 0.3))))
        counts[s] = rng.multinomial(n, mix / mix.sum())
        exposures[s] = exp * n / exp.sum()
    sim = CohortData(name="cohort", opportunity=opportunity("GRCh37_genome"))
    sim.opportunity_label = "GRCh37_genome"
    sim.sbs96 = pd.DataFrame(counts, index=list(SBS96_CHANNELS)).astype(float)
    sim.exposures = pd.DataFrame(exposures).T.fillna(0.0)
    if ref.arm_calls is not None:
        sim.arm_calls = ref.arm_calls[ref.arm_calls["sample"].isin(sim.sbs96.columns)]
    elif ref.arm_freq is not None:
        freq = ref.arm_freq.set_index("arm")
        rows = []
        for s in sim.sbs96.columns:
            u = rng.random(len(freq))
            pg = (freq["n_gain"] / freq["n"]).to_numpy()
            pl = (freq["n_loss"] / freq["n"]).to_numpy()
            call = np.where(u < pg, "gain", np.where(u < pg + pl, "loss", "neutral"))
            log2 = np.select([call == "gain", call == "loss"], [0.4, -0.4], 0.0)
            rows.append(pd.DataFrame({"sample": s, "arm": freq.index, "log2": log2, "call": call}))
        sim.arm_calls = pd.concat(rows, ignore_index=True)
    return sim


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=2, help="random 50%% splits per reference")
    ap.add_argument("--cohorts", type=int, default=8, help="cohorts per truth × size × repeat")
    ap.add_argument("--bootstrap", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    t0 = time.time()
    full = {n: load_reference(resources_dir() / "references" / n) for n in NAMES}
    sigs = cosmic_signatures("SBS", "3.4", "GRCh37").loc[list(SBS96_CHANNELS)]
    cfg = CompareConfig(bootstrap=args.bootstrap, seed=args.seed)
    rng = np.random.default_rng(args.seed)
    per_sample, cohorts, sim_samples, sim_cohorts = [], [], [], []
    for rep in range(args.repeats):
        splits = {n: split(full[n], rng) for n in NAMES}
        refs = [subset_cohort(full[n], splits[n][0]) for n in NAMES]
        for n in NAMES:
            held = subset_cohort(full[n], splits[n][1], name="cohort")
            table = per_sample_spectra(held, refs, n_boot=50, seed=args.seed + rep)
            table = table[table["sample"] != "(cohort)"]
            per_sample += [{"truth": n, "call": c} for c in table["call"]]
            for size in SIZES:
                cohorts += cohort_calls(n, held, refs, size, args.cohorts, cfg, rng)
            sim = simulate_genomes(full[n], splits[n][1], rng, sigs)
            table = per_sample_spectra(sim, refs, n_boot=50, seed=args.seed + rep)
            table = table[table["sample"] != "(cohort)"]
            sim_samples += [{"truth": n, "call": c} for c in table["call"]]
            for size in SIZES:
                sim_cohorts += cohort_calls(n, sim, refs, size, args.cohorts, cfg, rng)
    print(
        f"bench_compare: {args.repeats} random 50% splits, {args.cohorts} cohorts per cell, "
        f"bootstrap {args.bootstrap}; references rebuilt from the kept half each time"
    )
    calls = [*NAMES, "uncertain"]
    verdicts = ["ESCC-like", "not ESCC-like", "inconclusive"]
    for label, samples, coh in (
        ("REAL EXOMES (held-out TCGA/PCAWG7 catalogues)", per_sample, cohorts),
        ("SIMULATED GENOMES (held-out signature mixes and CN events)", sim_samples, sim_cohorts),
    ):
        print(f"\n=== {label} ===")
        show("per sample: SBS96 kernel posterior call (uncertain if max posterior < 0.9)",
             pd.DataFrame(samples), calls)  # fmt: skip
        frame = pd.DataFrame(coh)
        for size in SIZES:
            part = frame[frame["size"] == size] if len(frame) else frame
            for fam in FAMILIES:
                sub = part.rename(columns={fam: "call"}) if len(part) else part
                show(f"cohorts of {size}: closest reference, {fam}", sub, [*NAMES, "NA"])
            for fam in FAMILIES:
                sub = part.rename(columns={f"verdict {fam}": "call"}) if len(part) else part
                show(f"cohorts of {size}: verdict from {fam} alone", sub, [*verdicts, "NA"])
            sub = part.rename(columns={"verdict": "call"}) if len(part) else part
            show(f"cohorts of {size}: overall verdict ({', '.join(FAMILIES)})", sub, verdicts)
    print(f"\nruntime {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
