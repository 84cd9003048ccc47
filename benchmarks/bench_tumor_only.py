"""Tumor-only calling on simulated tumors: against the truth, the same tumor called with its normal,
and PureCN.

Simulates four patients (ESCC/SCLC profiles, whose arm losses are LOH regions) at purity 0.3,
0.45, 0.6 and 0.8, 60x tumor / 30x normal, germline SNPs at 1 per kb drawn from a population
allele-frequency spectrum; the simulated population resource lists 98% of them (2% private) plus
population variants nobody in the cohort carries. The workflow runs paired, then tumor-only with
``somatic.germline_resource`` (the normals stay in the sheet under other patients, so they form
the CNV reference and the panel of normals; the purity column is emptied, so the CNV stage
estimates it). Prints:

* SNV recall at truth VAF >= 0.1 and precision, per tumor and overall, with the false
  positives split into listed germline, private germline and other; the same on LOH segments;
* the tumor-only SBS96 cosine to the paired call of the same tumor, and TMB against paired;
* ablations (no resource; no copy number) by re-scoring the same candidates;
* PureCN 2.4 (``apt-get install -y r-bioc-purecn``; skipped with a message when absent) on the
  same candidates (those passing every filter but ``germline``): precision at the recall ours
  reaches, and at PureCN's own POSTERIOR.SOMATIC > 0.5.

    python benchmarks/bench_tumor_only.py [--workdir DIR] [--scale 1/400] [--snvs 600]
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

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_somatic import normalised, run_workflow
from bench_somatic import throughput as paired_throughput

from scce_genomics.simulate.cohort import CohortSpec, simulate_cohort
from scce_genomics.somatic.germline_resource import population_af
from scce_genomics.spectra.catalogues import build_catalogs

REPO = Path(__file__).resolve().parents[1]
PURITIES = (0.3, 0.45, 0.6, 0.8)
KEY = ["chrom", "pos", "ref", "alt"]
MIN_VAF = 0.1


def read_calls(vcf: Path) -> pd.DataFrame:
    """Every record with FILTER, tumor AD, GERMQ and POP_AF (tumor-only VCFs are split already)."""
    fmt = "%CHROM\t%POS\t%REF\t%ALT\t%FILTER\t%INFO/GERMQ\t%INFO/POP_AF\t[%AD]\n"
    text = subprocess.run(
        ["bcftools", "query", "-f", fmt, "-s", sample_of(vcf), str(vcf)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cols = [*KEY, "filter", "germq", "pop_af", "ad"]
    df = pd.read_csv(io.StringIO(text), sep="\t", header=None, names=cols, dtype=str)
    df["pos"] = df["pos"].astype(int)
    df["germq"] = pd.to_numeric(df["germq"], errors="coerce")
    ad = df["ad"].str.split(",", expand=True).astype(float)
    df["vaf"] = ad[1] / (ad[0] + ad[1]).replace(0, np.nan)
    df["snv"] = (df["ref"].str.len() == 1) & (df["alt"].str.len() == 1)
    return df.drop(columns="ad")


def sample_of(vcf: Path) -> str:
    out = subprocess.run(["bcftools", "query", "-l", str(vcf)], capture_output=True, text=True)
    return out.stdout.split()[0]


def loh_mask(segments: pd.DataFrame, table: pd.DataFrame) -> np.ndarray:
    """Whether each (chrom, pos 1-based) lies in a truth segment with minor CN 0 and total > 0."""
    loh = segments[(segments["minor_cn"] == 0) & (segments["total_cn"] > 0)]
    hit = np.zeros(len(table), dtype=bool)
    for row in loh.itertuples(index=False):
        hit |= ((table["chrom"] == row.chrom) & (table["pos"] > row.start)
                & (table["pos"] <= row.end)).to_numpy()  # fmt: skip
    return hit


def germline_truth(cohort: Path, patient: str) -> pd.DataFrame:
    """The patient's germline SNPs, with their population AF in the resource (NaN: private)."""
    table = normalised(
        cohort / f"truth/{patient}.germline.vcf.gz",
        cohort / "reference/genome.fa",
        cohort / f"truth/{patient}.germline.norm.vcf.gz",
    )[KEY]
    resource = cohort / "reference/germline_resource.vcf.gz"
    return table.assign(pop_af=population_af(resource, table))


def evaluate(
    calls: pd.DataFrame,
    truth: pd.DataFrame,
    germ: pd.DataFrame,
    segments: pd.DataFrame,
    called: np.ndarray,
) -> list[dict[str, object]]:
    """Per region (whole genome, LOH segments): SNV recall at truth VAF >= 0.1, precision and
    the causes of false positives of the SNVs ``called``."""
    snv_truth = truth[truth["type"] == "SNV"]
    high = snv_truth[snv_truth["vaf"] >= MIN_VAF]
    is_true = calls[KEY].merge(snv_truth[KEY].assign(t=1), on=KEY, how="left")["t"].notna()
    g = calls[KEY].merge(germ.assign(g=1), on=KEY, how="left")
    is_germ, private = g["g"].notna().to_numpy(), g["pop_af"].isna().to_numpy()
    sel = called & calls["snv"].to_numpy()
    tp, fp = sel & is_true.to_numpy(), sel & ~is_true.to_numpy()
    rows = []
    for region, calls_in, high_in, germ_in in (
        ("genome", np.ones(len(calls), bool), np.ones(len(high), bool), np.ones(len(germ), bool)),
        ("LOH", loh_mask(segments, calls), loh_mask(segments, high), loh_mask(segments, germ)),
    ):
        found = len(high[high_in].merge(calls.loc[tp & calls_in, KEY], on=KEY))
        rows.append(
            {
                "region": region,
                "n_true": int(high_in.sum()),
                "TP_vaf10": found,
                "recall": found / max(int(high_in.sum()), 1),
                "TP": int((tp & calls_in).sum()),
                "FP": int((fp & calls_in).sum()),
                "precision": int((tp & calls_in).sum()) / max(int((sel & calls_in).sum()), 1),
                "FP_germ_listed": int((fp & calls_in & is_germ & ~private).sum()),
                "FP_germ_private": int((fp & calls_in & is_germ & private).sum()),
                "FP_other": int((fp & calls_in & ~is_germ).sum()),
                "private_germ": int(germ.loc[germ_in, "pop_af"].isna().sum()),
            }
        )
    return rows


def pooled(rows: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Recall and precision over the tumors' pooled counts."""
    sums = rows.groupby(by)[["n_true", "TP_vaf10", "TP", "FP", "FP_germ_listed",
                             "FP_germ_private", "FP_other", "private_germ"]].sum()  # fmt: skip
    sums.insert(1, "recall", sums["TP_vaf10"] / sums["n_true"].clip(lower=1))
    sums.insert(2, "precision", sums["TP"] / (sums["TP"] + sums["FP"]).clip(lower=1))
    return sums.reset_index()


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


BIN = Path(sys.executable).parent  # the virtualenv's scce-genomics and cnvkit.py
ENV = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}")


def rescore(workdir: Path, results: Path, tumor: str, name: str, extra: list[str]) -> Path:
    """Re-score the tumor-only candidates with other options (an ablation)."""
    out = workdir / f"ablation_{name}.{tumor}.vcf.gz"
    pon = results / "somatic/pon.vcf.gz"
    cmd = [
        "scce-genomics", "somatic-call",
        "--candidates", str(results / f"somatic/candidates/{tumor}.bcf"),
        "--tumor", tumor, "--tumor-bam", str(results / f"bam/{tumor}.bam"),
        "--fasta", str(results / "reference/genome.fa"),
        *(["--pon", str(pon)] if pon.exists() else []), *extra, "--out", str(out),
    ]  # fmt: skip
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL, env=ENV)
    return out


def purecn_vcf(path: Path, results: Path, tumor: str, calls: pd.DataFrame) -> None:
    """The candidates passing every filter but germline, as PureCN reads them (AD, DP, POP_AF)."""
    cand = calls[calls["filter"].isin(["PASS", "germline"]) & calls["snv"]]
    fmt = "%CHROM\t%POS\t%REF\t%ALT\t[%AD]\t[%DP]\n"
    vcf = results / f"somatic/{tumor}.vcf.gz"
    text = subprocess.run(
        ["bcftools", "query", "-f", fmt, str(vcf)], capture_output=True, text=True, check=True
    ).stdout
    counts = pd.read_csv(io.StringIO(text), sep="\t", header=None, names=[*KEY, "ad", "dp"])
    cand = cand.merge(counts, on=KEY)
    fai = pd.read_csv(results / "reference/genome.fa.fai", sep="\t", header=None)
    lines = ["##fileformat=VCFv4.2"]
    lines += [f"##contig=<ID={c},length={n}>" for c, n in zip(fai[0], fai[1], strict=True)]
    lines += [
        '##INFO=<ID=POP_AF,Number=A,Type=Float,Description="Population AF">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
        f"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{tumor}",
    ]
    for r in cand.itertuples(index=False):
        listed = isinstance(r.pop_af, str) and r.pop_af not in (".", "")
        info = f"POP_AF={r.pop_af}" if listed else "."  # PureCN derives DB from POP_AF
        site = f"{r.chrom}\t{r.pos}\t.\t{r.ref}\t{r.alt}\t.\tPASS\t{info}"
        lines.append(f"{site}\tGT:AD:DP\t0/1:{r.ad}:{r.dp}")
    path.write_text("\n".join(lines) + "\n")


def purecn(workdir: Path, results: Path, tumor: str, calls: pd.DataFrame) -> pd.DataFrame | None:
    """PureCN's POSTERIOR.SOMATIC for the candidates that pass every filter but germline."""
    probe = ["Rscript", "-e", "library(PureCN)"]
    if shutil.which("Rscript") is None or subprocess.run(probe, capture_output=True).returncode:
        return None
    outdir = workdir / "purecn"
    outdir.mkdir(exist_ok=True)
    variants = outdir / f"{tumor}_variants.tsv"
    if not variants.exists():
        vcf, seg = outdir / f"{tumor}.vcf", outdir / f"{tumor}.seg"
        purecn_vcf(vcf, results, tumor, calls)
        cns = results / f"cnv/{tumor}.cns"
        export = [str(BIN / "cnvkit.py"), "export", "seg", str(cns), "-o", str(seg)]
        subprocess.run(export, check=True, capture_output=True)
        cnn = results / f"cnv/coverage/{tumor}.targetcoverage.cnn"
        script = REPO / "benchmarks/purecn_somatic.R"
        cnr = results / f"cnv/{tumor}.cnr"
        with open(outdir / f"{tumor}.log", "w") as log:
            subprocess.run(
                [
                    "Rscript",
                    str(script),
                    str(vcf),
                    str(cnn),
                    str(cnr),
                    str(seg),
                    tumor,
                    str(outdir),
                ],
                check=True,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
    table = pd.read_csv(variants, sep="\t", dtype={"chr": str})
    return table.rename(columns={"chr": "chrom", "start": "pos", "REF": "ref", "ALT": "alt"})


def precision_at_recall(
    scores: np.ndarray, is_true: np.ndarray, recall_hits: np.ndarray, n_truth: int, recall: float
) -> float:
    """Precision of the highest-scoring calls whose recall (hits / n_truth) first reaches
    ``recall``; NaN when the scored calls never reach it."""
    order = np.argsort(-scores, kind="stable")
    order = order[np.isfinite(scores[order])]
    hits = np.cumsum(recall_hits[order]) / max(n_truth, 1)
    reach = np.nonzero(hits >= recall - 1e-12)[0]
    if not reach.size:
        return float("nan")
    return float(is_true[order][: reach[0] + 1].mean())


def throughput(n: int = 1_000_000) -> float:
    """Tumor-only candidate sites scored per second (resource AFs and segments given)."""
    from scce_genomics.somatic.model import Candidates, SomaticParams, score
    from scce_genomics.somatic.tumor_only import GermlineEvidence

    rng = np.random.default_rng(0)
    depth = rng.integers(20, 120, n).astype(float)
    alt = rng.binomial(depth.astype(int), rng.choice([0.15, 0.3, 0.5], n)).astype(float)
    pos = np.arange(n) * 100 + 1
    table = pd.DataFrame(
        {"chrom": "chr1", "pos": pos, "ref": "C", "alt": "A", "is_indel": False, "mqbz": 0.0}
    )
    starts = np.arange(0, n * 100, 1_000_000)
    segments = pd.DataFrame(
        {"chrom": "chr1", "start": starts, "end": starts + 1_000_000, "cn": 2, "minor": np.nan}
    )
    zeros = np.zeros(n)
    cand = Candidates(
        table, depth - alt, alt, alt / 2, alt / 2, zeros, alt * 35, zeros, zeros, False
    )
    evidence = GermlineEvidence(
        pop_af=np.where(rng.random(n) < 0.9, rng.random(n) * 0.5, np.nan), segments=segments
    )
    start = time.perf_counter()
    score(cand, SomaticParams(), purity=0.6, germline_evidence=evidence)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="")
    parser.add_argument("--scale", default="1/400")
    parser.add_argument("--snvs", type=int, default=600)
    parser.add_argument("--seed", type=int, default=31)
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench_tumor_only_")).resolve()
    num, den = args.scale.split("/")
    spec = CohortSpec(
        patients=len(PURITIES),
        profiles=("escc", "sclc"),
        tumor_only=0,
        scale=float(num) / float(den),
        tumor_depth=60,
        normal_depth=30,
        snvs=args.snvs,
        seed=args.seed,
        units_per_sample=1,
        purities=PURITIES,
    )
    cohort = workdir / "cohort"
    t0 = time.perf_counter()
    if not (cohort / "truth/cohort.json").exists():
        simulate_cohort(cohort, spec)
    print(f"simulated in {time.perf_counter() - t0:.0f} s: {cohort}")
    fasta = cohort / "reference/genome.fa"
    resource = cohort / "reference/germline_resource.vcf.gz"
    sheet = pd.read_csv(cohort / "samples.tsv", sep="\t")
    tumors = list(sheet.loc[sheet["type"] == "tumor", "sample"])
    tumor_only = sheet.copy()
    tumor_only.loc[tumor_only["type"] == "normal", "patient"] = "PANEL_" + tumor_only["patient"]
    tumor_only["purity"] = ""
    to_sheet = workdir / "samples_tumor_only.tsv"
    tumor_only.to_csv(to_sheet, sep="\t", index=False)
    t0 = time.perf_counter()
    more = (*(f"cnv/{t}.cns" for t in tumors), "somatic/tmb.tsv")
    paired = run_workflow(cohort, workdir, cohort / "samples.tsv", "paired", more)
    print(f"paired workflow: {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    if not (workdir / "tumor_only").exists():  # same reads, same alignments: hard-link them
        for sub in ("reference", "qc/units", "bam"):
            (workdir / "tumor_only" / sub).parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(paired / sub, workdir / "tumor_only" / sub, copy_function=os.link)
    resource_config = {"germline_resource": str(resource)}
    alone = run_workflow(cohort, workdir, to_sheet, "tumor_only", more, somatic=resource_config)
    print(f"tumor-only workflow: {time.perf_counter() - t0:.0f} s")

    catalog = build_catalogs(
        [str(paired / f"somatic/{t}.vcf.gz") for t in tumors]
        + [str(alone / f"somatic/{t}.vcf.gz") for t in tumors],
        fasta,
        names=[f"{t}_paired" for t in tumors] + [f"{t}_tumor_only" for t in tumors],
    ).sbs96
    tmb_p = pd.read_csv(paired / "somatic/tmb.tsv", sep="\t").set_index("sample")
    tmb_t = pd.read_csv(alone / "somatic/tmb.tsv", sep="\t").set_index("sample")
    rows: list[dict[str, object]] = []
    agree, ablation, peer = [], [], []
    for tumor in tumors:
        patient = tumor.removesuffix("T")
        truth = normalised(
            cohort / f"truth/{tumor}.somatic.vcf.gz", fasta, workdir / f"{tumor}.truth.norm.vcf.gz"
        )
        germ = germline_truth(cohort, patient)
        segments = pd.read_csv(cohort / f"truth/{tumor}.cn.tsv", sep="\t")
        purity = float(sheet.set_index("sample").loc[tumor, "purity"])
        fitted = pd.read_json(alone / f"cnv/purity/{tumor}.json", typ="series")["purity"]
        for mode, results in (("paired", paired), ("tumor_only", alone)):
            calls = read_calls(results / f"somatic/{tumor}.vcf.gz")
            for row in evaluate(
                calls, truth, germ, segments, (calls["filter"] == "PASS").to_numpy()
            ):
                rows.append(
                    {"mode": mode, "tumor": tumor, "purity": purity, "cnv_purity": fitted, **row}
                )
        calls = read_calls(alone / f"somatic/{tumor}.vcf.gz")
        agree.append(
            {
                "tumor": tumor,
                "purity": purity,
                "sbs96_cosine": cosine(
                    catalog[f"{tumor}_paired"].to_numpy(float),
                    catalog[f"{tumor}_tumor_only"].to_numpy(float),
                ),
                "tmb_paired": tmb_p.loc[tumor, "tmb_per_mb"],
                "tmb_tumor_only": tmb_t.loc[tumor, "tmb_per_mb"],
            }
        )
        for name, extra in (
            ("no_resource", ["--cns", str(alone / f"cnv/{tumor}.alleles.tsv"),
                             "--cnv-purity", str(alone / f"cnv/purity/{tumor}.json")]),
            ("no_copy_number", ["--germline-resource", str(resource)]),
        ):  # fmt: skip
            ab = read_calls(rescore(workdir, alone, tumor, name, extra))
            for row in evaluate(ab, truth, germ, segments, (ab["filter"] == "PASS").to_numpy()):
                ablation.append({"variant": name, "tumor": tumor, **row})
        pure = purecn(workdir, alone, tumor, calls)
        if pure is not None:
            peer.append(head_to_head(workdir, tumor, purity, calls, truth, pure))
    report(pd.DataFrame(rows), pd.DataFrame(agree), pd.DataFrame(ablation), pd.DataFrame(peer))
    alone_rate, paired_rate = throughput(), paired_throughput()
    print(
        f"\nScoring throughput: tumor-only {alone_rate:,.0f} candidate sites/s, paired "
        f"{paired_rate:,.0f} (same run; ratio {paired_rate / alone_rate:.1f})"
    )


def head_to_head(
    workdir: Path,
    tumor: str,
    purity: float,
    calls: pd.DataFrame,
    truth: pd.DataFrame,
    pure: pd.DataFrame,
) -> dict[str, object]:
    """Ours vs PureCN on the same candidates, each at the other's recall (truth VAF >= 0.1)."""
    cand = calls[calls["filter"].isin(["PASS", "germline"]) & calls["snv"]]
    cand = cand.reset_index(drop=True).merge(pure[[*KEY, "POSTERIOR.SOMATIC"]], on=KEY, how="left")
    snv_truth = truth[truth["type"] == "SNV"]
    high = snv_truth[snv_truth["vaf"] >= MIN_VAF]
    flag = lambda t: cand[KEY].merge(t[KEY].assign(t=1), on=KEY, how="left")["t"].notna()  # noqa: E731
    is_true, hit_high = flag(snv_truth).to_numpy(), flag(high).to_numpy()
    ours = -cand["germq"].to_numpy(float)
    theirs = cand["POSTERIOR.SOMATIC"].fillna(-np.inf).to_numpy(float)
    our_called = (cand["filter"] == "PASS").to_numpy()
    their_called = theirs > 0.5
    our_recall = hit_high[our_called].sum() / max(len(high), 1)
    their_recall = hit_high[their_called].sum() / max(len(high), 1)
    fitted = pd.read_csv(workdir / f"purecn/{tumor}_purity.tsv", sep="\t")["purity"].item()
    return {
        "tumor": tumor,
        "purity": purity,
        "purecn_purity": fitted,
        "candidates": len(cand),
        "purecn_scored": int(np.isfinite(theirs).sum()),
        "ours_recall": our_recall,
        "ours_precision": is_true[our_called].mean(),
        "purecn_precision_at_our_recall": precision_at_recall(
            theirs, is_true, hit_high, len(high), our_recall
        ),
        "purecn_max_recall": hit_high[np.isfinite(theirs)].sum() / max(len(high), 1),
        "purecn_recall": their_recall,
        "purecn_precision": is_true[their_called].mean(),
        "ours_precision_at_purecn_recall": precision_at_recall(
            ours, is_true, hit_high, len(high), their_recall
        ),
    }


def report(
    rows: pd.DataFrame, agree: pd.DataFrame, ablation: pd.DataFrame, peer: pd.DataFrame
) -> None:
    pd.set_option("display.width", 220)
    pd.set_option("display.max_columns", 30)
    print(f"\nSNV recall (truth VAF >= {MIN_VAF}) and precision (all PASS SNVs); FP causes;")
    print("LOH rows: truth segments with minor CN 0 (private_germ: private germline SNPs there)")
    cols = ["mode", "tumor", "purity", "cnv_purity", "region", "recall", "precision", "TP", "FP",
            "FP_germ_listed", "FP_germ_private", "FP_other", "private_germ"]  # fmt: skip
    print(rows[cols].round(3).to_string(index=False))
    total = pooled(rows, ["mode", "region"])
    print("\nPooled over the tumors")
    print(total.round(3).to_string(index=False))
    print("\nTumor-only vs paired, same tumor")
    agree["tmb_rel_diff"] = agree["tmb_tumor_only"] / agree["tmb_paired"] - 1
    print(agree.round(4).to_string(index=False))
    print("\nAblations: the tumor-only candidates re-scored without the resource / copy number")
    print(pooled(ablation, ["variant", "region"]).round(3).to_string(index=False))
    if len(peer):
        print("\nHead-to-head with PureCN 2.4 on the candidates passing every filter but germline")
        print(peer.round(3).to_string(index=False))
    else:
        print("\nPureCN not installed (apt-get install -y r-bioc-purecn): head-to-head skipped")
    genome = total.set_index(["mode", "region"]).loc[("tumor_only", "genome")]
    print("\nGoals")
    print(
        f"- SNV precision >= 0.95 at recall >= 0.90 (VAF >= {MIN_VAF}), purity 0.3-0.8: "
        f"precision {genome['precision']:.3f}, recall {genome['recall']:.3f}"
    )
    if len(peer):
        better = (peer["ours_precision"] >= peer["purecn_precision_at_our_recall"].fillna(0)).all()
        print(f"- as good as or better than PureCN at equal recall on every tumor: {better}")
    print(f"- SBS96 cosine to the paired call >= 0.98: min {agree['sbs96_cosine'].min():.4f}")
    print(f"- TMB within 10% of paired: max |difference| {agree['tmb_rel_diff'].abs().max():.3f}")


if __name__ == "__main__":
    main()
