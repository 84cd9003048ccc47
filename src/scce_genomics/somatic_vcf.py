"""Write scored candidates as a standards-compliant somatic VCF (bgzipped and indexed).

FILTER, INFO and FORMAT definitions are all declared in the header so the file passes
``bcftools view`` round trips and loads in IGV, maftools (via the MAF) and SigProfiler tools.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pysam

from scce_genomics import __version__
from scce_genomics.fileio import atomic_open, atomic_path
from scce_genomics.somatic import FILTERS

__all__ = ["write_somatic_vcf"]

_INFO = (
    ("TLOD", "1", "Float", "Tumor log10 odds: allele at observed fraction vs sequencing error"),
    ("NLOD", "1", "Float", "Normal log10 odds: homozygous reference vs heterozygous"),
    ("GERMQ", "1", "Float", "log10 odds germline vs clonal somatic from the tumor allele fraction"),
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
    lines += [
        f'##INFO=<ID={i},Number={n},Type={t},Description="{d}">' for i, n, t, d in _INFO
    ]
    lines += [
        f'##FORMAT=<ID={i},Number={n},Type={t},Description="{d}">' for i, n, t, d in _FORMAT
    ]
    lines.append("#" + "\t".join(["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO",
                                  "FORMAT", *samples]))
    return "\n".join(lines) + "\n"


def _fmt(value: float) -> str:
    return "." if not np.isfinite(value) else f"{value:.4g}"


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
    out = Path(out)
    lines = []
    for row in df.itertuples(index=False):
        info = (
            f"SOMATIC;TLOD={_fmt(row.tlod)};NLOD={_fmt(row.nlod)};"
            f"GERMQ={_fmt(row.germline_lod)};ARTP={_fmt(row.artifact_posterior)}"
        )
        t_fmt = (
            f"0/1:{int(row.t_ref)},{int(row.t_alt)}:{_fmt(row.vaf)}:{int(row.t_depth)}:"
            f"{int(row.f1r2_alt)}:{int(row.f2r1_alt)}"
        )
        cols = [row.chrom, str(row.pos), ".", row.ref, row.alt, ".", row.filter, info,
                "GT:AD:AF:DP:F1R2:F2R1", t_fmt]
        if normal:
            n_af = row.n_alt / row.n_depth if row.n_depth else float("nan")
            cols.append(
                f"0/0:{int(row.n_ref)},{int(row.n_alt)}:{_fmt(n_af)}:{int(row.n_depth)}:.:."
            )
        lines.append("\t".join(cols))
    with atomic_path(out) as tmp:
        plain = tmp.with_name(tmp.name + ".vcf")
        with atomic_open(plain) as handle:
            handle.write(_header(contigs, samples, command))
            handle.writelines(line + "\n" for line in lines)
        pysam.tabix_compress(str(plain), str(tmp), force=True)
        plain.unlink()
    pysam.tabix_index(str(out), preset="vcf", force=True)
