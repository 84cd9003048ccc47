"""VCF (annotated by ``bcftools csq``) to MAF, the format maftools and cBioPortal read.

csq writes ``INFO/BCSQ`` as ``consequence|gene|transcript|biotype|strand|aa_change|dna_change``
for every transcript; each variant gets the most severe consequence, mapped to the MAF
``Variant_Classification`` vocabulary (Missense_Mutation, Nonsense_Mutation, ...).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from cyvcf2 import VCF

from scce_genomics.errors import InputError

__all__ = ["MAF_COLUMNS", "NON_SILENT", "classify", "vcf_to_maf"]

MAF_COLUMNS = (
    "Hugo_Symbol",
    "Entrez_Gene_Id",
    "Center",
    "NCBI_Build",
    "Chromosome",
    "Start_Position",
    "End_Position",
    "Strand",
    "Variant_Classification",
    "Variant_Type",
    "Reference_Allele",
    "Tumor_Seq_Allele1",
    "Tumor_Seq_Allele2",
    "Tumor_Sample_Barcode",
    "Matched_Norm_Sample_Barcode",
    "HGVSp_Short",
    "Transcript_ID",
    "t_depth",
    "t_ref_count",
    "t_alt_count",
    "n_depth",
    "n_ref_count",
    "n_alt_count",
    "FILTER",
)

#: maftools' default non-synonymous classes (used for driver-gene frequencies).
NON_SILENT: tuple[str, ...] = (
    "Frame_Shift_Del",
    "Frame_Shift_Ins",
    "Splice_Site",
    "Translation_Start_Site",
    "Nonsense_Mutation",
    "Nonstop_Mutation",
    "In_Frame_Del",
    "In_Frame_Ins",
    "Missense_Mutation",
)

#: csq consequence -> (severity rank, MAF class); lower rank is more severe.
_CONSEQUENCE = {
    "stop_gained": (0, "Nonsense_Mutation"),
    "frameshift": (1, "Frame_Shift"),
    "splice_acceptor": (2, "Splice_Site"),
    "splice_donor": (2, "Splice_Site"),
    "start_lost": (3, "Translation_Start_Site"),
    "stop_lost": (4, "Nonstop_Mutation"),
    "inframe_deletion": (5, "In_Frame_Del"),
    "inframe_insertion": (5, "In_Frame_Ins"),
    "inframe_altering": (5, "In_Frame"),
    "missense": (6, "Missense_Mutation"),
    "splice_region": (7, "Splice_Region"),
    "synonymous": (8, "Silent"),
    "stop_retained": (8, "Silent"),
    "start_retained": (8, "Silent"),
    "5_prime_utr": (9, "5'UTR"),
    "3_prime_utr": (9, "3'UTR"),
    "non_coding": (10, "RNA"),
    "intron": (11, "Intron"),
}
_AA = re.compile(r"^(\d+)([A-Z*]+)(?:>(\d+)([A-Z*]+))?")


def classify(bcsq: str | None, variant_type: str) -> tuple[str, str, str, str]:
    """(Hugo_Symbol, Variant_Classification, HGVSp_Short, transcript) of the worst consequence."""
    best: tuple[int, str, str, str, str] | None = None
    for entry in (bcsq or "").split(","):
        fields = entry.split("|")
        if len(fields) < 2 or fields[0].startswith("@"):
            continue
        for consequence in fields[0].lstrip("*").split("&"):
            rank, cls = _CONSEQUENCE.get(consequence, (12, "IGR"))
            aa = fields[5] if len(fields) > 5 else ""
            tx = fields[2] if len(fields) > 2 else ""
            if best is None or rank < best[0]:
                best = (rank, fields[1], cls, aa, tx)
    if best is None:
        return "Unknown", "IGR", "", ""
    _, gene, cls, aa, tx = best
    if cls == "Frame_Shift":
        cls = "Frame_Shift_Del" if variant_type == "DEL" else "Frame_Shift_Ins"
    elif cls == "In_Frame":
        cls = "In_Frame_Del" if variant_type == "DEL" else "In_Frame_Ins"
    hgvsp = ""
    match = _AA.match(aa)
    if match and cls not in ("Intron", "IGR", "RNA", "5'UTR", "3'UTR"):
        pos, ref_aa, _, alt_aa = match.groups()
        hgvsp = f"p.{ref_aa}{pos}{alt_aa or ref_aa}" if cls != "Silent" else f"p.{ref_aa}{pos}="
    return gene, cls, hgvsp, tx


def _alleles(pos: int, ref: str, alt: str) -> tuple[int, int, str, str, str]:
    """MAF start, end, reference, tumor allele and type from VCF-style alleles."""
    if len(ref) == len(alt):
        kind = {1: "SNP", 2: "DNP", 3: "TNP"}.get(len(ref), "ONP")
        return pos, pos + len(ref) - 1, ref, alt, kind
    if len(ref) > len(alt):  # deletion after the shared anchor base
        deleted = ref[len(alt) :]
        start = pos + len(alt)
        return start, start + len(deleted) - 1, deleted, "-", "DEL"
    inserted = alt[len(ref) :]
    return pos + len(ref) - 1, pos + len(ref), "-", inserted, "INS"


def vcf_to_maf(
    vcf_path: str | Path,
    tumor: str,
    normal: str | None,
    build: str,
    pass_only: bool = True,
) -> pd.DataFrame:
    """One MAF row per passing record of a tumor's annotated somatic VCF (first ALT).

    FILTER ``PASS`` and ``.`` (no filter applied) pass and are written as they are. Records are
    read with cyvcf2 (htslib); read counts come from its FORMAT/AD array of each record.
    """
    vcf_path = Path(vcf_path)
    if not vcf_path.is_file():
        raise InputError("VCF not found", vcf_path)
    try:
        vcf = VCF(str(vcf_path))
    except OSError as err:
        raise InputError(f"cannot read VCF ({err})", vcf_path) from None
    try:
        columns = _sample_columns(list(vcf.samples), tumor, normal, vcf_path)
        records, ads = _read_records(vcf, columns, pass_only)
    finally:
        vcf.close()
    if not records:
        return pd.DataFrame(columns=list(MAF_COLUMNS))
    # ads: records × samples (tumor, normal) × (depth, ref, first alt), missing values as 0.
    counts = np.stack(ads)
    rows = []
    for (chrom, pos, ref, alt, filters, bcsq), (t_counts, n_counts) in zip(
        records, counts, strict=True
    ):
        start, end, ref_allele, tumor_allele, vtype = _alleles(pos, ref, alt)
        gene, cls, hgvsp, tx = classify(bcsq, vtype)
        rows.append(
            {
                "Hugo_Symbol": gene,
                "Entrez_Gene_Id": 0,
                "Center": "scce-genomics",
                "NCBI_Build": build,
                "Chromosome": chrom,
                "Start_Position": start,
                "End_Position": end,
                "Strand": "+",
                "Variant_Classification": cls,
                "Variant_Type": vtype,
                "Reference_Allele": ref_allele,
                "Tumor_Seq_Allele1": ref_allele,
                "Tumor_Seq_Allele2": tumor_allele,
                "Tumor_Sample_Barcode": tumor,
                "Matched_Norm_Sample_Barcode": normal or "",
                "HGVSp_Short": hgvsp,
                "Transcript_ID": tx,
                "t_depth": int(t_counts[0]),
                "t_ref_count": int(t_counts[1]),
                "t_alt_count": int(t_counts[2]),
                "n_depth": int(n_counts[0]) if normal else "",
                "n_ref_count": int(n_counts[1]) if normal else "",
                "n_alt_count": int(n_counts[2]) if normal else "",
                "FILTER": filters,
            }
        )
    return pd.DataFrame(rows, columns=list(MAF_COLUMNS))


def _sample_columns(samples: list[str], tumor: str, normal: str | None, path: Path) -> list[int]:
    """Indices of the tumor and normal (the tumor again when there is none) in the VCF."""
    for name in (tumor, normal):
        if name is not None and name not in samples:
            raise InputError(
                f"sample {name!r} is not in the VCF (samples: {', '.join(samples) or 'none'})",
                path,
            )
    return [samples.index(tumor), samples.index(normal or tumor)]


def _read_records(
    vcf: VCF, columns: list[int], pass_only: bool
) -> tuple[list[tuple[str, int, str, str, str, str | None]], list[np.ndarray]]:
    """(chrom, pos, ref, first alt, FILTER, BCSQ) of the passing records, and per record the
    (depth, ref, alt) read counts of the ``columns`` samples from FORMAT/AD."""
    records = []
    ads = []
    for rec in vcf:
        filters = rec.FILTERS  # [] for FILTER '.', ['PASS'] or the failed filters
        if pass_only and filters not in ([], ["PASS"]):
            continue
        bcsq = rec.INFO.get("BCSQ")
        alts = rec.ALT
        records.append(
            (
                rec.CHROM,
                rec.POS,
                rec.REF,
                alts[0] if alts else "",
                ";".join(filters) or ".",
                None if bcsq is None else str(bcsq),  # csq entries joined by commas
            )
        )
        ads.append(_ad_counts(rec.format("AD"), columns))
    return records, ads


def _ad_counts(ad: np.ndarray | None, columns: list[int]) -> np.ndarray:
    """(depth, ref, first alt) per chosen sample from a samples × alleles AD array.

    cyvcf2 marks missing values and vector ends with negative sentinels: they count 0.
    """
    out = np.zeros((len(columns), 3), dtype=np.int64)
    if ad is None:
        return out
    values = np.where(ad[columns] >= 0, ad[columns], 0).astype(np.int64)
    out[:, 0] = values.sum(axis=1)
    out[:, 1] = values[:, 0]
    if values.shape[1] > 1:
        out[:, 2] = values[:, 1]
    return out
