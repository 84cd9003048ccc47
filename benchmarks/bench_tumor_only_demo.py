"""The demo's tumor-only tumor: its calls against the truth, its SBS96 against the references.

Simulates the demo (``scce-genomics simulate --seed 7``: P1 and P2 paired, P3 an ESCC-profile
tumor without a normal), runs the workflow's somatic stage with the simulated population
resource (``somatic.germline_resource``), and prints for every tumor the PASS SNV count,
precision and recall against the truth, and the cosine of its SBS96 to the ESCC, EAC and SCLC
reference spectra (pooled catalogue of each reference cohort) — for the calls, for the same
candidates re-scored without the resource, and for the truth itself.

    python benchmarks/bench_tumor_only_demo.py [--workdir DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_somatic import run_workflow
from bench_tumor_only import read_calls, rescore

from scce_genomics.simulate.cohort import CohortSpec, simulate_cohort
from scce_genomics.spectra.catalogues import build_catalogs

REPO = Path(__file__).resolve().parents[1]
REFERENCES = ("ESCC", "EAC", "SCLC")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="")
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench_demo_")).resolve()
    cohort = workdir / "demo"
    if not (cohort / "truth/cohort.json").exists():
        simulate_cohort(cohort, CohortSpec(seed=7))
    resource = cohort / "reference/germline_resource.vcf.gz"
    results = run_workflow(
        cohort, workdir, cohort / "samples.tsv", "results",
        somatic={"germline_resource": str(resource)},
    )  # fmt: skip
    fasta = results / "reference/genome.fa"
    sheet = pd.read_csv(cohort / "samples.tsv", sep="\t")
    tumors = list(sheet.loc[sheet["type"] == "tumor", "sample"])
    vcfs, names = [], []
    for tumor in tumors:
        vcfs += [results / f"somatic/{tumor}.vcf.gz", cohort / f"truth/{tumor}.somatic.vcf.gz"]
        names += [f"{tumor} calls", f"{tumor} truth"]
        if not sheet.loc[sheet["sample"] == tumor.removesuffix("T") + "N"].shape[0]:
            cns = ["--cns", str(results / f"cnv/{tumor}.alleles.tsv")]
            cns += ["--cnv-purity", str(results / f"cnv/purity/{tumor}.json")]
            vcfs.append(rescore(workdir, results, tumor, "no_resource", cns))
            names.append(f"{tumor} calls without resource")
    catalog = build_catalogs([str(v) for v in vcfs], fasta, names=names).sbs96
    refs = {
        name: pd.read_csv(REPO / f"resources/references/{name}/sbs96_profile.tsv", sep="\t")
        .set_index("MutationType")["pooled"]
        .reindex(catalog.index)
        .to_numpy(float)
        for name in REFERENCES
    }
    rows = []
    for label, vcf in zip(names, vcfs, strict=True):
        counts = catalog[label].to_numpy(float)
        row: dict[str, object] = {"spectrum": label, "SBS": int(counts.sum())}
        if not label.endswith("truth"):
            tumor = label.split()[0]
            calls = read_calls(Path(vcf))
            passed = calls[(calls["filter"] == "PASS") & calls["snv"]]
            truth = read_calls_truth(cohort / f"truth/{tumor}.somatic.vcf.gz")
            hit = passed.merge(truth, on=["chrom", "pos", "ref", "alt"])
            row.update(precision=len(hit) / max(len(passed), 1), recall=len(hit) / len(truth))
        cos = {name: float(counts @ ref / np.linalg.norm(counts) / np.linalg.norm(ref))
               for name, ref in refs.items()}  # fmt: skip
        row.update({f"cos_{k}": v for k, v in cos.items()})
        row["closest"] = max(cos, key=cos.__getitem__)
        rows.append(row)
    pd.set_option("display.width", 200)
    print(pd.DataFrame(rows).round(3).to_string(index=False))


def read_calls_truth(vcf: Path) -> pd.DataFrame:
    """The truth's SNVs (chrom, pos, ref, alt)."""
    query = ["bcftools", "query", "-i", 'INFO/TYPE="SNV"', "-f", "%CHROM\t%POS\t%REF\t%ALT\n"]
    text = subprocess.run([*query, str(vcf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split("\t") for line in text.splitlines()]
    df = pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt"])
    return df.assign(pos=df["pos"].astype(int))


if __name__ == "__main__":
    main()
