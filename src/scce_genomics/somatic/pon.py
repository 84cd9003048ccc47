"""Panel of normals: alleles seen in several normals, written once as a standard sites VCF.

An allele that shows up in two or more unrelated normals is a recurrent artifact (mapping,
sequence context) or a common germline variant; a tumor allele found there is not somatic. A
site builds such a panel once from many normals — their BAMs (piled up together, an allele
counts in a normal with at least ``min_alt_reads`` alt reads) or their own VCFs (an allele
counts where the normal's record passes and is not genotyped reference) — and points
``somatic.pon`` at it; the workflow also builds one from the normals of the sample sheet, the
same way.

The panel is a sites-only VCF (INFO ``N_NORMALS``, ``PON_SIZE`` in the header), sorted in
reference order, bgzipped and tabix-indexed, so bcftools, IGV and GATK read it too.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pysam

from scce_genomics import __version__
from scce_genomics.errors import InputError
from scce_genomics.fileio import write_bgzipped_vcf
from scce_genomics.somatic.pileup import NO_ALT, pipeline_output

__all__ = ["alleles_from_bams", "alleles_from_vcfs", "write_pon"]

_KEY = ["chrom", "pos", "ref", "alt"]


def _table(text: bytes, names: list[str]) -> pd.DataFrame:
    if not text:
        return pd.DataFrame(columns=names)
    return pd.read_csv(io.BytesIO(text), sep="\t", header=None, names=names, dtype=str)


def _pileup_chunk(
    bams: Sequence[str], fasta: str, bed: str | None, mpileup_extra: Sequence[str], min_alt: int
) -> pd.DataFrame:
    """Alleles and the number of normals with ``min_alt`` alt reads, for one genome chunk."""
    region = ["-R", bed] if bed else []
    text = pipeline_output(
        [
            ["bcftools", "mpileup", "-f", fasta, *region, "-a", "FORMAT/AD", *mpileup_extra,
             "-Ou", *bams],
            ["bcftools", "view", "-e", NO_ALT, "-Ou", "-"],  # norm only sites with an allele
            ["bcftools", "norm", "-f", fasta, "-m", "-any", "-Ou", "-"],
            ["bcftools", "query", "-i", f'ALT!="<*>" && N_PASS(FMT/AD[:1]>={min_alt})>=1',
             "-f", "%CHROM\t%POS\t%REF\t%ALT\t[%AD;]\n", "-"],
        ],
        "bcftools mpileup of the normals",
    )  # fmt: skip
    table = _table(text, [*_KEY, "ad"])
    if table.empty:
        return pd.DataFrame(columns=[*_KEY, "n_normals"])
    per_normal = table["ad"].str.rstrip(";").str.split(";", expand=True)
    alt_reads = per_normal.apply(
        lambda col: pd.to_numeric(col.str.split(",").str[1], errors="coerce")
    )
    table["n_normals"] = (alt_reads.fillna(0).to_numpy() >= min_alt).sum(axis=1)
    return table[[*_KEY, "n_normals"]]


def alleles_from_bams(
    bams: Sequence[str | Path],
    fasta: str | Path,
    min_alt_reads: int = 2,
    mpileup_extra: Sequence[str] = ("-q", "20", "-Q", "20"),
    chunks: Sequence[str | Path] = (),
    threads: int = 1,
) -> pd.DataFrame:
    """Per allele (chrom, pos, ref, alt): how many of the normals carry ``min_alt_reads``.

    All BAMs are piled up together (``bcftools mpileup``, alleles split and left-aligned by
    ``bcftools norm``); ``chunks`` (BED files) run in parallel on ``threads`` workers.
    """
    for bam in bams:
        if not Path(bam).is_file():
            raise InputError("normal BAM not found", bam)
    names = [str(b) for b in bams]
    beds: list[str | None] = [str(c) for c in chunks] or [None]
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        parts = list(
            pool.map(
                lambda bed: _pileup_chunk(names, str(fasta), bed, mpileup_extra, min_alt_reads),
                beds,
            )
        )
    return pd.concat(parts, ignore_index=True)


def alleles_from_vcfs(vcfs: Sequence[str | Path], fasta: str | Path) -> pd.DataFrame:
    """Per allele: how many of the per-normal VCFs carry it (a passing, non-reference record)."""
    seen: list[pd.DataFrame] = []
    for vcf in vcfs:
        try:
            with pysam.VariantFile(str(vcf)) as handle:
                has_gt = "GT" in handle.header.formats and len(handle.header.samples) > 0
        except (OSError, ValueError) as err:
            raise InputError(f"cannot read the normal's VCF ({err})", vcf) from None
        genotyped = ["-e", 'GT[0]="ref" || GT[0]="mis"'] if has_gt else []
        text = pipeline_output(
            [
                ["bcftools", "view", "-f", "PASS,.", "-Ou", str(vcf)],
                ["bcftools", "norm", "-f", str(fasta), "-m", "-any", "-Ou", "-"],
                ["bcftools", "query", *genotyped, "-f", "%CHROM\t%POS\t%REF\t%ALT\n", "-"],
            ],
            "reading the normal's VCF",
            vcf,
        )
        table = _table(text, _KEY).drop_duplicates()
        seen.append(table[table["alt"] != "<*>"])
    if not seen:
        return pd.DataFrame(columns=[*_KEY, "n_normals"])
    every = pd.concat(seen, ignore_index=True)
    return every.groupby(_KEY, as_index=False).size().rename(columns={"size": "n_normals"})


def write_pon(
    alleles: pd.DataFrame,
    fai: str | Path,
    out: str | Path,
    min_normals: int,
    n_normals: int,
    command: str = "",
) -> int:
    """Write alleles seen in ``min_normals`` or more normals; returns how many were written."""
    fai_table = pd.read_csv(fai, sep="\t", header=None, usecols=[0, 1], dtype={0: str})
    contigs = dict(zip(fai_table[0], fai_table[1].astype(int), strict=True))
    counts = alleles.astype({"pos": np.int64, "n_normals": np.int64})
    table = counts.groupby(_KEY, as_index=False).agg(n_normals=("n_normals", "sum"))
    table = table[(table["n_normals"] >= min_normals) & table["chrom"].isin(contigs)]
    order = {c: i for i, c in enumerate(contigs)}
    table = table.assign(_o=table["chrom"].map(order)).sort_values(["_o", "pos", "ref", "alt"])
    header = [
        "##fileformat=VCFv4.2",
        f"##source=scce-genomics {__version__} panel of normals",
        *([f"##scce-genomicsCommand={command}"] if command else []),
        f"##PON_SIZE={n_normals}",
        f"##PON_MIN_NORMALS={min_normals}",
        *(f"##contig=<ID={c},length={n}>" for c, n in contigs.items()),
        '##INFO=<ID=N_NORMALS,Number=1,Type=Integer,Description="Normals carrying the allele">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    body = (
        table["chrom"] + "\t" + table["pos"].astype(str) + "\t.\t" + table["ref"] + "\t"
        + table["alt"] + "\t.\t.\tN_NORMALS=" + table["n_normals"].astype(str)
    )  # fmt: skip
    write_bgzipped_vcf(out, header, body.tolist())
    return len(table)
