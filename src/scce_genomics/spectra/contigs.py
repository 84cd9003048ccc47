"""Checks that somatic VCFs were called against the reference FASTA the spectra read contexts
from: contig naming style, contig lengths and positions.

A mismatch here would not crash the counting, it would quietly give wrong or empty catalogues
(every variant skipped as on an unknown contig, or counted in another context), so each is an
error that names the VCF, both sides and the fix. Contigs that are simply absent from the FASTA
(decoys, HLA, unplaced scaffolds) are not an error: their variants are counted as skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.errors import InputError

__all__ = [
    "check_contig_lengths",
    "check_naming_style",
    "check_positions",
    "other_style",
    "unknown_contigs",
]

#: The mitochondrion's names in the two styles (UCSC ``chrM``, Ensembl/NCBI ``MT``).
_MITO = {"chrM": "MT", "MT": "chrM"}


def other_style(contig: str) -> str:
    """The contig's name in the other naming style: ``21`` <-> ``chr21``, ``MT`` <-> ``chrM``."""
    if contig in _MITO:
        return _MITO[contig]
    return contig[3:] if contig.startswith("chr") else f"chr{contig}"


def check_naming_style(
    contigs: Sequence[str], fasta_lengths: Mapping[str, int], vcf: Path, fasta: Path
) -> None:
    """Refuse a VCF whose contigs are named in the other style from the FASTA's."""
    for contig in contigs:
        if contig in fasta_lengths:
            continue
        other = other_style(contig)
        if other in fasta_lengths:
            raise InputError(
                f"contig names differ in style: the VCF has '{contig}' where the FASTA {fasta} "
                f"has '{other}'; rename the VCF's contigs (bcftools annotate --rename-chrs) or "
                "give the FASTA the calls were made against",
                vcf,
            )


def check_contig_lengths(
    header_lengths: Mapping[str, int],
    contigs: Sequence[str],
    fasta_lengths: Mapping[str, int],
    vcf: Path,
    fasta: Path,
) -> None:
    """Refuse a VCF whose header gives a variant-carrying contig another length than the FASTA.

    Only contigs that carry variants are compared, so a header listing extra contigs (or an
    hg19 ``chrM`` of 16,571 bp with no call on it) does not stop a run.
    """
    for contig in contigs:
        said, have = header_lengths.get(contig), fasta_lengths.get(contig)
        if said is not None and have is not None and said != have:
            raise InputError(
                f"{contig} is {said} bp in the VCF header but {have} bp in the FASTA {fasta}: "
                "the calls were made against another reference; give that reference's FASTA",
                vcf,
            )


def check_positions(
    variants: pd.DataFrame, fasta_lengths: Mapping[str, int], vcfs: Sequence[Path], fasta: Path
) -> None:
    """Refuse a variant whose REF allele runs past its contig's end in the FASTA.

    ``variants`` has chrom, pos, ref and ``sample`` (the index into ``vcfs``).
    """
    codes, contigs = pd.factorize(variants["chrom"])
    lengths = np.array([fasta_lengths.get(c, np.inf) for c in contigs], dtype=np.float64)
    end = variants["pos"].to_numpy(dtype=np.int64) + variants["ref"].str.len().to_numpy() - 1
    beyond = np.flatnonzero(end > lengths[codes])  # unknown contigs are skipped elsewhere
    if len(beyond):
        row = variants.iloc[int(beyond[0])]
        chrom, pos = row["chrom"], int(row["pos"])
        raise InputError(
            f"{chrom}:{pos} is beyond the end of {chrom} ({fasta_lengths[chrom]} bp) in the "
            f"FASTA {fasta}: the calls were made against another reference; give its FASTA",
            vcfs[int(row["sample"])],
        )


def unknown_contigs(variants: pd.DataFrame, fasta_lengths: Mapping[str, int]) -> pd.Series:
    """Variants per contig that the FASTA lacks, most first (empty when all are known)."""
    missing = variants.loc[~variants["chrom"].isin(list(fasta_lengths)), "chrom"]
    return missing.value_counts()
