"""Population germline resource (gnomAD-like sites VCF): start-up check and AF look-up.

The resource is a bgzipped, tabix-indexed VCF whose INFO field (``AF`` by default) holds each
allele's population frequency — Mutect2's ``--germline-resource`` (e.g. GATK's
``af-only-gnomad.hg38.vcf.gz``). Tumor-only calling uses it as the germline prior; tissue QC and
copy number use the same file for contamination and B-allele frequencies, through
:func:`population_af` and :func:`resource_records`.

A resource on another build, without the AF field, or without an index gives a silently wrong
prior (every site "absent"), so :func:`check_germline_resource` stops the run at start-up with
one line naming the file and the fix.
"""

from __future__ import annotations

import io
import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pysam

from scce_genomics.errors import InputError
from scce_genomics.fileio import is_gzip
from scce_genomics.reference.prepare import (
    detect_build,
    fasta_contigs,
    reference_build,
)

__all__ = [
    "DEFAULT_ABSENT_AF",
    "check_germline_resource",
    "check_somatic_resources",
    "population_af",
    "resource_records",
]

#: Population AF assumed for an allele the resource does not list: below what gnomAD's 76,156
#: genomes resolve (one allele in 152,312 is 6.6e-6), the order of Mutect2's default.
DEFAULT_ABSENT_AF = 1e-5

_KEY = "somatic.germline_resource"
_FASTA_SCAN_BYTES = 64 << 20


def _index_of(path: Path) -> Path | None:
    for suffix in (".tbi", ".csi"):
        index = Path(f"{path}{suffix}")
        if index.is_file():
            return index
    return None


def _is_bgzf(path: Path) -> bool:
    """BGZF = gzip with the ``BC`` extra subfield; plain gzip cannot be indexed."""
    with open(path, "rb") as probe:
        head = probe.read(18)
    return len(head) >= 14 and head[:4] == b"\x1f\x8b\x08\x04" and head[12:14] == b"BC"


def _reference_contigs(fasta: Path) -> dict[str, int] | None:
    """Contig lengths from the .fai, or from a small FASTA itself; None for a big unindexed one."""
    fai = Path(f"{fasta}.fai")
    if fai.is_file():
        table = pd.read_csv(fai, sep="\t", header=None, usecols=[0, 1], dtype={0: str})
        return {str(n): int(x) for n, x in zip(table[0], table[1], strict=True)}
    if fasta.is_file() and fasta.stat().st_size <= _FASTA_SCAN_BYTES:
        return fasta_contigs(fasta)
    return None


def _example(names: list[str]) -> str:
    return ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")


def check_germline_resource(
    path: str | Path,
    fasta: str | Path,
    af_field: str = "AF",
    build: str = "custom",
    key: str = _KEY,
    need_af: bool = True,
) -> None:
    """Stop on a resource that cannot serve as a germline prior for this reference.

    Checked: the file exists, is bgzipped with a current tabix/CSI index, declares
    ``INFO/<af_field>`` as a Float, and its contigs speak of the reference's build and naming
    (chr1 vs 1, lengths of shared contigs). ``key`` names the config key in messages;
    ``need_af=False`` checks a sites VCF without an AF field (a panel of normals).
    """
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise InputError(f"file not found; fix {key} in the config", path)
    if not is_gzip(path) or not _is_bgzf(path):
        raise InputError(
            f"not bgzip-compressed; run: bgzip {name} && tabix -p vcf {name}.gz (or bcftools "
            f"view -Oz -o {name}.gz {name}), then point {key} at the .gz",
            path,
        )
    index = _index_of(path)
    if index is None:
        raise InputError(f"no tabix index (.tbi/.csi) beside it; run: tabix -p vcf {name}", path)
    if index.stat().st_mtime < path.stat().st_mtime:
        raise InputError(
            f"its index {index.name} is older than the file; run: tabix -f -p vcf {name}", path
        )
    try:
        with pysam.VariantFile(str(path)) as vcf:
            header = vcf.header
            info = {k: (v.type, v.number) for k, v in header.info.items()}
            contigs: dict[str, int | None] = {
                str(c): header.contigs[c].length or None for c in header.contigs
            }
            named = [str(r.value) for r in header.records if r.key in ("reference", "assembly")]
            if not contigs and vcf.index is not None:
                contigs = {str(c): None for c in vcf.index}
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read it as a VCF ({err}); is the file truncated?", path) from None
    if need_af:
        if af_field not in info:
            fields = ", ".join(sorted(info)) or "none"
            raise InputError(
                f"its header declares no INFO/{af_field} (INFO fields: {fields}); set "
                f"{key}_af_field to its allele-frequency field",
                path,
            )
        if info[af_field][0] != "Float":
            raise InputError(
                f"INFO/{af_field} is {info[af_field][0]}, not Float; set {key}_af_field to the "
                "population allele-frequency field",
                path,
            )
    _check_contigs(path, contigs, named, Path(fasta), build, key)


def _check_contigs(
    path: Path,
    contigs: Mapping[str, int | None],
    named: list[str],
    fasta: Path,
    build: str,
    key: str,
) -> None:
    """Same build and contig naming as the reference FASTA, judged from the VCF header."""
    if not contigs:
        raise InputError(
            "its header lists no contigs and it has no index to list them; re-create it with "
            "##contig lines (bcftools reheader --fai genome.fa.fai) and index it",
            path,
        )
    ours = detect_build(contigs, named, [path.name], source=str(path))
    ref = reference_build(fasta) if fasta.is_file() else None
    config_build = "" if build in ("", "custom") else build
    ref_build = ref.build if ref is not None and ref.known else config_build
    if ours.known and ref_build and ours.build != ref_build:
        raise InputError(
            f"it is {ours.explain()} but the reference is {ref_build}; use a {ref_build} "
            f"resource (e.g. af-only-gnomad.{'hg38' if ref_build == 'GRCh38' else 'raw.sites.b37'}"
            f".vcf.gz) in {key}",
            path,
        )
    ref_contigs = _reference_contigs(fasta)
    ref_naming = ref.naming if ref is not None else "none"
    if {ours.naming, ref_naming} == {"chr", "no-chr"}:
        theirs, want = ("chr1", "1") if ours.naming == "chr" else ("1", "chr1")
        raise InputError(
            f"it names chromosomes like {theirs!r} but the reference FASTA like {want!r}; rename "
            f"them (bcftools annotate --rename-chrs MAP -Oz -o renamed.vcf.gz {path.name}, then "
            f"tabix) or use a resource for this reference",
            path,
        )
    if ref_contigs is None:
        return
    shared = [c for c in contigs if c in ref_contigs]
    if not shared:
        raise InputError(
            f"none of its contigs ({_example(list(contigs))}) is in the reference FASTA "
            f"({_example(list(ref_contigs))}); use a resource made for this reference in {key}",
            path,
        )
    for contig in shared:
        length = contigs[contig]
        if length is not None and length != ref_contigs[contig]:
            raise InputError(
                f"contig {contig} is {length:,} bp here but {ref_contigs[contig]:,} bp in the "
                f"reference FASTA: another build; use a resource made for this reference in {key}",
                path,
            )


def check_somatic_resources(config: Mapping[str, Any]) -> None:
    """Start-up check of the somatic stage's sites VCFs (germline resource, panel of normals)."""
    somatic = config.get("somatic", {}) or {}
    reference = config.get("reference", {}) or {}
    fasta, build = reference.get("fasta", ""), str(reference.get("build", "custom"))
    if somatic.get("germline_resource"):
        check_germline_resource(
            somatic["germline_resource"],
            fasta,
            str(somatic.get("germline_resource_af_field", "AF")),
            build,
        )
    if somatic.get("pon"):
        check_germline_resource(
            somatic["pon"], fasta, build=build, key="somatic.pon", need_af=False
        )


def resource_records(
    path: str | Path,
    af_field: str = "AF",
    regions: pd.DataFrame | None = None,
    min_af: float = 0.0,
) -> pd.DataFrame:
    """Biallelic records of a resource as chrom, pos (1-based), ref, alt, af (one ALT per row).

    ``regions``: chrom, pos (1-based) sites to fetch through the index (else the whole file);
    ``min_af``: keep alleles at least this common (e.g. 0.05 for B-allele-frequency SNPs). A
    ``bcftools query`` stream: the resource is millions of records.
    """
    columns = ["chrom", "pos", "ref", "alt", "af"]
    cmd = ["bcftools", "query", "-f", f"%CHROM\t%POS\t%REF\t%ALT\t%INFO/{af_field}\n"]
    with tempfile.TemporaryDirectory() as tmp:
        if regions is not None:
            with pysam.VariantFile(str(path)) as vcf:
                known = set(vcf.index) if vcf.index is not None else set(vcf.header.contigs)
            sites = regions.loc[regions["chrom"].isin(known), ["chrom", "pos"]].drop_duplicates()
            if sites.empty:
                return pd.DataFrame(columns=columns)
            listing = os.path.join(tmp, "sites.tsv")
            sites.sort_values(["chrom", "pos"]).to_csv(listing, sep="\t", header=False, index=False)
            cmd += ["-R", listing]
        done = subprocess.run([*cmd, str(path)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise InputError(f"cannot read the germline resource: {done.stderr.strip()[-300:]}", path)
    if not done.stdout:
        return pd.DataFrame(columns=columns)
    table = pd.read_csv(
        io.StringIO(done.stdout), sep="\t", header=None, names=columns, dtype=str
    ).drop_duplicates()
    alts = table["alt"].str.split(",")
    # Number=A: one AF per ALT; a single value for several ALTs (Number=1) applies to each
    afs = [
        a if len(a) == len(b) else a[:1] * len(b)
        for a, b in zip(table["af"].str.split(","), alts, strict=True)
    ]
    table = table.assign(alt=alts, af=pd.Series(afs, index=table.index)).explode(["alt", "af"])
    table["pos"] = table["pos"].astype(np.int64)
    table["af"] = pd.to_numeric(table["af"], errors="coerce")
    table = table[table["af"].notna() & (table["af"] >= min_af)]
    return table.reset_index(drop=True)


def population_af(
    path: str | Path,
    sites: pd.DataFrame,
    af_field: str = "AF",
    match_alleles: bool = True,
) -> np.ndarray:
    """Population AF of each site's allele (NaN where the resource does not list it).

    ``sites``: chrom, pos (1-based) and, with ``match_alleles``, ref and alt (one ALT per row,
    normalised as ``bcftools norm`` does); without it, the highest AF of any allele at the
    position (for B-allele sites, where only the position matters).
    """
    if sites.empty:
        return np.zeros(0)
    records = resource_records(path, af_field, regions=sites)
    key = ["chrom", "pos", "ref", "alt"] if match_alleles else ["chrom", "pos"]
    best = records.groupby(key, as_index=False)["af"].max()
    merged = sites[key].merge(best, on=key, how="left")
    return merged["af"].to_numpy(dtype=np.float64)
