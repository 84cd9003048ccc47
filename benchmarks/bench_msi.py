"""MSI calling against simulated truth, microsatellite-scan speed and TMB confidence intervals.

1. **Scan speed**: ``msi scan`` of the bundled real GRCh38 piece (chr21:22-23 Mb) and of a
   chromosome-sized sequence (that piece tiled to ``--chromosome-mb``, default 50 Mb).
2. **MSI scores vs truth**: a random genome dense in microsatellites (``--length`` bp, one
   repeat per ~250 bp) hosts, for each purity (0.3/0.5/0.8) and planted unstable fraction
   (0.1/0.2/0.3/0.4), one MSI-high tumor (profile ``msi``) and one MSS tumor (profile ``flat``:
   copy-number events, LOH), each with its own normal. Every sample has PCR stutter and
   germline repeat-length polymorphism. Tumors are simulated at the highest depth and
   downsampled (``samtools view -s``) to the others; reads are aligned with bwa mem.
   Tumor–normal: each tumor against its own normal. Tumor-only: each tumor against a baseline
   built from the normals of all other patients (leave-own-normal-out).
3. **Real sequence**: one MSI-high and one MSS tumor planted in the real chr21 piece at 60×.
4. **TMB**: the exact Poisson 95% CI of a burden of 10/Mb over territories from 4 kb to 30 Mb
   (why TMB below 1 Mb of callable territory is not classified).

Printed: per depth and purity the score range of MSI-high and MSS tumors, whether they
separate, the error of the score against the planted unstable fraction (among covered sites),
and the tumor-only AUC. Goals: complete separation at 60× for purity ≥ 0.3 (tumor–normal),
AUC ≥ 0.95 tumor-only, |score − planted| ≤ 5 points at 60×, whole-chromosome scan < 1 min.

Run: python benchmarks/bench_msi.py [--length 300000] [--depths 30,60,100] [--normal-depth 30]
     [--purities 0.3,0.5,0.8] [--fractions 0.1,0.2,0.3,0.4] [--chromosome-mb 50] [--no-real]
     [--workdir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.biomarkers.lengths import CountParams, count_lengths, length_matrix
from scce_genomics.biomarkers.microsatellites import ScanParams, scan_fasta, scan_sequence
from scce_genomics.biomarkers.msi import (
    MsiParams,
    build_baseline,
    paired_sites,
    summarise,
    tumor_only_sites,
)
from scce_genomics.simulate.cohort import CohortSpec, simulate_cohort
from scce_genomics.simulate.msi import microsatellite_fasta
from scce_genomics.somatic.tmb import garwood_interval

REPO = Path(__file__).resolve().parents[1]
HG38 = REPO / "resources/real/hg38_chr21_22-23Mb/hg38_chr21_22000000_23000000.fasta"


def run(cmd: str) -> None:
    subprocess.run(["bash", "-o", "pipefail", "-c", cmd], check=True)


def scan_speed(chromosome_mb: int) -> None:
    import pysam

    t0 = time.perf_counter()
    real = scan_fasta(HG38)
    t_real = time.perf_counter() - t0
    with pysam.FastaFile(str(HG38)) as fa:
        piece = fa.fetch(fa.references[0])
    from scce_genomics.biomarkers.microsatellites import encode

    codes = encode(piece)
    big = np.tile(codes, -(-chromosome_mb * 1_000_000 // codes.size))[: chromosome_mb * 1_000_000]
    t0 = time.perf_counter()
    sites = scan_sequence(big, ScanParams())
    t_big = time.perf_counter() - t0
    print("## Microsatellite scan (numpy, one process)\n")
    print("| sequence | length | sites | seconds | Mb/s |")
    print("|---|---|---|---|---|")
    print(
        f"| real GRCh38 chr21:22-23 Mb (FASTA read included) | 1 Mb | {len(real):,} "
        f"| {t_real:.2f} | {1 / t_real:.1f} |"
    )
    print(
        f"| chromosome-sized (real piece tiled) | {chromosome_mb} Mb | {len(sites):,} "
        f"| {t_big:.1f} | {chromosome_mb / t_big:.1f} |\n"
    )
    kinds = real["unit_length"].map(lambda k: "homopolymer" if k == 1 else f"{k}-bp unit")
    print(
        "Real piece, sites by kind: "
        + ", ".join(f"{k} {n}" for k, n in kinds.value_counts().sort_index().items())
        + "\n"
    )


def align(fasta: Path, reads: Path, name: str, out: Path) -> Path:
    r1 = reads / f"{name}_L1_R1.fastq.gz"
    r2 = reads / f"{name}_L1_R2.fastq.gz"
    run(
        f"bwa mem -t 2 -K 10000000 -R '@RG\\tID:{name}\\tSM:{name}' {fasta} {r1} {r2} "
        f"2>/dev/null | samtools sort -@ 1 -o {out} - 2>/dev/null && samtools index {out}"
    )
    return out


def downsample(bam: Path, fraction: float, out: Path) -> Path:
    run(f"samtools view -b -s {7 + fraction:.4f} -o {out} {bam} && samtools index {out}")
    return out


def simulate_all(args: argparse.Namespace, work: Path) -> tuple[Path, list[dict]]:
    """Simulate every (purity, fraction) pair; return the reference and the tumor records."""
    genome = microsatellite_fasta(work / "dense.fa", args.length, seed=args.seed)
    fasta: Path | None = None
    records = []
    top = max(args.depths)
    for i, purity in enumerate(args.purities):
        for j, fraction in enumerate(args.fractions):
            tag = f"p{int(purity * 100)}f{int(fraction * 100)}"
            out = work / tag
            spec = CohortSpec(
                patients=2,
                profiles=("msi", "flat"),
                tumor_only=0,
                fasta=str(genome),
                purity_range=(purity, purity),
                msi_fraction=fraction,
                stutter=True,
                tumor_depth=top,
                normal_depth=args.normal_depth,
                units_per_sample=1,
                snvs=150,
                seed=args.seed + 100 * i + j,
            )
            simulate_cohort(out, spec)
            if fasta is None:
                fasta = out / "reference/genome.fa"
                run(f"bwa index {fasta} 2>/dev/null && samtools faidx {fasta}")
            for patient, status in (("P1", "MSI-H"), ("P2", "MSS")):
                records.append(
                    {
                        "dir": out,
                        "tag": tag,
                        "patient": patient,
                        "status": status,
                        "purity": purity,
                        "fraction": fraction if status == "MSI-H" else 0.0,
                    }
                )
    assert fasta is not None
    return fasta, records


def count_all(
    fasta: Path, records: list[dict], args: argparse.Namespace, sites: pd.DataFrame, work: Path
) -> None:
    """Align, downsample and count repeat lengths; matrices go into the records."""
    top = max(args.depths)
    shift = CountParams().max_shift
    timing = {"seconds": 0.0, "reads": 0, "bams": 0}

    def counted(bam: Path) -> np.ndarray:
        t0 = time.perf_counter()
        matrix = length_matrix(count_lengths(bam, sites), sites, shift)
        timing["seconds"] += time.perf_counter() - t0
        timing["reads"] += int(matrix.sum())
        timing["bams"] += 1
        return matrix

    for rec in records:
        reads = rec["dir"] / "reads"
        stem = f"{rec['tag']}_{rec['patient']}"
        tumor = align(fasta, reads, f"{rec['patient']}T", work / f"{stem}T.bam")
        normal = align(fasta, reads, f"{rec['patient']}N", work / f"{stem}N.bam")
        rec["normal"] = counted(normal)
        rec["tumor"] = {}
        for depth in args.depths:
            bam = (
                tumor
                if depth == top
                else downsample(tumor, depth / top, work / f"{stem}T.{depth}.bam")
            )
            rec["tumor"][depth] = counted(bam)
        truth = pd.read_csv(rec["dir"] / "truth" / f"{rec['patient']}T.msi.tsv", sep="\t")
        if not (truth["start"].to_numpy() == sites["start"].to_numpy()).all():
            raise SystemExit("truth and scanned sites differ")
        rec["truth"] = truth["shift"].to_numpy() != 0
    print(
        f"`msi count`: {timing['bams']} BAMs, {timing['reads']:,} spanning reads measured in "
        f"{timing['seconds']:.0f} s ({timing['reads'] / max(timing['seconds'], 1e-9):,.0f} "
        "reads/s, fetch and flank search included)\n"
    )


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Mann-Whitney AUC: chance a random MSI-high score beats a random MSS one (ties 1/2)."""
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0) + 0.5 * (diff == 0)).mean())


def score_all(records: list[dict], args: argparse.Namespace, sites: pd.DataFrame) -> pd.DataFrame:
    params = MsiParams()
    rows = []
    for rec in records:
        others = [r["normal"] for r in records if r is not rec]
        baseline = build_baseline(sites, others, params)
        for depth in args.depths:
            tumor = rec["tumor"][depth]
            per_site = paired_sites(tumor, rec["normal"], params)
            paired = summarise(per_site, params, "tumor-normal", sites)
            covered = per_site["covered"].to_numpy()
            only_sites = tumor_only_sites(sites, tumor, baseline, params)
            alone = summarise(only_sites, params, "tumor-only")
            rows.append(
                {
                    "depth": depth,
                    "purity": rec["purity"],
                    "status": rec["status"],
                    "planted": 100 * rec["truth"][covered].mean(),
                    "tn_score": paired["msi_score"],
                    "tn_sites_pct": paired["msi_score_sites"],
                    "tn_covered": paired["sites_covered"],
                    "to_score": alone["msi_score"],
                    "to_covered": alone["sites_covered"],
                }
            )
    return pd.DataFrame(rows)


def report(table: pd.DataFrame, n_sites: int, args: argparse.Namespace) -> None:
    print(
        f"## MSI on simulated tumors ({args.length // 1000} kb, {n_sites} microsatellites, "
        f"normal {args.normal_depth:g}×, MSI-high planted at "
        f"{', '.join(f'{f:.0%}' for f in args.fractions)} of sites)\n"
    )
    print("Tumor–normal (score: estimated % unstable sites; BH: % sites significant at FDR 0.05)\n")
    print(
        "| depth | purity | MSI-H scores | MSS scores | separated | |score − planted| "
        "MSI-H mean / max | MSS max | MSI-H BH % |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for (depth, purity), part in table.groupby(["depth", "purity"]):
        hi, ss = part[part["status"] == "MSI-H"], part[part["status"] == "MSS"]
        err = (hi["tn_score"] - hi["planted"]).abs()
        sep = "yes" if hi["tn_score"].min() > ss["tn_score"].max() else "no"
        print(
            f"| {depth}× | {purity:g} | {hi['tn_score'].min():.1f}–{hi['tn_score'].max():.1f} "
            f"| {ss['tn_score'].min():.1f}–{ss['tn_score'].max():.1f} | {sep} "
            f"| {err.mean():.1f} / {err.max():.1f} "
            f"| {(ss['tn_score'] - ss['planted']).abs().max():.1f} "
            f"| {hi['tn_sites_pct'].min():.1f}–{hi['tn_sites_pct'].max():.1f} |"
        )
    _calls(table, "tn_score")
    n_base = table.groupby(["depth"]).size().iloc[0] - 1
    print(f"\nPer depth, all purities (tumor-only baseline: {n_base} other patients' normals)\n")
    print(
        "| tumor depth | tumor–normal: MSI-H / MSS scores (%) | separated at every purity "
        "| \\|score − planted\\| mean / max (points) | tumor-only AUC |"
    )
    print("|---|---|---|---|---|")
    for depth, part in table.groupby("depth"):
        hi, ss = part[part["status"] == "MSI-H"], part[part["status"] == "MSS"]
        err = (hi["tn_score"] - hi["planted"]).abs()
        apart = all(
            q[q["status"] == "MSI-H"]["tn_score"].min() > q[q["status"] == "MSS"]["tn_score"].max()
            for _, q in part.groupby("purity")
        )
        score = hi["to_score"].to_numpy(dtype=float), ss["to_score"].to_numpy(dtype=float)
        print(
            f"| {depth}× | {hi['tn_score'].min():.1f}–{hi['tn_score'].max():.1f} / "
            f"{ss['tn_score'].min():.1f}–{ss['tn_score'].max():.1f} | {'yes' if apart else 'no'} "
            f"| {err.mean():.1f} / {err.max():.1f} | {auc(*score):.3f} |"
        )
    print(
        "\nTumor-only (baseline of the other patients' normals; score: % sites above the "
        "baseline's mean + 3 SD)\n"
    )
    print(
        "| depth | AUC, all purities | AUC at purity "
        + " / ".join(f"{p:g}" for p in args.purities)
        + " | MSI-H scores | MSS scores |"
    )
    print("|---|---|---|---|---|")
    for depth, part in table.groupby("depth"):
        hi = part[part["status"] == "MSI-H"]["to_score"].to_numpy(dtype=float)
        ss = part[part["status"] == "MSS"]["to_score"].to_numpy(dtype=float)
        per = []
        for p in args.purities:
            q = part[part["purity"] == p]
            per.append(
                auc(
                    q[q["status"] == "MSI-H"]["to_score"].to_numpy(dtype=float),
                    q[q["status"] == "MSS"]["to_score"].to_numpy(dtype=float),
                )
            )
        print(
            f"| {depth}× | {auc(hi, ss):.3f} | {' / '.join(f'{a:.2f}' for a in per)} "
            f"| {hi.min():.1f}–{hi.max():.1f} | {ss.min():.1f}–{ss.max():.1f} |"
        )
    _calls(table, "to_score")
    print()


def _calls(table: pd.DataFrame, column: str) -> None:
    """How many MSI-H/MSS statuses the configured threshold gets right."""
    cut = MsiParams().threshold
    called = np.where(table[column].to_numpy(dtype=float) >= cut, "MSI-H", "MSS")
    right = called == table["status"].to_numpy()
    print(
        f"\nStatus at the default {cut:g}% threshold: {int(right.sum())} of {right.size} "
        "tumor × depth calls right."
    )


def real_sequence(args: argparse.Namespace, work: Path) -> None:
    """One MSI-high and one MSS tumor (purity 0.5) in the real chr21 piece, 60× / 30×."""
    out = work / "real"
    spec = CohortSpec(
        patients=2,
        profiles=("msi", "flat"),
        tumor_only=0,
        fasta=str(HG38),
        purity_range=(0.5, 0.5),
        msi_fraction=0.3,
        stutter=True,
        tumor_depth=60,
        normal_depth=args.normal_depth,
        units_per_sample=1,
        snvs=150,
        seed=args.seed + 999,
    )
    simulate_cohort(out, spec)
    fasta = out / "reference/genome.fa"
    run(f"bwa index {fasta} 2>/dev/null && samtools faidx {fasta}")
    sites = scan_fasta(fasta)
    params = MsiParams()
    print(
        f"## Real sequence (GRCh38 chr21:22-23 Mb, {len(sites)} microsatellites, "
        f"purity 0.5, tumor 60×, normal {args.normal_depth:g}×)\n"
    )
    print("| tumor | planted % | score (95% CI) | BH % | status |")
    print("|---|---|---|---|---|")
    shift = CountParams().max_shift
    for patient, status in (("P1", "MSI-H"), ("P2", "MSS")):
        mats = {}
        for kind in ("T", "N"):
            bam = align(fasta, out / "reads", f"{patient}{kind}", work / f"real{patient}{kind}.bam")
            mats[kind] = length_matrix(count_lengths(bam, sites), sites, shift)
        truth = pd.read_csv(out / "truth" / f"{patient}T.msi.tsv", sep="\t")["shift"] != 0
        per_site = paired_sites(mats["T"], mats["N"], params)
        row = summarise(per_site, params, "tumor-normal", sites)
        planted = 100 * truth.to_numpy()[per_site["covered"].to_numpy()].mean()
        print(
            f"| {status} | {planted:.1f} | {row['msi_score']} ({row['msi_score_ci_low']}–"
            f"{row['msi_score_ci_high']}) | {row['msi_score_sites']} | {row['msi_status']} |"
        )
    print()


def tmb_intervals() -> None:
    print("## TMB: exact Poisson 95% CI of a burden of 10 mutations/Mb\n")
    print("| callable territory | expected mutations | 95% CI (/Mb) | CI high / low |")
    print("|---|---|---|---|")
    for mb in (0.004, 0.1, 0.5, 1.0, 5.0, 30.0):
        n = round(10 * mb)
        lo, hi = garwood_interval(n)
        ratio = f"{hi / lo:.1f}" if lo > 0 else "∞"
        print(f"| {mb:g} Mb | {n} | {lo / mb:.1f}–{hi / mb:.1f} | {ratio} |")
    print()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--length", type=int, default=300_000, help="simulated genome (bp)")
    ap.add_argument("--depths", default="30,60,100", help="tumor depths")
    ap.add_argument("--normal-depth", type=float, default=30.0, help="normal depth")
    ap.add_argument("--purities", default="0.3,0.5,0.8", help="tumor purities")
    ap.add_argument("--fractions", default="0.1,0.2,0.3,0.4", help="planted unstable fractions")
    ap.add_argument("--chromosome-mb", type=int, default=50, help="size of the scan benchmark")
    ap.add_argument("--no-real", action="store_true", help="skip the real-sequence run")
    ap.add_argument("--seed", type=int, default=17, help="seed of the first cohort")
    ap.add_argument("--workdir", default="", help="keep intermediate files here")
    ap.add_argument("--keep", action="store_true", help="do not delete the work folder")
    args = ap.parse_args()
    args.depths = [int(x) for x in args.depths.split(",")]
    args.purities = [float(x) for x in args.purities.split(",")]
    args.fractions = [float(x) for x in args.fractions.split(",")]
    for tool in ("bwa", "samtools"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found on PATH")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench_msi_"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        scan_speed(args.chromosome_mb)
        tmb_intervals()
        fasta, records = simulate_all(args, work)
        sites = scan_fasta(fasta)
        count_all(fasta, records, args, sites, work)
        table = score_all(records, args, sites)
        table.to_csv(work / "scores.tsv", sep="\t", index=False)
        report(table, len(sites), args)
        if not args.no_real:
            real_sequence(args, work)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print(
        f"(total {time.perf_counter() - started:.0f} s; per-tumor scores in "
        f"{work / 'scores.tsv'} with --workdir)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
