"""Allele-specific copy number from heterozygous SNPs, with a floor on the evidence.

CNVkit's ``call`` takes the median mirrored B-allele frequency of a segment, however few SNPs
it has, and splits the copy number with it: one SNP can make an LOH call, and in an amplified
segment the rounded minor copy number often reads 0 (LOH) when the segment is only imbalanced.
Here each segment's major/minor copy numbers are refitted from the SNPs' read counts:

    b(m) = (p·(n − m) + 1 − p) / (p·n + 2(1 − p))

is the expected major-allele fraction of a segment with total copy number ``n`` (CNVkit's
purity-adjusted call), minor copy number ``m`` and purity ``p`` (normal cells heterozygous).
The minor copy number is the ``m`` in 0..⌊n/2⌋ whose binomial likelihood over the segment's
SNPs is highest (the phase of each SNP is unknown, so each SNP is a 50:50 mixture of b and
1 − b). A segment with fewer heterozygous SNPs than the floor keeps its total copy number
only, and says so; total copy numbers 0 and 1 need no SNPs (homozygous deletion; one allele).

Paired tumors use sites heterozygous in the matched normal (normal allele fraction within
[0.25, 0.75], so a site with a 15/96 normal fraction is not a het); tumor-only samples use the
tumor's own variant sites with an allele fraction in [0.05, 0.95], restricted to a population
resource's common SNPs when one is given, because somatic mutations would otherwise pass as
imbalanced germline hets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import gammaln, logsumexp

from scce_genomics.cnv.sex import is_y
from scce_genomics.errors import InputError

__all__ = [
    "AlleleSettings",
    "allele_segments",
    "common_sites",
    "expected_baf",
    "read_het_sites",
    "segment_baf",
]

ALLELE_COLUMNS = (
    "chromosome", "start", "end", "log2", "cn", "n_het", "baf", "major", "minor",
    "allele_source", "loh_lod", "reason",
)  # fmt: skip


@dataclass(frozen=True)
class AlleleSettings:
    """The evidence floor and site filters (config ``cnv.alleles``)."""

    min_het_snps: int = 10
    min_depth: int = 10
    normal_het_range: tuple[float, float] = (0.25, 0.75)
    tumor_only_range: tuple[float, float] = (0.05, 0.95)
    min_population_af: float = 0.01
    error: float = 0.01


def read_het_sites(
    vcf: str | Path,
    tumor: str,
    normal: str = "",
    settings: AlleleSettings | None = None,
) -> pd.DataFrame:
    """Heterozygous SNPs (chrom, pos 0-based, alt, depth of the tumor) from a bcftools VCF.

    With ``normal`` the site must be heterozygous in the normal by allele fraction; without,
    the tumor's own allele fraction decides (see :func:`common_sites` for a resource filter).
    """
    import pysam

    s = settings or AlleleSettings()
    cols = ["chromosome", "pos", "alt", "depth"]
    try:
        handle = pysam.VariantFile(str(vcf))
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read the heterozygous-SNP VCF: {err}", vcf) from None
    names = list(handle.header.samples)
    if tumor not in names:
        raise InputError(f"sample {tumor} not in the VCF (has {', '.join(names)})", vcf)
    if normal and normal not in names:
        raise InputError(f"normal {normal} not in the VCF (has {', '.join(names)})", vcf)
    rows = []
    with handle:
        for rec in handle:
            alts = rec.alts or ()
            if len(alts) != 1 or len(rec.ref or "") != 1 or len(alts[0]) != 1:
                continue
            t = _ad(rec, tumor)
            if t is None or sum(t) < s.min_depth:
                continue
            frac = t[1] / sum(t)
            if normal:
                n = _ad(rec, normal)
                if n is None or sum(n) < s.min_depth:
                    continue
                lo, hi = s.normal_het_range
                if not lo <= n[1] / sum(n) <= hi:
                    continue
            else:
                lo, hi = s.tumor_only_range
                if not lo <= frac <= hi:
                    continue
            rows.append((str(rec.chrom), rec.pos - 1, t[1], sum(t)))
    return pd.DataFrame(rows, columns=cols)


def common_sites(hets: pd.DataFrame, af: np.ndarray, min_af: float) -> pd.DataFrame:
    """Sites whose minor population frequency is ≥ ``min_af`` (tumor-only; NaN: not listed).

    ``af`` holds each row's population frequency, as
    :func:`scce_genomics.somatic.germline_resource.population_af` returns it.
    """
    af = np.nan_to_num(np.asarray(af, dtype=np.float64), nan=0.0)
    return hets[np.minimum(af, 1 - af) >= min_af].reset_index(drop=True)


def _ad(rec: object, sample: str) -> tuple[int, int] | None:
    try:
        ad = rec.samples[sample]["AD"]  # type: ignore[attr-defined]
    except (KeyError, TypeError):
        return None
    if ad is None or len(ad) < 2 or ad[0] is None or ad[1] is None:
        return None
    return int(ad[0]), int(ad[1])


def expected_baf(major: np.ndarray, total: np.ndarray, purity: float) -> np.ndarray:
    """Major-allele fraction of germline hets in a tumor of purity ``purity`` (normal diploid)."""
    p = purity
    total = np.asarray(total, dtype=np.float64)
    return (p * np.asarray(major, dtype=np.float64) + 1 - p) / (p * total + 2 * (1 - p))


def _loglik(alt: np.ndarray, depth: np.ndarray, b: np.ndarray, error: float) -> np.ndarray:
    """Log-likelihood of the SNPs for each major-allele fraction in ``b`` (phase unknown)."""
    b = np.clip(np.asarray(b, dtype=np.float64), error, 1 - error)[:, None]
    comb = gammaln(depth + 1) - gammaln(alt + 1) - gammaln(depth - alt + 1)
    up = comb + alt * np.log(b) + (depth - alt) * np.log1p(-b)
    down = comb + alt * np.log1p(-b) + (depth - alt) * np.log(b)
    return np.sum(logsumexp(np.stack([up, down]), axis=0) + np.log(0.5), axis=1)


def segment_baf(alt: np.ndarray, depth: np.ndarray, error: float = 0.01) -> float:
    """Maximum-likelihood major-allele fraction in [0.5, 1] of a segment's het SNPs."""
    if len(alt) == 0:
        return math.nan
    grid = np.linspace(0.5, 1.0, 101)
    ll = _loglik(np.asarray(alt, float), np.asarray(depth, float), grid, error)
    return float(grid[int(np.argmax(ll))])


_GRID = np.linspace(0.5, 1.0, 51)


def split_by_baf(
    alt: np.ndarray, depth: np.ndarray, min_snps: int, penalty: float = 15.0, error: float = 0.01
) -> list[tuple[int, int]]:
    """Index ranges [i, j) of SNPs that share one major-allele fraction.

    Copy-neutral LOH changes no read depth, so depth segments hide it; here a depth segment is
    cut where the SNPs' allele fractions change: binary segmentation, keeping a cut when it
    raises the maximised log-likelihood by more than ``penalty`` and leaves ≥ ``min_snps`` SNPs
    on each side.
    """
    n = len(alt)
    if n < 2 * min_snps:
        return [(0, n)]
    b = np.clip(_GRID, error, 1 - error)
    comb = gammaln(depth + 1) - gammaln(alt + 1) - gammaln(depth - alt + 1)
    up = comb[:, None] + alt[:, None] * np.log(b) + (depth - alt)[:, None] * np.log1p(-b)
    down = comb[:, None] + alt[:, None] * np.log1p(-b) + (depth - alt)[:, None] * np.log(b)
    per_snp = np.logaddexp(up, down) + np.log(0.5)  # (n, grid)
    cum = np.vstack([np.zeros(len(b)), np.cumsum(per_snp, axis=0)])

    def best(i: int, j: int) -> float:
        return float((cum[j] - cum[i]).max())

    def cut(i: int, j: int) -> list[tuple[int, int]]:
        if j - i < 2 * min_snps:
            return [(i, j)]
        ks = np.arange(i + min_snps, j - min_snps + 1)
        left = (cum[ks] - cum[i]).max(axis=1)
        right = (cum[j] - cum[ks]).max(axis=1)
        gain = left + right - best(i, j)
        k = int(np.argmax(gain))
        if gain[k] <= penalty:
            return [(i, j)]
        return cut(i, int(ks[k])) + cut(int(ks[k]), j)

    return cut(0, n)


def allele_segments(
    segments: pd.DataFrame,
    hets: pd.DataFrame | None,
    purity: float,
    settings: AlleleSettings | None = None,
) -> pd.DataFrame:
    """Major/minor copy number per segment, or total only where the SNPs are too few.

    ``segments``: CNVkit call.cns columns chromosome, start, end, log2, cn. ``hets`` from
    :func:`read_het_sites` (None: no SNPs at all, e.g. tumor-only without a site list).
    """
    s = settings or AlleleSettings()
    if "cn" not in segments.columns:
        raise InputError("segments have no cn column (run cnvkit.py call first)")
    p = purity if math.isfinite(purity) and 0 < purity <= 1 else 1.0
    purity_note = "" if p == purity else "purity unknown: read at purity 1; "
    rows = []
    by_chrom = {c: g for c, g in hets.groupby("chromosome")} if hets is not None else {}
    cns = pd.to_numeric(segments["cn"], errors="coerce").to_numpy(np.float64)
    for chrom, start, end, log2, cn in zip(
        segments["chromosome"].astype(str),
        segments["start"].astype(np.int64).tolist(),
        segments["end"].astype(np.int64).tolist(),
        segments["log2"].astype(np.float64).tolist(),
        cns.tolist(),
        strict=True,
    ):
        site = by_chrom.get(chrom)
        if site is not None:
            inside = (site["pos"] >= start) & (site["pos"] < end)
            alt = site.loc[inside, "alt"].to_numpy(np.float64)
            depth = site.loc[inside, "depth"].to_numpy(np.float64)
            pos = site.loc[inside, "pos"].to_numpy(np.int64)
        else:
            alt = depth = np.zeros(0)
            pos = np.zeros(0, dtype=np.int64)
        order = np.argsort(pos, kind="stable")
        alt, depth, pos = alt[order], depth[order], pos[order]
        parts = split_by_baf(alt, depth, s.min_het_snps, error=s.error) if len(alt) else [(0, 0)]
        for n, (i, j) in enumerate(parts):
            lo = start if n == 0 else int((pos[i - 1] + pos[i]) // 2) + 1
            hi = end if n == len(parts) - 1 else int((pos[j - 1] + pos[j]) // 2) + 1
            rows.append(
                _allele_row(chrom, lo, hi, log2, cn, alt[i:j], depth[i:j], p, purity_note, s)
            )
    return pd.DataFrame(rows, columns=list(ALLELE_COLUMNS))


def _allele_row(
    chrom: str, start: int, end: int, log2: float, cn: float, alt: np.ndarray,
    depth: np.ndarray, p: float, purity_note: str, s: AlleleSettings,
) -> dict[str, object]:  # fmt: skip
    """One allele-specific segment: major/minor from its SNPs, or total only with the reason."""
    row: dict[str, object] = {
        "chromosome": chrom, "start": start, "end": end, "log2": log2, "cn": cn,
        "n_het": len(alt),
        "baf": round(segment_baf(alt, depth, s.error), 3) if len(alt) else math.nan,
        "major": math.nan, "minor": math.nan, "allele_source": "NA", "loh_lod": math.nan,
        "reason": "",
    }  # fmt: skip
    if not math.isfinite(cn):
        row["reason"] = "no total copy number"
    elif is_y(chrom):
        row["reason"] = "chrY: total copy number only"
    elif round(cn) <= 1:
        row.update(major=int(max(round(cn), 0)), minor=0, allele_source="total")
    elif len(alt) < s.min_het_snps:
        row["reason"] = f"{len(alt)} heterozygous SNPs (< {s.min_het_snps}): total only"
    else:
        total = round(cn)
        minors = np.arange(0, total // 2 + 1)
        bafs = expected_baf(total - minors, np.full(len(minors), total), p)
        ll = _loglik(alt, depth, bafs, s.error)
        best = int(np.argmax(ll))
        lod = (ll[0] - ll[1:].max()) / math.log(10) if len(ll) > 1 else math.inf
        row.update(
            major=int(total - minors[best]),
            minor=int(minors[best]),
            allele_source="baf",
            loh_lod=round(float(lod), 2),
            reason=purity_note.rstrip("; "),
        )
    return row
