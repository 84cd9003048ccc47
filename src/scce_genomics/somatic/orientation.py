"""Read-orientation allele counts at candidate SNVs (the FFPE/oxidation artifact signal).

A damaged base sits on one original strand, so its alt reads all come from fragments of one
orientation: F1R2 (read 1 forward, read 2 reverse) or F2R1. bcftools reports strands, not
orientations, so per orientation ``samtools view`` pulls only the reads of that orientation
overlapping the candidate sites (index jumps, not a pass over the BAM) and ``bcftools mpileup``
counts their alleles. Only SNVs of the damage classes (C>T, G>A, G>T, C>A) are counted: no
other candidate can be an orientation artifact.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.somatic.pileup import pipeline_output

__all__ = ["DAMAGE_SUBSTITUTIONS", "orientation_counts"]

#: (ref, alt) pairs that deamination or 8-oxoG oxidation can fake (both strands).
DAMAGE_SUBSTITUTIONS = frozenset({("C", "T"), ("G", "A"), ("G", "T"), ("C", "A")})

#: samtools filter expressions of the two fragment orientations.
_ORIENTATIONS = (
    ("f1r2", "(flag.read1 && !flag.reverse) || (flag.read2 && flag.reverse)"),
    ("f2r1", "(flag.read1 && flag.reverse) || (flag.read2 && !flag.reverse)"),
)


def _pileup(
    bam: Path, fasta: Path, sites: Path, expression: str, mpileup_args: list[str]
) -> pd.DataFrame:
    """One row per (site, alt allele): ``alt_n`` its reads, ``ref_n`` the site's ref reads.

    ``bcftools norm -m -any`` splits the alleles and ``%AD{i}`` their depths, so the counts
    arrive as numbers: a whole-genome candidate set is hundreds of thousands of sites, too many
    for a Python list per site (650,000 sites took 500 MB that way).
    """
    view = [
        "samtools", "view", "-u", "-M", "-L", str(sites), "-e", expression, str(bam),
    ]  # fmt: skip
    pile = ["bcftools", "mpileup", "-f", str(fasta), "-T", str(sites), "-a", "FORMAT/AD"]
    pile += [*mpileup_args, "-Ou", "-"]
    split = ["bcftools", "norm", "-m", "-any", "-Ou", "-"]
    query = ["bcftools", "query", "-f", "%CHROM\t%POS\t%REF\t%ALT\t[%AD{0}\t%AD{1}]\n"]
    text = pipeline_output([view, pile, split, query], "orientation pileup", bam)
    names = ["chrom", "pos", "ref", "alt", "ref_n", "alt_n"]
    if not text:
        return pd.DataFrame(columns=names)
    counts = pd.read_csv(
        io.BytesIO(text), sep="\t", header=None, names=names, na_values=["."],
        keep_default_na=False,
        dtype={"chrom": str, "pos": np.int64, "ref": str, "alt": str, "ref_n": np.float64,
               "alt_n": np.float64},
    )  # fmt: skip
    counts[["ref_n", "alt_n"]] = counts[["ref_n", "alt_n"]].fillna(0).astype(np.int64)
    return counts


def orientation_counts(
    bam: str | Path,
    fasta: str | Path,
    candidates: pd.DataFrame,
    mpileup_args: list[str] | None = None,
) -> pd.DataFrame:
    """F1R2/F2R1 alt and ref read counts at the damage-class SNV ``candidates``.

    ``candidates`` has chrom, pos (1-based), ref, alt; ``mpileup_args`` should repeat the
    quality options of the candidate pileup (default ``-q 20 -Q 20``) so counts agree.
    """
    columns = ["chrom", "pos", "ref", "alt", "f1r2_alt", "f2r1_alt", "f1r2_ref", "f2r1_ref"]
    pairs = pd.Series(list(zip(candidates["ref"], candidates["alt"], strict=True)), dtype=object)
    damage = pairs.isin(DAMAGE_SUBSTITUTIONS).to_numpy(dtype=bool)
    keys = candidates.loc[damage, ["chrom", "pos", "ref", "alt"]].drop_duplicates()
    out = keys.reset_index(drop=True)
    for column in columns[4:]:
        out[column] = 0
    if keys.empty:
        return out[columns]
    args = mpileup_args if mpileup_args is not None else ["-q", "20", "-Q", "20"]
    with tempfile.TemporaryDirectory(prefix="scce-orientation-") as tmp:
        sites = Path(tmp) / "sites.bed"
        bed = keys[["chrom", "pos"]].drop_duplicates()
        bed.assign(start=bed["pos"] - 1)[["chrom", "start", "pos"]].to_csv(
            sites, sep="\t", header=False, index=False
        )
        for orient, expression in _ORIENTATIONS:
            long = _pileup(Path(bam), Path(fasta), sites, expression, args)
            if long.empty:
                continue
            merged = out[["chrom", "pos", "ref", "alt"]].merge(
                long, on=["chrom", "pos", "ref", "alt"], how="left"
            )
            out[f"{orient}_alt"] += merged["alt_n"].fillna(0).astype(int).to_numpy()
            per_site = long.drop_duplicates(["chrom", "pos"])[["chrom", "pos", "ref_n"]]
            ref_by_site = out[["chrom", "pos"]].merge(per_site, on=["chrom", "pos"], how="left")
            out[f"{orient}_ref"] += ref_by_site["ref_n"].fillna(0).astype(int).to_numpy()
    return out[columns]
