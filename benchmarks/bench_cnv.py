"""CNV benchmark on a simulated cohort: arm events, focal events, absolute CN, breakpoints,
sex chromosomes, LOH by length and the HRD scar score.

Usage: python benchmarks/bench_cnv.py --workdir DIR [--seed N] [--scale 1/400] [--cores 2]
       [--profiles hrd --sex male,female,male --sex-chromosomes --patients 3 --tumor-only 1]
Simulates a cohort (unless DIR/sim exists), runs the workflow's CNV targets into DIR/results
and prints one row per tumor (and, with allele-specific output, an LOH/HRD table).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.cnv.hrd import HrdSettings, hrd_scores
from scce_genomics.cnv.purity import fit_purity_ploidy
from scce_genomics.cnv.sex import autosomes

ROOT = Path(__file__).resolve().parents[1]


def run(cmd: list[str]) -> None:
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def prepare(work: Path, args: argparse.Namespace) -> Path:
    sim = work / "sim"
    bindir = Path(sys.executable).parent
    if not (sim / "samples.tsv").exists():
        extra = ["--sex-chromosomes"] if args.sex_chromosomes else []
        run(
            [str(bindir / "scce-genomics"), "simulate", "--outdir", str(sim), "--scale",
             args.scale, "--tumor-depth", "40", "--normal-depth", "25", "--seed", str(args.seed),
             "--profiles", args.profiles, "--sex", args.sex, "--patients", str(args.patients),
             "--tumor-only", str(args.tumor_only), *extra]
        )  # fmt: skip
    results = work / "results"
    config = work / "config.yaml"
    config.write_text(
        f"samples: {sim}/samples.tsv\nunits: {sim}/units.tsv\noutdir: {results}\n"
        f"reference:\n  fasta: {sim}/reference/genome.fa\n  build: custom\n"
        f"  gff3: {sim}/reference/genes.gff3\n  arms: {sim}/reference/arms.tsv\n"
        'targets: ""\n'
        f"cnv:\n  hrd:\n    length_scale: {float(Fraction(args.scale))}\n"
    )
    env = dict(os.environ, PATH=f"{bindir}:{os.environ.get('PATH', '')}")
    targets = [str(results / "cnv/summary.tsv"), str(results / "cnv/cn_signatures.tsv")]
    cmd = [str(bindir / "snakemake"), "-s", "Snakefile", "--configfile", str(config),
           f"-c{args.cores}", "--rerun-triggers", "mtime", "--", *targets]  # fmt: skip
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)
    return sim


def breakpoints(df: pd.DataFrame, value: str) -> pd.DataFrame:
    """Internal boundaries where ``value`` changes between adjacent segments of a chromosome."""
    rows = []
    for chrom, g in df.sort_values(["chromosome", "start"]).groupby("chromosome"):
        v = g[value].to_numpy()
        ends = g["end"].to_numpy()
        for i in range(len(g) - 1):
            if v[i] != v[i + 1]:
                rows.append((chrom, int(ends[i])))
    return pd.DataFrame(rows, columns=["chromosome", "pos"])


def evaluate(sim: Path, results: Path, bin_size: int) -> pd.DataFrame:
    arms = pd.read_csv(results / "cnv/arm_calls.tsv", sep="\t")
    genes = pd.read_csv(results / "cnv/gene_calls.tsv", sep="\t")
    summary = pd.read_csv(results / "cnv/summary.tsv", sep="\t").set_index("sample")
    rows = []
    for tumor in summary.index:
        truth = json.loads((sim / "truth" / f"{tumor}.json").read_text())
        events = truth["events"]
        expected = {a: "gain" for a in events.get("arm_gains", [])}
        expected |= {a: "loss" for a in events.get("arm_losses", [])}
        a = arms[arms["sample"] == tumor].set_index("arm")["call"]
        right = sum(a.get(arm) == d for arm, d in expected.items())
        false = int(((a.isin(["gain", "loss"])) & ~a.index.isin(list(expected))).sum())
        g = genes[genes["sample"] == tumor].set_index("gene")["call"]
        amps = events.get("focal_amps", [])
        homdels = events.get("homdels", [])
        amp_ok = sum(g.get(x) == "amp" for x in amps)
        del_ok = sum(g.get(x) == "deep_del" for x in homdels)
        cn_truth = pd.read_csv(sim / "truth" / f"{tumor}.cn.tsv", sep="\t")
        cn_truth = cn_truth.rename(columns={"chrom": "chromosome"})
        call = pd.read_csv(results / f"cnv/{tumor}.call.cns", sep="\t")
        within = total = 0.0
        for seg in call.itertuples(index=False):
            t = cn_truth[cn_truth["chromosome"] == seg.chromosome]
            lo = np.maximum(t["start"].to_numpy(), seg.start)
            hi = np.minimum(t["end"].to_numpy(), seg.end)
            ov = np.clip(hi - lo, 0, None)
            total += ov.sum()
            within += ov[np.abs(t["total_cn"].to_numpy() - seg.cn) <= 0.5].sum()
        tb = breakpoints(cn_truth, "total_cn")
        cb = breakpoints(call, "cn")
        hit = sum(
            bool(
                (np.abs(cb.loc[cb["chromosome"] == r.chromosome, "pos"] - r.pos) <= bin_size).any()
            )
            for r in tb.itertuples()
        )
        cns = pd.read_csv(results / f"cnv/{tumor}.cns", sep="\t")
        blind = fit_purity_ploidy(cns["log2"].to_numpy(), (cns["end"] - cns["start"]).to_numpy())
        rows.append(
            {
                "tumor": tumor,
                "purity_truth": truth["purity"],
                "purity": summary.loc[tumor, "purity"],
                "purity_source": summary.loc[tumor, "purity_source"],
                "purity_fit_blind": round(blind.purity, 2),
                "arm_events_right": f"{right}/{len(expected)}",
                "false_arm_calls": false,
                "focal_amp": f"{amp_ok}/{len(amps)}",
                "homdel": f"{del_ok}/{len(homdels)}",
                "cn_within_0.5": round(within / total, 3) if total else float("nan"),
                "breakpoints_1bin": f"{hit}/{len(tb)}",
            }
        )
    return pd.DataFrame(rows)


def _overlap(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Base pairs shared by two segment tables (chromosome, start, end)."""
    total = 0.0
    for chrom, g in a.groupby("chromosome"):
        h = b[b["chromosome"] == chrom]
        for s, e in zip(g["start"], g["end"], strict=True):
            total += float(
                np.clip(np.minimum(h["end"], e) - np.maximum(h["start"], s), 0, None).sum()
            )
    return total


def allele_evaluation(sim: Path, results: Path, scale: float) -> pd.DataFrame:
    """Per tumor: LOH recovered by length, HRD components called vs on the true segments,
    and the sex-chromosome calls."""
    hrd = pd.read_csv(results / "cnv/hrd.tsv", sep="\t").set_index("sample")
    sexes = pd.read_csv(results / "cnv/sex_chromosomes.tsv", sep="\t")
    arms = pd.read_csv(results / "reference/arms.tsv", sep="\t")
    rows = []
    for tumor in hrd.index:
        truth = json.loads((sim / "truth" / f"{tumor}.json").read_text())
        cn = pd.read_csv(sim / "truth" / f"{tumor}.cn.tsv", sep="\t").rename(
            columns={"chrom": "chromosome", "major_cn": "major", "minor_cn": "minor"}
        )
        cn = autosomes(cn)
        true_loh = cn[(cn["minor"] == 0) & (cn["major"] > 0)]
        called = autosomes(pd.read_csv(results / f"cnv/{tumor}.alleles.tsv", sep="\t"))
        called_loh = called[(called["minor"] == 0) & (called["major"] > 0)]
        loh_len = float((true_loh["end"] - true_loh["start"]).sum())
        expected = hrd_scores(cn, arms, tumor, HrdSettings(length_scale=scale))
        sex = sexes[sexes["sample"] == tumor].set_index("chrom")["call"]
        row: dict[str, object] = {
            "tumor": tumor,
            "sex": truth.get("sex", "NA"),
            "tumor_only": truth["matched_normal"] is None,
            "Y_call": sex.get("chrY", "NA"),
            "LOH_recovered_by_length": round(_overlap(true_loh, called_loh) / loh_len, 3)
            if loh_len
            else float("nan"),
            "LOH_false_bp": int(
                float((called_loh["end"] - called_loh["start"]).sum())
                - _overlap(true_loh, called_loh)
            ),
            "allele_specific_fraction": hrd.loc[tumor, "allele_specific_fraction"],
        }
        for key in ("hrd_loh", "tai", "lst", "hrd_sum"):
            row[f"{key}_truth"] = expected[key]
            row[f"{key}_called"] = hrd.loc[tumor, key]
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", default="1/400")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--bin-size", type=int, default=1000, help="cnv.bin_size of the run")
    parser.add_argument("--skip-run", action="store_true", help="only evaluate DIR/results")
    parser.add_argument("--profiles", default="escc,sclc,escc", help="simulated tumor profiles")
    parser.add_argument("--sex", default="female", help="sexes cycled over patients")
    parser.add_argument("--sex-chromosomes", action="store_true", help="simulate chrX/chrY")
    parser.add_argument("--patients", type=int, default=3)
    parser.add_argument("--tumor-only", type=int, default=1)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    sim = args.workdir / "sim"
    if not args.skip_run:
        sim = prepare(args.workdir, args)
    results = args.workdir / "results"
    table = evaluate(sim, results, args.bin_size)
    print(table.to_string(index=False))
    if (results / "cnv/hrd.tsv").exists():
        print()
        print(allele_evaluation(sim, results, float(Fraction(args.scale))).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
