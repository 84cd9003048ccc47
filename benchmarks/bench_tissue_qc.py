"""Stored-tissue QC on simulated cohorts: identity (matched vs swapped), contamination vs truth,
C>T artifact rate FFPE vs fresh.

Simulates two-patient cohorts (scale 1/1000; P1 tumor FFPE, P2 tumor fresh) with the normals
contaminated at 0/2/5/10 %, aligns with bwa mem, genotypes with bcftools and prints tables.
Usage: python benchmarks/bench_tissue_qc.py [WORKDIR]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from scce_genomics.tissue.contamination import contamination_estimate
from scce_genomics.tissue.damage import artifact_table, count_oriented
from scce_genomics.tissue.identity import identity_check, read_site_counts


def sh(cmd: str) -> None:
    subprocess.run(cmd, shell=True, check=True, stderr=subprocess.DEVNULL)


def cohort(work: Path, frac: float) -> Path:
    d = work / f"c{int(frac * 100):02d}"
    if not (d / "samples.tsv").is_file():
        sh(
            f"scce-genomics simulate --outdir {d} --scale 1/1000 --patients 2 --tumor-only 0 "
            f"--tumor-depth 30 --normal-depth 30 --snvs 50 --units 1 --seed 4 "
            f"--contaminate-normal {frac}"
        )
    ref = d / "reference" / "genome.fa"
    if not Path(f"{ref}.bwt").is_file():
        sh(f"bwa index {ref} && samtools faidx {ref}")
    units = pd.read_csv(d / "units.tsv", sep="\t")
    for row in units.itertuples():
        bam = d / f"{row.sample}.bam"
        if not bam.is_file():
            sh(
                f"bwa mem -t 2 -R '@RG\\tID:{row.sample}\\tSM:{row.sample}' {ref} "
                f"{d / row.fq1} {d / row.fq2} | samtools sort -o {bam} - && samtools index {bam}"
            )
    for p in ("P1", "P2"):
        sites, gts = d / f"{p}.sites.vcf.gz", d / f"{p}.gt.vcf.gz"
        if not gts.is_file():
            sh(
                f"bcftools mpileup -f {ref} -a AD -d 1000 -Ou {d}/{p}N.bam | bcftools call -mv -Ou"
                f" | bcftools view -v snps -m2 -M2 -Oz -o {sites} && bcftools index -t {sites}"
            )
            sh(
                f"bcftools mpileup -f {ref} -a AD -d 1000 -T {sites} -Oz -o {gts} "
                f"{d}/{p}N.bam {d}/{p}T.bam {d}/{'P2' if p == 'P1' else 'P1'}T.bam"
            )
    return d


def main() -> None:
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    rows, ident, dmg = [], [], []
    for frac in (0.0, 0.02, 0.05, 0.10):
        d = cohort(work, frac)
        for p in ("P1", "P2"):
            counts = read_site_counts(d / f"{p}.gt.vcf.gz", d / f"{p}.sites.vcf.gz")
            est = contamination_estimate(counts, f"{p}N", f"{p}N")
            rows.append(
                {
                    "truth": frac,
                    "normal": f"{p}N",
                    "sites": est["n_sites"],
                    "estimate": est["contamination"],
                    "se": est["se"],
                }
            )
            if frac == 0.0:
                other = "P2T" if p == "P1" else "P1T"
                for tumor, kind in ((f"{p}T", "matched"), (other, "swapped")):
                    r = identity_check(counts, tumor, f"{p}N")
                    ident.append(
                        {
                            "normal": f"{p}N",
                            "tumor": tumor,
                            "pair": kind,
                            "sites": r["n_sites"],
                            "concordance": r["concordance"],
                            "verdict": r["verdict"],
                        }
                    )
        if frac == 0.0:
            for s, tissue in (("P1T", "ffpe"), ("P2T", "fresh"), ("P1N", "blood")):
                c, n = count_oriented(d / f"{s}.bam", d / "reference" / "genome.fa")
                t = artifact_table(c, s, n).set_index("substitution")
                dmg.append(
                    {
                        "sample": s,
                        "tissue": tissue,
                        "reads": n,
                        "C>T_artifact": t.loc["C>T", "artifact_rate"],
                        "C>T_bias": t.loc["C>T", "orientation_bias"],
                        "G>T_artifact": t.loc["G>T", "artifact_rate"],
                    }
                )
    pd.set_option("display.width", 120)
    print("Identity: tumor/normal genotype concordance (min depth 10)")
    print(pd.DataFrame(ident).to_string(index=False))
    print("\nContamination of the normal: estimate vs simulated truth")
    print(pd.DataFrame(rows).to_string(index=False))
    print("\nPre-adapter artifact rates (simulated FFPE deamination rate 0.01 per C)")
    print(pd.DataFrame(dmg).to_string(index=False, float_format=lambda x: f"{x:.5f}"))


if __name__ == "__main__":
    main()
