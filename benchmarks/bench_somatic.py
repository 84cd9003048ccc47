"""Somatic calling accuracy on simulated tumors with truth, and scoring throughput.

Simulates two patients (one FFPE tumor, one fresh) at ~60x tumor / 30x normal, runs the
workflow's somatic stage paired, then again tumor-only (same normals used as a panel, the
simulated population resource as germline prior; purity from the sheet), and
prints recall/precision per variant type and truth-VAF bin, the FFPE artifact removal, and
the model's throughput on synthetic candidate arrays.

    python benchmarks/bench_somatic.py [--workdir DIR] [--scale 1/300] [--snvs 1000]
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import yaml

from scce_genomics.simulate.cohort import CohortSpec, simulate_cohort
from scce_genomics.somatic.model import Candidates, SomaticParams, score

REPO = Path(__file__).resolve().parents[1]
BINS = (0.0, 0.05, 0.10, 0.20, 0.40, 1.01)


def run_workflow(
    cohort: Path,
    workdir: Path,
    samples: Path,
    name: str,
    more_targets: tuple[str, ...] = (),
    **extra: object,
) -> Path:
    """Somatic VCFs of every tumor (plus ``more_targets`` under the results folder); the
    somatic model always re-runs, as it is what the benchmarks measure."""
    results = workdir / name
    config = {
        "samples": str(samples),
        "units": str(cohort / "units.tsv"),
        "outdir": str(results),
        "reference": {
            "fasta": str(cohort / "reference/genome.fa"),
            "build": "custom",
            "gff3": str(cohort / "reference/genes.gff3"),
            "arms": str(cohort / "reference/arms.tsv"),
        },
        **extra,
    }
    cfg = workdir / f"{name}.yaml"
    cfg.write_text(yaml.safe_dump(config))
    sheet = pd.read_csv(samples, sep="\t")
    tumors = sheet.loc[sheet["type"] == "tumor", "sample"]
    targets = [str(results / f"somatic/{t}.vcf.gz") for t in tumors]
    targets += [str(results / t) for t in more_targets]
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-s",
            str(REPO / "Snakefile"),
            "--configfile",
            str(cfg),
            "--cores",
            str(os.cpu_count() or 2),
            *targets,
            "--forcerun",
            "somatic_call",
        ],
        cwd=workdir,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return results


def normalised(vcf: Path, fasta: Path, out: Path) -> pd.DataFrame:
    """Records after ``bcftools norm -f -m -any`` with MNVs split to SNVs (for matching)."""
    subprocess.run(
        ["bcftools", "norm", "-f", str(fasta), "-m", "-any", "-Oz", "-o", str(out), str(vcf)],
        check=True,
        stderr=subprocess.DEVNULL,
    )
    rows = []
    with pysam.VariantFile(str(out)) as handle:
        for rec in handle:
            alt = rec.alts[0]
            filt = ";".join(rec.filter.keys()) or "PASS"
            # pysam: .get() raises for a key the header lacks (calls have no VAF)
            vaf = rec.info["VAF"] if "VAF" in rec.info else np.nan  # noqa: SIM401
            if len(rec.ref) == len(alt) > 1:
                for i, (r, a) in enumerate(zip(rec.ref, alt, strict=True)):
                    rows.append((rec.chrom, rec.pos + i, r, a, filt, vaf))
            else:
                rows.append((rec.chrom, rec.pos, rec.ref, alt, filt, vaf))
    df = pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt", "filter", "vaf"])
    df["type"] = np.where((df["ref"].str.len() == 1) & (df["alt"].str.len() == 1), "SNV", "indel")
    return df


def score_sample(truth: pd.DataFrame, calls: pd.DataFrame, sample: str) -> pd.DataFrame:
    key = ["chrom", "pos", "ref", "alt"]
    passed = calls[calls["filter"] == "PASS"]
    merged = truth.merge(passed[key].assign(called=True), on=key, how="left")
    merged["called"] = merged["called"].fillna(False).astype(bool)
    fp = passed.merge(truth[key].assign(true=True), on=key, how="left")
    fp = fp[fp["true"].isna()]
    rows = []
    for vtype in ("SNV", "indel"):
        t = merged[merged["type"] == vtype]
        f = fp[fp["type"] == vtype]
        for lo, hi in itertools.pairwise(BINS):
            sel = t[(t["vaf"] >= lo) & (t["vaf"] < hi)]
            rows.append(
                {
                    "sample": sample,
                    "type": vtype,
                    "vaf_bin": f"{lo:.2f}-{min(hi, 1):.2f}",
                    "TP": int(sel["called"].sum()),
                    "FN": int((~sel["called"]).sum()),
                    "FP": np.nan,
                }
            )
        rows.append(
            {
                "sample": sample,
                "type": vtype,
                "vaf_bin": "all",
                "TP": int(t["called"].sum()),
                "FN": int((~t["called"]).sum()),
                "FP": len(f),
            }
        )
    table = pd.DataFrame(rows)
    table["recall"] = (table["TP"] / (table["TP"] + table["FN"])).round(3)
    table["precision"] = (table["TP"] / (table["TP"] + table["FP"])).round(3)
    return table


def ffpe_removal(truth: pd.DataFrame, calls: pd.DataFrame) -> dict[str, float]:
    """Artifact calls = non-truth C>T/G>A failing no filter but orientation."""
    key = ["chrom", "pos", "ref", "alt"]
    damage = ((calls["ref"] == "C") & (calls["alt"] == "T")) | (
        (calls["ref"] == "G") & (calls["alt"] == "A")
    )
    flags = calls["filter"].str.split(";")
    only_orient_or_pass = flags.apply(lambda f: set(f) <= {"orientation", "PASS"})
    cand = calls[damage & only_orient_or_pass].merge(
        truth[key].assign(true=True), on=key, how="left"
    )
    art = cand[cand["true"].isna()]
    real = cand[cand["true"].notna()]
    return {
        "artifact_calls": len(art),
        "artifacts_removed": float((art["filter"] == "orientation").mean()) if len(art) else 0.0,
        "true_CT": len(real),
        "true_CT_lost": float((real["filter"] == "orientation").mean()) if len(real) else 0.0,
    }


def missed_by(truth: pd.DataFrame, calls: pd.DataFrame) -> dict[str, int]:
    """Why true variants were missed: each filter they failed (or no candidate at all)."""
    key = ["chrom", "pos", "ref", "alt"]
    merged = truth[key].merge(calls[[*key, "filter"]], on=key, how="left")
    missed = merged[merged["filter"] != "PASS"]["filter"].fillna("no_candidate")
    return missed.str.split(";").explode().value_counts().to_dict()


def throughput(n: int = 1_000_000) -> float:
    rng = np.random.default_rng(0)
    depth = rng.integers(20, 120, n).astype(float)
    alt = rng.binomial(depth.astype(int), 0.1).astype(float)
    table = pd.DataFrame(
        {
            "chrom": np.repeat(["chr1", "chr2"], n // 2),
            "pos": np.tile(np.arange(n // 2) * 7 + 1, 2),
            "ref": "C",
            "alt": "A",
            "is_indel": False,
            "mqbz": 0.0,
        }
    )
    cand = Candidates(
        table,
        depth - alt,
        alt,
        alt / 2,
        alt / 2,
        np.zeros(n),
        alt * 35,
        rng.integers(20, 40, n).astype(float),
        np.zeros(n),
        True,
    )
    start = time.perf_counter()
    score(cand, SomaticParams())
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="")
    parser.add_argument("--scale", default="1/300")
    parser.add_argument("--snvs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench_somatic_"))
    num, den = args.scale.split("/")
    spec = CohortSpec(
        patients=2,
        profiles=("escc", "sclc"),
        tumor_only=0,
        scale=float(num) / float(den),
        tumor_depth=60,
        normal_depth=30,
        snvs=args.snvs,
        seed=args.seed,
        units_per_sample=1,
    )
    cohort = workdir / "cohort"
    t0 = time.perf_counter()
    if not (cohort / "truth/cohort.json").exists():
        simulate_cohort(cohort, spec)
    print(f"simulated in {time.perf_counter() - t0:.0f} s: {cohort}")
    fasta = cohort / "reference/genome.fa"
    sheet = pd.read_csv(cohort / "samples.tsv", sep="\t")
    # tumor-only: the normals stay in the sheet under other patients, so they form the PoN
    tumor_only = sheet.copy()
    tumor_only.loc[tumor_only["type"] == "normal", "patient"] = "PANEL_" + tumor_only["patient"]
    tumor_only_sheet = workdir / "samples_tumor_only.tsv"
    tumor_only.to_csv(tumor_only_sheet, sep="\t", index=False)
    tables, ffpe, reasons = [], [], []
    for mode, samples in (("paired", cohort / "samples.tsv"), ("tumor_only", tumor_only_sheet)):
        t0 = time.perf_counter()
        # tumor-only: the simulated population resource is the germline prior
        resource = {"germline_resource": str(cohort / "reference/germline_resource.vcf.gz")}
        extra = {"somatic": resource} if mode == "tumor_only" else {}
        results = run_workflow(cohort, workdir, samples, mode, **extra)
        print(f"{mode}: workflow to somatic VCFs in {time.perf_counter() - t0:.0f} s")
        for tumor in sheet.loc[sheet["type"] == "tumor", "sample"]:
            truth = normalised(
                cohort / f"truth/{tumor}.somatic.vcf.gz",
                fasta,
                workdir / f"{tumor}.truth.norm.vcf.gz",
            )
            calls = normalised(
                results / f"somatic/{tumor}.vcf.gz", fasta, workdir / f"{mode}.{tumor}.norm.vcf.gz"
            )
            table = score_sample(truth, calls, tumor)
            table.insert(0, "mode", mode)
            tables.append(table)
            reasons.append({"mode": mode, "sample": tumor, **missed_by(truth, calls)})
            tissue = sheet.set_index("sample").loc[tumor, "tissue"]
            ffpe.append(
                {"mode": mode, "sample": tumor, "tissue": tissue, **ffpe_removal(truth, calls)}
            )
    pd.set_option("display.width", 160)
    result = pd.concat(tables, ignore_index=True)
    print("\nRecall and precision by truth VAF bin (FP and precision on the 'all' rows)")
    print(result.to_string(index=False))
    print("\nFilters failed by missed true variants (a variant can fail several)")
    print(pd.DataFrame(reasons).fillna(0).to_string(index=False))
    print("\nFFPE orientation filter")
    print(pd.DataFrame(ffpe).to_string(index=False))
    summary = result[result["vaf_bin"] == "all"].groupby(["mode", "type"])[["TP", "FP", "FN"]].sum()
    summary["recall"] = (summary["TP"] / (summary["TP"] + summary["FN"])).round(3)
    summary["precision"] = (summary["TP"] / (summary["TP"] + summary["FP"])).round(3)
    print("\nOverall")
    print(summary.to_string())
    high = result[
        (result["type"] == "SNV") & result["vaf_bin"].isin(["0.10-0.20", "0.20-0.40", "0.40-1.00"])
    ]
    for mode, part in high.groupby("mode"):
        tp, fn = part["TP"].sum(), part["FN"].sum()
        print(f"SNV recall at VAF >= 0.10 ({mode}): {tp / (tp + fn):.3f}")
    if {"paired", "tumor_only"} <= set(summary.index.get_level_values("mode")):
        for vtype in ("SNV", "indel"):
            loss = (
                summary.loc[("paired", vtype), "precision"]
                - summary.loc[("tumor_only", vtype), "precision"]
            )
            print(f"{vtype} precision loss, tumor-only with PoN vs tumor-normal: {loss:.3f}")
    print(f"\nScoring throughput: {throughput():,.0f} candidate sites/s")


if __name__ == "__main__":
    main()
