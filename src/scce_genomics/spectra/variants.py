"""Somatic VCF/BCF input of the spectra stage: the tumor's name, the header's contigs, and every
record's CHROM/POS/REF/ALT as one table.

Both parts go through htslib, so VCF, bgzipped VCF and BCF read alike and a damaged file is an
error rather than a partial catalogue. The header comes from cyvcf2. The records come from
``bcftools query`` parsed in bulk by pyarrow's CSV reader: the catalogues need five text
columns of every record, and this bulk text stream is faster than a per-record cyvcf2 loop
(``benchmarks/bench_spectra.py`` times both on the same VCFs).
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from cyvcf2 import VCF

from scce_genomics.errors import InputError

__all__ = [
    "QUERY_FORMAT",
    "VcfHeader",
    "VcfRecords",
    "read_header",
    "read_variants",
    "sample_name_of",
]

#: The ``bcftools query`` format of the record stream (one line per record, ALT unsplit).
QUERY_FORMAT = "%CHROM\t%POS\t%REF\t%ALT\t%FILTER\n"
_COLUMNS = ["chrom", "pos", "ref", "alt", "filter"]
_TYPES = {name: pa.int64() if name == "pos" else pa.string() for name in _COLUMNS}


@dataclass(frozen=True)
class VcfHeader:
    """What the spectra need from a VCF header."""

    samples: tuple[str, ...]
    #: ``##tumor_sample=`` (written by somatic callers), or None.
    tumor_sample: str | None
    #: ``##contig`` lengths, for the contigs whose line carries one.
    contig_lengths: dict[str, int]


@dataclass(frozen=True)
class VcfRecords:
    """A VCF's variants (multi-allelic records split into one row per ALT, upper case)."""

    variants: pd.DataFrame  # chrom, pos (1-based), ref, alt
    #: Records dropped because FILTER is neither PASS nor ``.``.
    n_filtered: int
    #: Records with FILTER ``.`` (filters not applied), kept as passing.
    n_unfiltered: int


def read_header(path: str | Path) -> VcfHeader:
    """Samples, ``##tumor_sample`` and ``##contig`` lengths of a VCF/BCF (cyvcf2)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("VCF not found", path)
    try:
        vcf = VCF(str(path), lazy=True)
    except OSError as err:
        raise InputError(f"not a readable VCF/BCF ({err})", path) from None
    try:
        samples = tuple(vcf.samples)
        try:
            tumor = vcf.get_header_type("tumor_sample").get("tumor_sample")
        except KeyError:
            tumor = None
        lengths: dict[str, int] = {}
        # Without ##contig lines cyvcf2 looks for an index instead: ask only when there are.
        if any(rec.type == "CONTIG" for rec in vcf.header_iter()):
            lengths = {
                name: int(n) for name, n in zip(vcf.seqnames, vcf.seqlens, strict=True) if n >= 0
            }
    finally:
        vcf.close()
    return VcfHeader(samples, tumor or None, lengths)


def sample_name_of(path: str | Path, header: VcfHeader | None = None) -> str:
    """The tumor sample of a somatic VCF: ``##tumor_sample``, the only sample, or the file stem.

    Multi-sample VCFs (tumor + normal) without ``##tumor_sample`` fall back to the file stem,
    which in this workflow is the tumor name (``somatic/{tumor}.vcf.gz``).
    """
    header = header or read_header(path)
    if header.tumor_sample:
        return header.tumor_sample
    if len(header.samples) == 1:
        return header.samples[0]
    name = Path(path).name
    for suffix in (".gz", ".bgz", ".bcf", ".vcf", ".somatic"):
        name = name.removesuffix(suffix)
    return name


def read_variants(path: str | Path, pass_only: bool = True) -> VcfRecords:
    """CHROM/POS/REF/ALT of every record of a VCF/BCF, from ``bcftools query``.

    FILTER ``PASS`` and ``.`` pass; ``.`` means no filter was applied (VCF 4.x, section 1.6.1),
    not that one failed, so those records are kept and counted for a notice. With
    ``pass_only=False`` every record is kept.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("VCF not found", path)
    # htslib warnings (e.g. contigs missing from the header) can be long: a file, not a pipe,
    # takes them so bcftools never blocks on a full stderr pipe while we read its stdout.
    with tempfile.TemporaryFile() as err_file:
        try:
            proc = subprocess.Popen(
                ["bcftools", "query", "-f", QUERY_FORMAT, str(path)],
                stdout=subprocess.PIPE,
                stderr=err_file,
            )
        except FileNotFoundError:
            raise InputError(
                "bcftools not found: install it (scripts/setup.sh lists how)", path
            ) from None
        assert proc.stdout is not None
        table: pd.DataFrame | None = None
        parse_error = ""
        try:
            table = _parse_stream(proc.stdout)
        except pa.ArrowInvalid as err:
            parse_error = str(err).splitlines()[0]
        finally:
            proc.stdout.close()
            code = proc.wait()
        err_file.seek(0)
        messages = err_file.read().decode(errors="replace").splitlines()
    # bcftools 1.16 exits 0 on a BGZF block cut short: htslib's [E::] lines are failures too.
    if code != 0 or table is None or any(m.startswith("[E::") for m in messages):
        detail = [m for m in messages if not m.startswith("[W::")]
        reason = (detail or [parse_error or f"bcftools exited with status {code}"])[-1]
        raise InputError(f"cannot read VCF records: {reason}", path)
    filters = table["filter"].to_numpy()
    unfiltered = filters == "."
    n_filtered = 0
    if pass_only and len(table):
        keep = (filters == "PASS") | unfiltered
        n_filtered = int((~keep).sum())
        table = table[keep]
    table = table.drop(columns="filter")
    if table["alt"].str.contains(",", regex=False).any():
        table = table.assign(alt=table["alt"].str.split(",")).explode("alt")
    table = table.assign(ref=table["ref"].str.upper(), alt=table["alt"].str.upper())
    n_unfiltered = int(unfiltered.sum()) if pass_only else 0
    return VcfRecords(table.reset_index(drop=True), n_filtered, n_unfiltered)


def _parse_stream(stream: IO[bytes]) -> pd.DataFrame:
    """The query's five columns, parsed by pyarrow's CSV reader (fields are never quoted)."""
    if not stream.peek(1):  # type: ignore[attr-defined]
        return pd.DataFrame({c: pd.Series(dtype=str) for c in _COLUMNS}).astype({"pos": np.int64})
    table = pa_csv.read_csv(
        stream,
        read_options=pa_csv.ReadOptions(column_names=_COLUMNS, use_threads=False),
        parse_options=pa_csv.ParseOptions(delimiter="\t", quote_char=False),
        convert_options=pa_csv.ConvertOptions(column_types=_TYPES, strings_can_be_null=False),
    )
    return table.to_pandas()
