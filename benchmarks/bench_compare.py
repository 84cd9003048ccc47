"""Accuracy and calibration of the reference comparison, measured on real reference tumors.

1. Per tumor: nested patient-level cross-validation of the classifier on every reference
   tumor (TCGA ESCC and EAC exomes with mutations and SNP6 copy number, SCLC exomes and
   George et al. 2015 calls): accuracy, Brier score and expected calibration error with
   bootstrap 95% CIs, for all tumors, for ESCC/EAC tumors with all five families, for SCLC
   tumors with every family SCLC has, and for spectra alone (SBS96 + signatures); and the
   reliability table.
2. Cohort verdicts: each reference is split at random by patient; references are rebuilt from
   one half and cohorts of 10 are drawn from the other half (never seen by the references):
   ESCC with every family and with spectra only (like published exome catalogues), EAC with
   every family and spectra only, SCLC exomes (spectra only) and SCLC George et al. calls
   (genes only). Each cohort's exposures come from the project's fit, as in the workflow.
   Last, SCCE-like constructed cohorts: held-out ESCC spectra and copy number with the genes of
   held-out SCLC patients; the summary must say that the families disagree.

The goals are printed beside the figures. Nothing here is tuned on these folds: the
classifier's settings are fixed or chosen inside each training set.

Run: python benchmarks/bench_compare.py [--repeats 3] [--cohorts 10] [--bootstrap 200]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from scce_genomics.compare.calibration import calibration_metrics, reliability_table
from scce_genomics.compare.classifier import COMBINED
from scce_genomics.compare.classify import ReferenceCache, reference_model
from scce_genomics.compare.features import CLASSIFIER_FAMILIES, FeatureSettings
from scce_genomics.compare.references import (
    CohortData,
    load_reference,
    opportunity,
    resources_dir,
    subset_cohort,
)
from scce_genomics.compare.run import CompareConfig, compare_cohort
from scce_genomics.compare.training import SignatureFit, refit_exposures

NAMES = ("ESCC", "EAC", "SCLC")
SPECTRA = ("SBS96 spectrum", "signatures")
#: scenario -> (truth, families the cohort keeps, goal as (verdict, minimum count of 30))
SCENARIOS = {
    "ESCC, every family": ("ESCC", CLASSIFIER_FAMILIES, ("ESCC-like", 29)),
    "ESCC, spectra only": ("ESCC", SPECTRA, ("ESCC-like", 29)),
    "EAC, every family": ("EAC", CLASSIFIER_FAMILIES, ("not ESCC-like", 27)),
    "EAC, spectra only": ("EAC", SPECTRA, ("not ESCC-like", 27)),
    "SCLC, spectra only": ("SCLC", SPECTRA, ("not ESCC-like", 29)),
    "SCLC, genes only": ("SCLC", ("driver genes",), ("not ESCC-like", 29)),
}
WRONG = {"ESCC": "not ESCC-like", "EAC": "ESCC-like", "SCLC": "ESCC-like"}


def keep_families(data: CohortData, families: tuple[str, ...]) -> CohortData:
    """A copy with only the given families (others removed, as if never measured)."""
    out = CohortData(**data.__dict__)
    if "SBS96 spectrum" not in families:
        out.sbs96 = None
    if "signatures" not in families:
        out.exposures = None
    if "driver genes" not in families:
        out.mutated, out.mutation_samples = None, None
    if "arm CNV" not in families:
        out.arm_calls = None
    if "focal CNV" not in families:
        out.focal_calls = None
    return out


def patients_with(data: CohortData, families: tuple[str, ...]) -> list[str]:
    """Patients having every one of ``families``."""
    sets = []
    for fam in families:
        if fam in SPECTRA:
            sets.append(set() if data.sbs96 is None else set(data.sbs96.columns))
        elif fam == "driver genes":
            sets.append(set(data.mutation_samples or []))
        elif fam == "arm CNV":
            sets.append(set() if data.arm_calls is None else set(data.arm_calls["sample"]))
        else:
            sets.append(set() if data.focal_calls is None else set(data.focal_calls["sample"]))
    return sorted(set.intersection(*sets))


def per_tumor(full: dict[str, CohortData], fit: SignatureFit, seed: int, boot: int) -> None:
    settings = FeatureSettings(opportunity=opportunity("GRCh37_exome"))
    refs = [full[n] for n in NAMES]
    exposures = refit_exposures(refs, settings, fit)
    model = reference_model(refs, settings, exposures, CLASSIFIER_FAMILIES, 5, seed)
    cv = model.cv
    truth = cv.labels.map({c: k for k, c in enumerate(cv.classes)}).to_numpy()
    fams = cv.families_of
    is_sclc = (cv.labels == "SCLC").to_numpy()
    scopes = {
        "all reference tumors, all their families": (None, np.ones(len(truth), bool)),
        "ESCC/EAC tumors with all 5 families": (
            None,
            fams.map(lambda f: set(f) >= set(CLASSIFIER_FAMILIES)).to_numpy(),
        ),
        "SCLC tumors with SBS96 + signatures + genes": (
            None,
            is_sclc & fams.map(lambda f: set(f) >= {*SPECTRA, "driver genes"}).to_numpy(),
        ),
        "ESCC/EAC with all 5 + SCLC with all 3 it has": (
            None,
            fams.map(lambda f: set(f) >= set(CLASSIFIER_FAMILIES)).to_numpy()
            | (is_sclc & fams.map(lambda f: set(f) >= {*SPECTRA, "driver genes"}).to_numpy()),
        ),
        "spectra only (SBS96 + signatures), every tumor with them": (
            SPECTRA,
            fams.map(lambda f: set(f) >= set(SPECTRA)).to_numpy(),
        ),
    }
    rows = []
    for label, (families, mask) in scopes.items():
        probs = cv.probabilities(families)
        m = calibration_metrics(probs[mask], truth[mask], n_boot=boot, seed=seed)
        rows.append({"scope": label, **m})
    for fam in CLASSIFIER_FAMILIES:
        m = calibration_metrics(cv.family_probabilities(fam), truth, n_boot=boot, seed=seed)
        rows.append({"scope": f"{fam} alone", **m})
    table = pd.DataFrame(rows)
    table["n"] = table["n"].astype(int)
    for k in ("accuracy", "brier", "ece"):
        table[k] = [
            f"{v:.3f} ({lo:.3f}-{hi:.3f})"
            for v, lo, hi in zip(table[k], table[f"{k}_ci_low"], table[f"{k}_ci_high"], strict=True)
        ]
    print("\n== Per tumor: nested patient-level 5-fold CV on the references ==")
    print(
        "goal (ESCC/EAC with all families, SCLC where it has data): accuracy >= 0.85, ECE <= 0.05"
    )
    print(table[["scope", "n", "accuracy", "brier", "ece"]].to_string(index=False))
    print("\nfamily weights of the final classifier:", {
        f: round(w, 3) for f, w in model.classifier.weights.items()
    })  # fmt: skip
    per_class = []
    for label, families, mask in (
        ("spectra only", SPECTRA, fams.map(lambda f: set(f) >= set(SPECTRA)).to_numpy()),
        ("all their families", None, np.ones(len(truth), bool)),
    ):
        probs = cv.probabilities(families)
        for k, name in enumerate(cv.classes):
            m = mask & (truth == k)
            p = np.nan_to_num(probs[m])
            per_class.append(
                {
                    "families": label,
                    "truth": name,
                    "tumors": int(m.sum()),
                    "called own kind": f"{(p.argmax(axis=1) == k).mean():.2f}",
                    "confident (>= 0.9) and right": f"{(p[:, k] >= 0.9).mean():.2f}",
                    "confident and wrong": f"{((p.max(axis=1) >= 0.9) & (p.argmax(axis=1) != k)).mean():.2f}",  # noqa: E501
                }
            )
    print("\nper reference tumor, by origin:")
    print(pd.DataFrame(per_class).to_string(index=False))
    rel = reliability_table(cv.probabilities(), truth)
    print("\nreliability (all tumors, all their families):")
    print(rel[rel["n"] > 0].to_string(index=False, float_format="%.3f"))


def cohorts(
    full: dict[str, CohortData], fit: SignatureFit, args: argparse.Namespace
) -> pd.DataFrame:
    rng = np.random.default_rng(args.seed)
    cfg = CompareConfig(bootstrap=args.bootstrap, seed=args.seed, signature_fit=fit)
    rows = []
    for rep in range(args.repeats):
        held: dict[str, set[str]] = {}
        refs = []
        for name in NAMES:
            patients = np.array(sorted(full[name].samples()))
            out = set(rng.choice(patients, size=len(patients) // 2, replace=False))
            held[name] = out
            refs.append(subset_cohort(full[name], set(patients) - out))
        cache = ReferenceCache()
        rows += mixed(full, held, refs, cfg, cache, fit, rng, rep, args.cohorts)
        for scenario, (truth, families, _) in SCENARIOS.items():
            pool = subset_cohort(full[truth], held[truth], name="cohort")
            pool = keep_families(pool, families)
            candidates = patients_with(pool, families)
            for _ in range(args.cohorts):
                pick = set(rng.choice(candidates, size=min(10, len(candidates)), replace=False))
                cohort = subset_cohort(pool, pick, name="cohort")
                if cohort.sbs96 is not None and "signatures" in families:
                    cohort.exposures = fit.exposures(cohort.sbs96.T)
                result = compare_cohort(cohort, refs, cfg, cache)
                s = result.summary
                row = {"repeat": rep, "scenario": scenario, "truth": truth, "n": len(pick)}
                row["verdict"] = s.loc[s["family"] == "overall", "verdict"].iloc[0]
                comb = s[s["family"] == COMBINED]
                row["closest (all families)"] = comb["closest"].iloc[0] if len(comb) else "NA"
                rows.append(row)
        print(f"  repeat {rep + 1}/{args.repeats} done", flush=True)
    return pd.DataFrame(rows)


def mixed(
    full: dict[str, CohortData], held: dict[str, set[str]], refs: list[CohortData],
    cfg: CompareConfig, cache: ReferenceCache, fit: SignatureFit, rng: np.random.Generator,
    rep: int, n_cohorts: int,
) -> list[dict[str, object]]:  # fmt: skip
    """ESCC spectra and copy number with SCLC genes: families must be reported as disagreeing."""
    escc = subset_cohort(full["ESCC"], held["ESCC"], name="cohort")
    sclc = subset_cohort(full["SCLC"], held["SCLC"], name="cohort")
    donors = sorted(set(sclc.mutated["sample"]))
    rows = []
    for _ in range(n_cohorts):
        pick = sorted(rng.choice(patients_with(escc, CLASSIFIER_FAMILIES), 10, replace=False))
        cohort = subset_cohort(escc, set(pick), name="cohort")
        swap = dict(zip(rng.choice(donors, 10, replace=False), pick, strict=True))
        genes = sclc.mutated[sclc.mutated["sample"].isin(swap)].copy()
        genes["sample"] = genes["sample"].map(swap)
        cohort.mutated = genes
        cohort.exposures = fit.exposures(cohort.sbs96.T)
        s = compare_cohort(cohort, refs, cfg, cache).summary
        overall = s[s["family"] == "overall"].iloc[0]
        genes_row = s[s["family"] == "driver genes"].iloc[0]
        rows.append(
            {
                "repeat": rep, "scenario": "SCCE-like: ESCC spectra/CN + SCLC genes",
                "truth": "mixed", "n": 10, "verdict": overall["verdict"],
                "closest (all families)": s.loc[s["family"] == COMBINED, "closest"].iloc[0],
                "disagreement stated": "families disagree" in str(overall["verdict_reason"]),
                "genes closest SCLC": genes_row["closest"] == "SCLC",
            }
        )  # fmt: skip
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="random 50%% patient splits")
    ap.add_argument("--cohorts", type=int, default=10, help="cohorts of 10 per scenario and split")
    ap.add_argument("--bootstrap", type=int, default=200, help="bootstrap and null replicates")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--skip-cohorts", action="store_true", help="per-tumor CV only")
    args = ap.parse_args()
    t0 = time.time()
    full = {n: load_reference(resources_dir() / "references" / n) for n in NAMES}
    fit = SignatureFit()  # the signatures stage's defaults (COSMIC v3.4, GRCh38 genome)
    sizes = ", ".join(f"{n} {len(full[n].samples())}" for n in NAMES)
    print(f"bench_compare: references {sizes} patients")
    per_tumor(full, fit, args.seed, args.bootstrap)
    if not args.skip_cohorts:
        print(
            f"\n== Cohort verdicts: {args.repeats} random 50% patient splits × {args.cohorts} "
            "cohorts of 10 from the held-out half =="
        )
        table = cohorts(full, fit, args)
        out = []
        for scenario, (truth, _, (goal, need)) in SCENARIOS.items():
            part = table[table["scenario"] == scenario]
            if part.empty:
                continue
            counts = part["verdict"].value_counts()
            total = len(part)
            out.append(
                {
                    "scenario": scenario,
                    "cohorts": total,
                    "ESCC-like": int(counts.get("ESCC-like", 0)),
                    "not ESCC-like": int(counts.get("not ESCC-like", 0)),
                    "inconclusive": int(counts.get("inconclusive", 0)),
                    "wrong direction": int(counts.get(WRONG[truth], 0)),
                    "goal": f"{goal} >= {need}/30",
                    "met": int(counts.get(goal, 0)) >= need * total / 30,
                    "closest (all families) = truth": round(
                        float((part["closest (all families)"] == truth).mean()), 2
                    ),
                }
            )
        print(pd.DataFrame(out).to_string(index=False))
        mix = table[table["truth"] == "mixed"]
        if len(mix):
            counts = mix["verdict"].value_counts().to_dict()
            print(
                f"\nSCCE-like constructed cohorts (ESCC spectra/CN + SCLC genes, {len(mix)}): "
                f"verdicts {counts}; driver genes closest to SCLC in "
                f"{int(mix['genes closest SCLC'].sum())}; 'families disagree' stated in "
                f"{int(mix['disagreement stated'].sum())}"
            )
    print(f"\nruntime {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
