"""BAM input on real reads: reads kept when a region-cut BAM is realigned, and start-up checks.

Aligns the DREAM tumor lanes (resources/real/dream_tiny_b37) with bwa mem, cuts regions out of
the sorted BAM (a cut BAM is mostly orphan mates) and counts the reads that reach bwa:
  - pairs only: `samtools collate | samtools fastq -s /dev/null -0 /dev/null` (singletons and
    orphan mates discarded, the earlier way);
  - every read: `samtools fastq -1 -2 -s -0` (pairs, singletons/orphans, unpaired reads), the
    workflow's bam_to_fastq rule.
Then times the start-up check of a BAM header against the reference (check_bam_units).
Usage: python benchmarks/bench_bam_input.py [WORKDIR]
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from scce_genomics.align.reads import check_bam_units
from scce_genomics.reference.prepare import reference_lengths

REPO = Path(__file__).resolve().parents[1]
REAL = REPO / "resources/real/dream_tiny_b37"
REGIONS = ("1:133500-134200", "1:132700-134000", "1:136000-139738")


def sh(cmd: str) -> str:
    return subprocess.run(
        cmd, shell=True, check=True, capture_output=True, text=True, executable="/bin/bash"
    ).stdout


def fastq_reads(*paths: Path) -> int:
    total = 0
    for path in paths:
        with gzip.open(path, "rt") as handle:
            total += sum(1 for _ in handle) // 4
    return total


def main(work: Path) -> None:
    ref = work / "ref.fa"
    if not ref.is_file():
        sh(f"zcat {REAL}/reference/human_g1k_v37_decoy.small.fasta.gz > {ref}")
        sh(f"bwa index {ref} 2>/dev/null && samtools faidx {ref}")
    bam = work / "tumor.bam"
    if not bam.is_file():
        r1 = sorted((REAL / "tiny/tumor").glob("*_R1_*.fastq.gz"))
        r2 = [Path(str(p).replace("_R1_", "_R2_")) for p in r1]
        sh(
            f"bwa mem -t 2 {ref} <(zcat {' '.join(map(str, r1))}) "
            f"<(zcat {' '.join(map(str, r2))}) 2>/dev/null | samtools sort -o {bam} - "
            f"&& samtools index {bam}"
        )
    rows = []
    for region in REGIONS:
        cut = work / f"cut_{region.replace(':', '_')}.bam"
        sh(f"samtools view -b -o {cut} {bam} {region}")
        primary = int(sh(f"samtools view -c -F 0x900 {cut}"))
        pairs_only = (
            int(
                sh(
                    f"samtools collate -O -u {cut} {work}/c1 | samtools fastq -s /dev/null "
                    f"-0 /dev/null - 2>/dev/null | wc -l"
                )
            )
            // 4
        )
        out = {k: work / f"{k}.fq.gz" for k in ("r1", "r2", "s", "o")}
        sh(
            f"samtools collate -O -u {cut} {work}/c2 | samtools fastq -1 {out['r1']} "
            f"-2 {out['r2']} -s {out['s']} -0 {out['o']} - 2>/dev/null"
        )
        every = fastq_reads(*out.values())
        rows.append(
            {
                "region": region,
                "primary_reads": primary,
                "pairs_only_kept": pairs_only,
                "pairs_only_lost_%": round(100 * (1 - pairs_only / primary), 1),
                "every_read_kept": every,
            }
        )
    print(pd.DataFrame(rows).to_string(index=False))

    units = pd.DataFrame(
        {"sample": ["T"], "unit": ["L1"], "bam": [str(bam)], "sheet_line": [2]}
    ).set_index(["sample", "unit"], drop=False)
    start = time.perf_counter()
    for _ in range(20):
        check_bam_units(units, "units.tsv", lambda: reference_lengths(ref), realign_bam=False)
    per_check = (time.perf_counter() - start) / 20
    print(f"\nstart-up BAM header check against the FASTA: {per_check * 1000:.1f} ms per BAM")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
