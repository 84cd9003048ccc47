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
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.errors import InputError

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
    view = [
        "samtools", "view", "-u", "-M", "-L", str(sites), "-e", expression, str(bam),
    ]  # fmt: skip
    pile = ["bcftools", "mpileup", "-f", str(fasta), "-T", str(sites), "-a", "FORMAT/AD"]
    pile += [*mpileup_args, "-Ou", "-"]
    query = ["bcftools", "query", "-f", "%CHROM\t%POS\t%REF\t%ALT\t[%AD]\n"]
    with (
        subprocess.Popen(view, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as p1,
        subprocess.Popen(
            pile, stdin=p1.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        ) as p2,
    ):
        assert p1.stdout is not None and p2.stdout is not None
        p1.stdout.close()  # p2 owns the pipe now
        done = subprocess.run(query, stdin=p2.stdout, capture_output=True, text=True, check=False)
        p2.stdout.close()
        err1 = p1.stderr.read().decode() if p1.stderr else ""
        err2 = p2.stderr.read().decode() if p2.stderr else ""
    if p1.returncode or p2.returncode or done.returncode:
        message = (err1 + err2 + done.stderr).strip()[-500:]
        raise InputError(f"orientation pileup failed: {message}", bam)
    if not done.stdout:
        return pd.DataFrame(columns=["chrom", "pos", "ref", "alts", "ad"])
    return pd.read_csv(
        io.StringIO(done.stdout),
        sep="\t",
        header=None,
        names=["chrom", "pos", "ref", "alts", "ad"],
        dtype={"chrom": str, "ref": str, "alts": str, "ad": str},
    )


def _long(pile: pd.DataFrame) -> pd.DataFrame:
    """One row per (site, alt allele) with its alt and the site's ref read counts."""
    ads = pile["ad"].str.split(",")
    alts = pile["alts"].str.split(",")
    sizes = alts.map(len).to_numpy(dtype=np.int64)
    alt_counts = [int(x) for row in ads for x in row[1:]]
    return pd.DataFrame(
        {
            "chrom": pile["chrom"].to_numpy().repeat(sizes),
            "pos": pile["pos"].to_numpy().repeat(sizes),
            "ref": pile["ref"].to_numpy().repeat(sizes),
            "alt": [a for row in alts for a in row],
            "alt_n": alt_counts,
            "ref_n": ads.str[0].astype(int).to_numpy().repeat(sizes),
        }
    )


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
            pile = _pileup(Path(bam), Path(fasta), sites, expression, args)
            if pile.empty:
                continue
            long = _long(pile)
            merged = out[["chrom", "pos", "ref", "alt"]].merge(
                long, on=["chrom", "pos", "ref", "alt"], how="left"
            )
            out[f"{orient}_alt"] += merged["alt_n"].fillna(0).astype(int).to_numpy()
            per_site = long.drop_duplicates(["chrom", "pos"])[["chrom", "pos", "ref_n"]]
            ref_by_site = out[["chrom", "pos"]].merge(per_site, on=["chrom", "pos"], how="left")
            out[f"{orient}_ref"] += ref_by_site["ref_n"].fillna(0).astype(int).to_numpy()
    return out[columns]
