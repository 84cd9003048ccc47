"""Read-orientation allele counts at candidate SNVs (the FFPE/oxidation artifact signal).

A damaged base sits on one original strand, so its alt reads all come from fragments of one
orientation: F1R2 (read 1 forward, read 2 reverse) or F2R1. bcftools reports strands, not
orientations, so we run ``bcftools mpileup`` four times on the candidate sites only, once per
(read 1|read 2) × (forward|reverse) flag combination, and add the counts up.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pandas as pd

from scce_genomics.errors import InputError

__all__ = ["orientation_counts"]

#: (include reads with any of these flags, exclude reads with any of these, orientation).
#: 64 read 1, 128 read 2, 16 reverse; 1796 = unmapped, secondary, QC-fail, duplicate (the
#: mpileup default exclusion, which an explicit --ff replaces).
_SUBSETS = (
    ("64", str(1796 | 16), "f1r2"),  # read 1 forward
    ("16", str(1796 | 64), "f1r2"),  # read 2 reverse
    ("16", str(1796 | 128), "f2r1"),  # read 1 reverse
    ("128", str(1796 | 16), "f2r1"),  # read 2 forward
)


def _mpileup(bam: Path, fasta: Path, sites: Path, require: str, exclude: str) -> pd.DataFrame:
    cmd = [
        "bcftools", "mpileup", "-f", str(fasta), "-T", str(sites), "-a", "FORMAT/AD",
        "-d", "100000", "-q", "20", "-Q", "20", "--rf", require, "--ff", exclude,
        "-Ou", str(bam),
    ]
    query = ["bcftools", "query", "-f", "%CHROM\t%POS\t%REF\t%ALT\t[%AD]\n"]
    pile = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    done = subprocess.run(query, stdin=pile.stdout, capture_output=True, text=True, check=False)
    pile.wait()
    if pile.returncode != 0 or done.returncode != 0:
        message = (pile.stderr.read().decode() if pile.stderr else "") + done.stderr
        raise InputError(f"bcftools mpileup failed on {bam}: {message.strip()[-500:]}", bam)
    return pd.read_csv(
        io.StringIO(done.stdout), sep="\t", header=None, names=["chrom", "pos", "ref", "alts", "ad"],
        dtype={"chrom": str, "alts": str, "ad": str},
    )


def orientation_counts(bam: str | Path, fasta: str | Path, candidates: pd.DataFrame) -> pd.DataFrame:
    """Alt/ref read counts per orientation at the SNV ``candidates`` (chrom, pos, ref, alt)."""
    snvs = candidates[(candidates["ref"].str.len() == 1) & (candidates["alt"].str.len() == 1)]
    keys = snvs[["chrom", "pos", "ref", "alt"]].drop_duplicates()
    out = keys.copy()
    for column in ("f1r2_alt", "f2r1_alt", "f1r2_ref", "f2r1_ref"):
        out[column] = 0
    if keys.empty:
        return out
    bam, fasta = Path(bam), Path(fasta)
    sites = bam.parent / f".{bam.name}.orientation-sites.tsv"
    keys[["chrom", "pos"]].drop_duplicates().to_csv(sites, sep="\t", header=False, index=False)
    try:
        for require, exclude, orient in _SUBSETS:
            pile = _mpileup(bam, fasta, sites, require, exclude)
            if pile.empty:
                continue
            # expand "A,<*>" alleles against "ref,alt1,alt2" depths
            ads = pile["ad"].str.split(",")
            alts = pile["alts"].str.split(",")
            ref_count = ads.str[0].astype(int)
            long = pd.DataFrame(
                {
                    "chrom": pile["chrom"].repeat(alts.str.len()),
                    "pos": pile["pos"].repeat(alts.str.len()),
                    "ref": pile["ref"].repeat(alts.str.len()),
                    "alt": [a for row in alts for a in row],
                    "alt_n": [int(x) for row in ads for x in row[1:]],
                    "ref_n": ref_count.repeat(alts.str.len()).to_numpy(),
                }
            )
            merged = out[["chrom", "pos", "ref", "alt"]].merge(
                long, on=["chrom", "pos", "ref", "alt"], how="left"
            )
            out[f"{orient}_alt"] += merged["alt_n"].fillna(0).astype(int).to_numpy()
            ref_by_site = out[["chrom", "pos"]].merge(
                pile[["chrom", "pos"]].assign(ref_n=ref_count), on=["chrom", "pos"], how="left"
            )
            out[f"{orient}_ref"] += ref_by_site["ref_n"].fillna(0).astype(int).to_numpy()
    finally:
        sites.unlink(missing_ok=True)
    return out
