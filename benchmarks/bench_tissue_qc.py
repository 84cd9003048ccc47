"""Stored-tissue QC on tumors like ESCC/SCLC: identity gate and contamination against the truth.

Simulates a cohort of highly aneuploid tumors (purity 0.95-1.0, LOH over 30 % or 50 % of the
genome with one-copy losses, copy-neutral LOH, a gain and an amplification per chromosome), each
mixed with another individual's DNA at 0, 1, 2, 5 or 10 % of its reads, and a second cohort at
ordinary purity (0.3-0.8) with 5 %-contaminated normals. The workflow's own rules align the reads
and run the identity and contamination steps; the same BAMs under a sheet that pairs every tumor
with another patient's normal give the swaps. Prints, per tumor/normal pair, the gate's verdict
and the contamination estimate against the truth, then the FFPE damage rates.

Usage: python benchmarks/bench_tissue_qc.py [WORKDIR] [--cores 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd

from scce_genomics.simulate.cohort import CohortSpec, simulate_cohort

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

#: What every simulated cohort shares: matched normals at 30x, tumors at 60x, dense SNPs.
BASE = CohortSpec(
    tumor_only=0,
    scale=1 / 1000,
    tumor_depth=60,
    normal_depth=30,
    units_per_sample=1,
    snvs=60,
    germline_snp_rate=2e-3,
)
#: name -> spec. Ten patients cover every (LOH, contamination) pair of the high-purity grid.
COHORTS = {
    "aneuploid": replace(
        BASE,
        patients=10,
        purity_range=(0.95, 1.0),
        loh_fraction=(0.3, 0.5),
        contaminate_tumor=(0.0, 0.01, 0.02, 0.05, 0.10),
        seed=21,
    ),
    "ordinary": replace(
        BASE,
        patients=4,
        purity_range=(0.3, 0.8),
        loh_fraction=(0.5,),
        contaminate_tumor=(0.0, 0.05),
        contaminate_normal=0.05,
        seed=22,
    ),
}


def snakemake(config: Path, targets: list[str], cores: int) -> None:
    """Run the workflow's rules for ``targets``; its log goes next to the config."""
    env = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")
    cmd = [str(BIN / "snakemake"), "-s", "Snakefile", "--configfile", str(config), f"-c{cores}",
           "--rerun-triggers", "mtime", "--", *targets]  # fmt: skip
    log = config.with_suffix(".log")
    with log.open("w") as handle:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    if proc.returncode:
        sys.exit(f"snakemake failed, see {log}:\n" + log.read_text()[-3000:])


def write_config(path: Path, sim: Path, results: Path, samples: Path) -> Path:
    path.write_text(
        f"samples: {samples}\nunits: {sim}/units.tsv\noutdir: {results}\n"
        f"reference:\n  fasta: {sim}/reference/genome.fa\n  build: custom\n"
        f"  gff3: {sim}/reference/genes.gff3\n  arms: {sim}/reference/arms.tsv\n"
        'targets: ""\ntissue_qc:\n  identity_warn_only: true\n'
    )
    return path


def run_cohort(work: Path, name: str, spec: CohortSpec, cores: int) -> pd.DataFrame:
    """Simulate, run the tissue rules on the true sheet and on a swapped one; one row per pair."""
    sim, results = work / name / "sim", work / name / "results"
    if not (sim / "samples.tsv").exists():
        simulate_cohort(sim, spec)
    sheet = pd.read_csv(sim / "samples.tsv", sep="\t", dtype=str, keep_default_na=False)
    tumors = sheet.loc[sheet["type"] == "tumor", "sample"].tolist()
    patients = sheet.loc[sheet["type"] == "tumor", "patient"].tolist()
    config = write_config(work / name / "config.yaml", sim, results, sim / "samples.tsv")
    targets = [str(results / f"qc/identity/{t}.metrics.json") for t in tumors]
    targets += [str(results / f"qc/contamination/{p}.tsv") for p in patients]
    targets += [str(results / "qc/identity/cohort.tsv")]
    targets += [str(results / f"qc/damage/{t}.tsv") for t in tumors[:2]]
    snakemake(config, targets, cores)
    # swaps: every tumor under the next patient, with that patient's normal
    swapped = sheet.copy()
    shift = dict(zip(patients, patients[1:] + patients[:1], strict=True))
    is_tumor = swapped["type"] == "tumor"
    swapped.loc[is_tumor, "patient"] = swapped.loc[is_tumor, "patient"].map(shift)
    swap_dir = work / name / "swapped"
    swap_dir.mkdir(exist_ok=True)
    swapped.to_csv(swap_dir / "samples.tsv", sep="\t", index=False)
    (swap_dir / "results").mkdir(exist_ok=True)
    for sub in ("bam", "reference"):  # the same BAMs: only the sheet changes
        if not (swap_dir / "results" / sub).exists():
            subprocess.run(
                ["cp", "-al", str(results / sub), str(swap_dir / "results" / sub)], check=True
            )
    swap_config = write_config(
        swap_dir / "config.yaml", sim, swap_dir / "results", swap_dir / "samples.tsv"
    )
    swap_targets = [str(swap_dir / f"results/qc/identity/{t}.metrics.json") for t in tumors]
    snakemake(swap_config, swap_targets, cores)
    rows = []
    for tumor, patient in zip(tumors, patients, strict=True):
        truth = json.loads((sim / "truth" / f"{tumor}.json").read_text())
        cont = pd.read_csv(results / f"qc/contamination/{patient}.tsv", sep="\t")
        est = cont.set_index("sample").loc[tumor]
        for kind, base in (("true", results), ("swap", swap_dir / "results")):
            ident = json.loads((base / f"qc/identity/{tumor}.metrics.json").read_text())
            row = {
                "cohort": name,
                "tumor": tumor,
                "normal": ident["normal"],
                "pair": kind,
                "purity": truth["purity"],
                "loh": truth["loh_fraction"],
                "verdict": ident["verdict"],
                "sites": ident["informative_sites"],
                "opposite": ident["opposite_fraction"],
                "hom_rel": ident["hom_relatedness"],
                "het_disc": ident["het_discordance"],
            }
            if kind == "true":
                row |= {
                    "cont_truth": truth["contamination"],
                    "cont_est": est["contamination"],
                    "ci": f"{est['ci_low']:.3f}-{est['ci_high']:.3f}",
                    "error": round(est["contamination"] - truth["contamination"], 4),
                }
            rows.append(row)
    normals = sheet.loc[sheet["type"] == "normal", ["sample", "patient"]]
    for sample, patient in normals.itertuples(index=False):
        est = pd.read_csv(results / f"qc/contamination/{patient}.tsv", sep="\t")
        rows.append(
            {
                "cohort": name,
                "normal": sample,
                "pair": "normal",
                "cont_truth": spec.contaminate_normal,
                "cont_est": est.set_index("sample").loc[sample, "contamination"],
            }
        )
    cohort = pd.read_csv(results / "qc/identity/cohort.tsv", sep="\t")
    flags = cohort["flag"].value_counts().to_dict()
    print(f"{name}: cohort-wide pairs by flag {flags}", flush=True)
    return pd.DataFrame(rows)


def real_pair(work: Path, cores: int) -> None:
    """The DREAM tiny tumor/normal reads (real, two capture targets of ~5 kb) through the rules."""
    import yaml

    config = yaml.safe_load((ROOT / "config/real/config.yaml").read_text())
    for key in ("samples", "units", "targets"):
        config[key] = str(ROOT / config[key])
    for key in ("fasta", "gff3"):
        config["reference"][key] = str(ROOT / config["reference"][key])
    results = work / "real" / "results"
    config["outdir"] = str(results)
    path = work / "real" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config))
    metrics = results / "qc/identity/9876T.metrics.json"
    contamination = results / "qc/contamination/DREAM.tsv"
    snakemake(path, [str(metrics), str(contamination)], cores)
    ident = json.loads(metrics.read_text())
    print(f"\nReal pair (DREAM tiny 9876T / 1234N): identity {ident['verdict']}: {ident['reason']}")
    cont = pd.read_csv(contamination, sep="\t").set_index("sample").fillna({"reason": ""})
    for sample, row in cont.iterrows():
        print(f"  contamination {sample}: {row['contamination']} {row['reason']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", nargs="?", default="", help="work directory (reused)")
    parser.add_argument("--cores", type=int, default=2, help="snakemake cores")
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp())
    table = pd.concat([run_cohort(work, n, s, args.cores) for n, s in COHORTS.items()])
    pd.set_option("display.width", 200)
    pairs = table[table["pair"].isin(["true", "swap"])]
    cols = ["cohort", "tumor", "normal", "pair", "purity", "loh", "verdict", "sites", "opposite",
            "hom_rel", "het_disc", "cont_truth", "cont_est", "ci", "error"]  # fmt: skip
    print("\nIdentity gate and tumor contamination per tumor/normal pair")
    print(pairs[cols].to_string(index=False, na_rep=""))
    true, swap = pairs[pairs["pair"] == "true"], pairs[pairs["pair"] == "swap"]
    print(f"\ntrue pairs failing the gate: {(true['verdict'] == 'fail').sum()} of {len(true)}")
    print(f"swaps failing the gate: {(swap['verdict'] == 'fail').sum()} of {len(swap)}")
    graded = true[true["cont_truth"].between(0.02, 0.10)]
    print(
        "contamination 2-10 %: max |estimate - truth| "
        f"{graded['error'].abs().max():.4f} over {len(graded)} tumors"
    )
    for name, group in true.groupby("cohort"):
        err = group["error"].abs()
        print(f"  {name}: |error| max {err.max():.4f}, mean {err.mean():.4f}")
    bounds = true["ci"].str.split("-", expand=True).astype(float)
    inside = (bounds[0] <= true["cont_truth"] + 5e-4) & (true["cont_truth"] <= bounds[1] + 5e-4)
    print(f"truth inside the 95 % CI (to the printed 3 decimals): {inside.sum()} of {len(true)}")
    normals = table[table["pair"] == "normal"]
    print("\nNormal contamination (own-genotype mixture fit) vs truth")
    print(normals[["cohort", "normal", "cont_truth", "cont_est"]].to_string(index=False))
    print("\nPre-adapter C>T artifact rate (simulated FFPE deamination 0.01 per C)")
    sim = work / "aneuploid"
    for tumor in ("P1T", "P2T"):
        damage = pd.read_csv(sim / f"results/qc/damage/{tumor}.tsv", sep="\t")
        ct = damage.set_index("substitution").loc["C>T"]
        tissue = json.loads((sim / f"sim/truth/{tumor}.json").read_text())["tissue"]
        print(f"  {tumor} ({tissue}): {ct['artifact_rate']:.5f} (orientation bias "
              f"{ct['orientation_bias']:.3f})")  # fmt: skip
    real_pair(work, args.cores)


if __name__ == "__main__":
    main()
