"""Write scored candidates as a standards-compliant somatic VCF (bgzipped and indexed).

FILTER, INFO and FORMAT definitions are all declared in the header so the file passes
``bcftools view`` round trips and loads in IGV, maftools (via the MAF) and SigProfiler tools.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics import __version__
from scce_genomics.fileio import write_bgzipped_vcf
from scce_genomics.somatic.model import FILTERS

__all__ = ["write_somatic_vcf"]

_INFO = (
    ("TLOD", "1", "Float", "Tumor log10 odds: allele at observed fraction vs sequencing error"),
    ("NLOD", "1", "Float", "Normal log10 odds: homozygous reference vs heterozygous"),
    (
        "GERMQ",
        "1",
        "Float",
        "Tumor-only: posterior log10 odds germline vs somatic (population AF, purity, copy number)",
    ),
    ("POP_AF", "1", "Float", "Population allele frequency in the germline resource"),
    ("TCN", "1", "Integer", "Tumor-only: total copy number of the site's segment"),
    ("MCN", "1", "Float", "Tumor-only: minor copy number of the site's segment (expected)"),
    ("ARTP", "1", "Float", "Posterior probability of an orientation (FFPE/oxidation) artifact"),
    ("SOMATIC", "0", "Flag", "Somatic candidate"),
)
_FORMAT = (
    ("GT", "1", "String", "Genotype"),
    ("AD", "R", "Integer", "Allelic depths (ref, alt) of high-quality reads"),
    ("AF", "A", "Float", "Alt allele fraction"),
    ("DP", "1", "Integer", "Depth of high-quality reads"),
    ("F1R2", "1", "Integer", "Alt reads in F1R2 orientation"),
    ("F2R1", "1", "Integer", "Alt reads in F2R1 orientation"),
)


def _header(contigs: dict[str, int], samples: list[str], command: str) -> str:
    lines = ["##fileformat=VCFv4.2", f"##source=scce-genomics {__version__}"]
    lines += [f"##scce-genomicsCommand={command}"] if command else []
    lines += [f"##contig=<ID={c},length={n}>" for c, n in contigs.items()]
    lines += ['##FILTER=<ID=PASS,Description="All filters passed">']
    lines += [f'##FILTER=<ID={k},Description="{v}">' for k, v in FILTERS.items()]
    lines += [f'##INFO=<ID={i},Number={n},Type={t},Description="{d}">' for i, n, t, d in _INFO]
    lines += [f'##FORMAT=<ID={i},Number={n},Type={t},Description="{d}">' for i, n, t, d in _FORMAT]
    lines.append(
        "#"
        + "\t".join(
            ["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]
        )
    )
    return "\n".join(lines) + "\n"


def _floats(values: pd.Series | np.ndarray) -> np.ndarray:
    """``%.4g`` text per value, ``.`` for missing (object array, for vectorised joins)."""
    arr = np.asarray(values, dtype=float)
    text = np.char.mod("%.4g", arr).astype(object)
    text[~np.isfinite(arr)] = "."
    return text


def _ints(values: pd.Series | np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=float).astype(np.int64).astype(str).astype(object)


def _records(df: pd.DataFrame, normal: bool) -> np.ndarray:
    """VCF body lines (no newline), built column-wise: a candidate set has millions of rows."""
    tab = "\t"
    info = (
        "SOMATIC;TLOD=" + _floats(df["tlod"]) + ";NLOD=" + _floats(df["nlod"])
        + ";GERMQ=" + _floats(df["germline_lod"]) + ";ARTP=" + _floats(df["artifact_posterior"])
    )  # fmt: skip
    for field, column in (("POP_AF", "pop_af"), ("TCN", "total_cn"), ("MCN", "minor_cn")):
        if column in df.columns:
            values = np.asarray(df[column], dtype=float)
            text = _floats(values) if field != "TCN" else _ints(np.nan_to_num(values))
            info = np.where(np.isfinite(values), info + f";{field}=" + text, info)
    tumor = (
        "0/1:" + _ints(df["t_ref"]) + "," + _ints(df["t_alt"]) + ":" + _floats(df["vaf"]) + ":"
        + _ints(df["t_depth"]) + ":" + _ints(df["f1r2_alt"]) + ":" + _ints(df["f2r1_alt"])
    )  # fmt: skip
    line = (
        df["chrom"].to_numpy(dtype=object) + tab + _ints(df["pos"]) + tab + "." + tab
        + df["ref"].to_numpy(dtype=object) + tab + df["alt"].to_numpy(dtype=object) + tab + "."
        + tab + df["filter"].astype(str).to_numpy(dtype=object) + tab + info + tab
        + "GT:AD:AF:DP:F1R2:F2R1" + tab + tumor
    )  # fmt: skip
    if normal:
        n_depth = df["n_depth"].to_numpy(dtype=float)
        n_af = np.divide(
            df["n_alt"].to_numpy(dtype=float),
            n_depth,
            out=np.full(n_depth.size, np.nan),
            where=n_depth > 0,
        )
        line = line + tab + (
            "0/0:" + _ints(df["n_ref"]) + "," + _ints(df["n_alt"]) + ":" + _floats(n_af) + ":"
            + _ints(n_depth) + ":.:."
        )  # fmt: skip
    return np.asarray(line, dtype=object)


#: rows whose VCF lines are built together
_SLICE = 50_000


def write_somatic_vcf(
    scored: pd.DataFrame,
    contigs: dict[str, int],
    tumor: str,
    normal: str | None,
    out: str | Path,
    command: str = "",
) -> None:
    """Write all scored sites (PASS and filtered), sorted, as bgzipped VCF with a tabix index."""
    order = {c: i for i, c in enumerate(contigs)}
    df = scored.assign(_o=scored["chrom"].map(order)).sort_values(["_o", "pos"], kind="stable")
    samples = [tumor] + ([normal] if normal else [])
    header = _header(contigs, samples, command).rstrip("\n").split("\n")
    # a slice at a time: the column-wise text of millions of candidates at once took > 1 GB
    blocks = (
        "\n".join(_records(df.iloc[start : start + _SLICE], bool(normal)).tolist())
        for start in range(0, len(df), _SLICE)
    )
    write_bgzipped_vcf(out, header, blocks)
