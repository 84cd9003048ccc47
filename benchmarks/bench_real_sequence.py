"""Somatic recall and precision on real human sequence, per VAF bin and tumor depth.

Random genomes make every caller look perfect. Here somatic SNVs and indels are planted at fixed
VAFs (0.03, 0.05, 0.1, 0.2, 0.4; nested clones of a copy-neutral tumor, purity 0.8) in the
bundled real GRCh38 piece chr21:22-23 Mb (repeats, GC structure, low-complexity stretches),
with germline SNPs, a matched normal and optional FFPE damage. For each tumor depth (30×, 60×,
100×), the workflow's own stages run on the simulated reads up to ``somatic/{tumor}.vcf.gz``;
its PASS calls and the truth are both normalised with ``bcftools norm -f genome.fa -m -any``
and matched on chrom, position, REF and ALT.

Output: recall per (depth, variant type, VAF bin) and precision per (depth, variant type).
``--baseline`` scores a naive bcftools-mpileup tumor/normal filter on the same BAMs instead
(tumor alt reads ≥ 3 and VAF ≥ 0.02, no alt read in a normal of depth ≥ 8), as a yardstick.
Goal for the somatic stage at 60×: SNV recall ≥ 0.8 at VAF 0.05 and ≥ 0.95 at VAF ≥ 0.1 with
precision ≥ 0.95.

Run: python benchmarks/bench_real_sequence.py [--depths 30,60,100] [--snvs 500] [--cores 2]
     [--normal-depth 40] [--ffpe-rate 0] [--baseline] [--workdir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from scce_genomics.simulate.cohort import CohortSpec, simulate_cohort

REPO = Path(__file__).resolve().parents[1]
HG38 = REPO / "resources/real/hg38_chr21_22-23Mb/hg38_chr21_22000000_23000000.fasta"
BINS = (0.03, 0.05, 0.1, 0.2, 0.4)
TUMOR, NORMAL = "P1T", "P1N"


def normalised(vcf: Path, fasta: Path, truth: bool) -> pd.DataFrame:
    """Variants of a VCF after ``bcftools norm`` (left-aligned, one ALT per row).

    Calls: PASS records only; truth: every record, with its planted VAF and TYPE.
    """
    view = ["bcftools", "view", "-f", ".,PASS" if truth else "PASS", str(vcf)]
    norm = ["bcftools", "norm", "-f", str(fasta), "-m", "-any", "-c", "w"]
    fields = "%CHROM\t%POS\t%REF\t%ALT" + ("\t%INFO/VAF\t%INFO/TYPE" if truth else "")
    names = ["chrom", "pos", "ref", "alt"] + (["vaf", "type"] if truth else [])
    first = subprocess.run(view, capture_output=True, check=True)
    second = subprocess.run(norm, input=first.stdout, capture_output=True, check=True)
    text = subprocess.run(
        ["bcftools", "query", "-f", fields + "\n"], input=second.stdout, capture_output=True,
        check=True,
    )  # fmt: skip
    table = pd.read_csv(
        io.BytesIO(text.stdout), sep="\t", header=None, names=names, dtype={"chrom": str}
    )
    table["key"] = (
        table["chrom"] + ":" + table["pos"].astype(str) + ":" + table["ref"] + ">" + table["alt"]
    )
    table["kind"] = ["SNV" if len(r) == len(a) == 1 else "indel" if len(r) != len(a) else "MNV"
                     for r, a in zip(table["ref"], table["alt"], strict=True)]  # fmt: skip
    return table


def baseline_calls(bams: dict[str, Path], fasta: Path, out: Path) -> Path:
    """A naive somatic filter on bcftools mpileup allele depths (the yardstick)."""
    pile = subprocess.run(
        ["bcftools", "mpileup", "-f", str(fasta), "-a", "FORMAT/AD,FORMAT/DP", "-d", "10000",
         "-q", "20", "-Q", "20", "-Ou", str(bams[TUMOR]), str(bams[NORMAL])],
        capture_output=True, check=True,
    )  # fmt: skip
    split = subprocess.run(
        ["bcftools", "norm", "-f", str(fasta), "-m", "-any", "-Ov"],
        input=pile.stdout, capture_output=True, check=True,
    )  # fmt: skip
    lines = [x for x in split.stdout.decode().split("\n") if x]
    header = [x for x in lines if x.startswith("#")]
    body = pd.read_csv(
        io.StringIO("\n".join(x for x in lines if not x.startswith("#"))),
        sep="\t", header=None, dtype=str,
    )  # fmt: skip
    body = body[body[4] != "<*>"]
    fmt = body[8].str.split(":")
    ad_at = fmt.map(lambda f: f.index("AD"))

    def depths(column: int) -> pd.DataFrame:
        ad = [v.split(":")[i].split(",") for v, i in zip(body[column], ad_at, strict=True)]
        return pd.DataFrame(
            {"ref": [int(a[0]) for a in ad], "alt": [int(a[-1]) for a in ad]}, index=body.index
        )

    t, n = depths(9), depths(10)
    keep = (t["alt"] >= 3) & (t["alt"] / (t["ref"] + t["alt"]).clip(lower=1) >= 0.02)
    keep &= (n["alt"] == 0) & (n["ref"] + n["alt"] >= 8)
    body = body[keep].copy()
    body[6] = "PASS"
    body[7] = "."
    out.write_text("\n".join([*header, *body.iloc[:, :11].agg("\t".join, axis=1)]) + "\n")
    return out


def snakemake(config: Path, workdir: Path, targets: list[str], cores: int) -> None:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("MPLBACKEND", "Agg")
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--configfile",
           str(config), "--cores", str(cores), *targets, "--quiet", "rules"]  # fmt: skip
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        output = proc.stdout + proc.stderr
        if "MissingRuleException" in output or "No rule to produce" in output:
            sys.exit(
                "the workflow has no rule for somatic/{tumor}.vcf.gz yet (somatic stage "
                "missing); run with --baseline to score the yardstick caller"
            )
        sys.exit(f"snakemake failed ({proc.returncode}):\n{output[-4000:]}")


def run_depth(depth: float, args: argparse.Namespace, root: Path) -> tuple[pd.DataFrame, ...]:
    data, results = root / f"data_{depth:g}x", root / f"results_{depth:g}x"
    spec = CohortSpec(
        patients=1, profiles=("escc",), tumor_only=0, tumor_depth=depth,
        normal_depth=args.normal_depth, units_per_sample=1, snvs=args.snvs,
        ffpe_rate=args.ffpe_rate, seed=args.seed, fasta=str(HG38), region=args.region,
        vaf_bins=BINS,
    )  # fmt: skip
    simulate_cohort(data, spec)
    if args.ffpe_rate == 0:  # the simulator makes even patients FFPE; keep tissue truthful
        sheet = pd.read_csv(data / "samples.tsv", sep="\t", dtype=str, keep_default_na=False)
        sheet.loc[sheet["type"] == "tumor", "tissue"] = "fresh"
        sheet.to_csv(data / "samples.tsv", sep="\t", index=False)
    config = root / f"config_{depth:g}x.yaml"
    config.write_text(yaml.safe_dump({
        "samples": str(data / "samples.tsv"), "units": str(data / "units.tsv"),
        "outdir": str(results),
        "reference": {"fasta": str(data / "reference/genome.fa"), "build": "custom",
                      "gff3": str(data / "reference/genes.gff3"),
                      "arms": str(data / "reference/arms.tsv")},
    }))  # fmt: skip
    fasta = results / "reference/genome.fa"
    if args.baseline:
        bams = {s: results / f"bam/{s}.bam" for s in (TUMOR, NORMAL)}
        snakemake(config, root, [str(b) for b in bams.values()], args.cores)
        calls_vcf = baseline_calls(bams, fasta, root / f"baseline_{depth:g}x.vcf")
    else:
        calls_vcf = results / f"somatic/{TUMOR}.vcf.gz"
        snakemake(config, root, [str(calls_vcf)], args.cores)
    truth = normalised(data / f"truth/{TUMOR}.somatic.vcf.gz", fasta, truth=True)
    calls = normalised(calls_vcf, fasta, truth=False)
    truth["found"] = truth["key"].isin(set(calls["key"]))
    calls["true"] = calls["key"].isin(set(truth["key"]))
    truth["kind"] = truth["kind"].where(truth["type"] != "DBS", "MNV")
    truth["bin"] = truth["vaf"].astype(float).round(2)
    recall = (
        truth.groupby(["kind", "bin"])["found"]
        .agg(n_truth="size", found="sum", recall="mean")
        .reset_index()
    )
    recall.insert(0, "depth", f"{depth:g}x")
    precision = calls.groupby("kind")["true"].agg(calls="size", tp="sum", precision="mean")
    precision = precision.reset_index()
    precision.insert(0, "depth", f"{depth:g}x")
    return recall, precision


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--depths", default="30,60,100", help="tumor depths (comma-separated)")
    parser.add_argument("--normal-depth", type=float, default=40)
    parser.add_argument("--snvs", type=int, default=500, help="somatic SNVs per tumor")
    parser.add_argument("--ffpe-rate", type=float, default=0.0)
    parser.add_argument("--region", default="", help="piece of the chr21 sequence (chr21:s-e)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--baseline", action="store_true", help="score the naive mpileup filter")
    parser.add_argument("--workdir", default="", help="keep everything here (default: temp)")
    parser.add_argument("--keep", action="store_true", help="do not delete the temp workdir")
    args = parser.parse_args()
    for tool in ("bcftools", "bwa", "samtools"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found on PATH")
    root = Path(args.workdir or tempfile.mkdtemp(prefix="bench_real_"))
    root.mkdir(parents=True, exist_ok=True)
    recalls, precisions = [], []
    start = time.time()
    try:
        for depth in (float(x) for x in args.depths.split(",")):
            t0 = time.time()
            recall, precision = run_depth(depth, args, root)
            recalls.append(recall)
            precisions.append(precision)
            print(f"# {depth:g}x done in {time.time() - t0:.0f} s", file=sys.stderr)
    finally:
        if not (args.workdir or args.keep):
            shutil.rmtree(root, ignore_errors=True)
    caller = "naive mpileup baseline" if args.baseline else "workflow somatic stage"
    print(f"# Somatic calls on real GRCh38 sequence (chr21:22-23 Mb), {caller}; seed {args.seed},"
          f" {args.snvs} SNVs/tumor, normal {args.normal_depth:g}x, FFPE rate {args.ffpe_rate:g},"
          f" {time.time() - start:.0f} s")  # fmt: skip
    print("\n## Recall per VAF bin")
    print(pd.concat(recalls).to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print("\n## Precision (PASS calls)")
    print(pd.concat(precisions).to_string(index=False, float_format=lambda x: f"{x:.3f}"))


if __name__ == "__main__":
    main()
