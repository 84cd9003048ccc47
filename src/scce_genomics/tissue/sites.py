"""Allele counts at germline sites: what identity, contamination and early purity work on.

Sites are the normal's own SNPs (``bcftools call -mv``) or a user sites VCF; allele depths at
them come from one ``bcftools mpileup -a AD -T sites`` over the patient's BAMs. Everything
downstream works on two integer arrays (sites x samples): reads of the reference allele and of
the site's alternate allele, so the checks are plain numpy and easy to test on constructed data.
Population allele frequencies come from the sites VCF's INFO/AF or from a germline resource.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scce_genomics.errors import InputError

__all__ = [
    "HET",
    "HOM_ALT",
    "HOM_REF",
    "NOCALL",
    "SiteCounts",
    "autosomal",
    "genotype_classes",
    "read_site_counts",
]

NOCALL, HOM_REF, HET, HOM_ALT = -1, 0, 1, 2


@dataclass
class SiteCounts:
    """Reference and alternate read counts at germline sites (rows) for samples (columns)."""

    samples: list[str]
    chrom: np.ndarray
    pos: np.ndarray
    ref: np.ndarray  # int64 (n_sites, n_samples)
    alt: np.ndarray  # int64 (n_sites, n_samples)
    #: Population frequency of the alternate allele (NaN where the sites file gave none).
    pop_af: np.ndarray = field(default_factory=lambda: np.empty(0))
    #: The ALT base counted at each site (for looking sites up in a germline resource).
    alt_allele: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    #: The REF base of each site (for telling deamination-like changes apart).
    ref_allele: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))

    @property
    def depth(self) -> np.ndarray:
        return self.ref + self.alt

    def column(self, sample: str) -> int:
        if sample not in self.samples:
            raise InputError(f"sample {sample!r} not in the genotype file (has {self.samples})")
        return self.samples.index(sample)


def _read_sites(path: str | Path) -> dict[tuple[str, int], tuple[str, float]]:
    """Biallelic SNP sites of a VCF: (chrom, pos) -> (alt, INFO/AF or NaN)."""
    import pysam

    sites: dict[tuple[str, int], tuple[str, float]] = {}
    with pysam.VariantFile(str(path)) as vcf:
        has_af = "AF" in vcf.header.info
        for rec in vcf:
            alts = rec.alts or ()
            if len(rec.ref or "") != 1 or len(alts) != 1 or len(alts[0]) != 1:
                continue
            af = rec.info.get("AF") if has_af else None
            value = float(af[0] if isinstance(af, tuple) else af) if af is not None else np.nan
            sites[(rec.chrom, rec.pos)] = (alts[0], value)
    return sites


def read_site_counts(genotypes: str | Path, sites: str | Path | None = None) -> SiteCounts:
    """Parse FORMAT/AD of an mpileup VCF; with ``sites`` count that site's ALT, else the top ALT.

    Without sites (cohort union of sites) the alternate allele is the most-read non-reference
    allele summed over samples, so every sample is counted against the same allele.
    """
    import pysam

    known = _read_sites(sites) if sites else None
    verbosity = pysam.set_verbosity(0)  # an unindexed VCF read front to back is no error
    vcf = pysam.VariantFile(str(genotypes))
    pysam.set_verbosity(verbosity)
    samples = list(vcf.header.samples)
    if "AD" not in vcf.header.formats:
        raise InputError("genotype VCF lacks FORMAT/AD; run bcftools mpileup -a AD", genotypes)
    chroms: list[str] = []
    positions: list[int] = []
    refs: list[np.ndarray] = []
    alts: list[np.ndarray] = []
    afs: list[float] = []
    alt_bases: list[str] = []
    ref_bases: list[str] = []
    for rec in vcf:
        if len(rec.ref or "") != 1:
            continue
        alleles = list(rec.alts or ())
        ad = np.array(
            [[0 if x is None else x for x in (rec.samples[s]["AD"] or ())] for s in samples],
            dtype=np.int64,
        ).reshape(len(samples), -1)
        af = np.nan
        if known is not None:
            site = known.get((rec.chrom, rec.pos))
            if site is None:
                continue
            af = site[1]
            idx = alleles.index(site[0]) + 1 if site[0] in alleles else -1
        else:
            snv = [i + 1 for i, a in enumerate(alleles) if len(a) == 1 and a in "ACGT"]
            idx = max(snv, key=lambda i: int(ad[:, i].sum())) if snv else -1
        chroms.append(rec.chrom)
        positions.append(rec.pos)
        refs.append(ad[:, 0] if ad.shape[1] else np.zeros(len(samples), np.int64))
        alts.append(ad[:, idx] if 0 < idx < ad.shape[1] else np.zeros(len(samples), np.int64))
        afs.append(af)
        alt_bases.append(alleles[idx - 1] if 0 < idx <= len(alleles) else "")
        ref_bases.append(str(rec.ref).upper())
    vcf.close()
    n = len(samples)
    return SiteCounts(
        samples,
        np.array(chroms, dtype=object),
        np.array(positions, dtype=np.int64),
        np.array(refs, dtype=np.int64).reshape(-1, n),
        np.array(alts, dtype=np.int64).reshape(-1, n),
        np.array(afs, dtype=np.float64),
        np.array(alt_bases, dtype=object),
        np.array(ref_bases, dtype=object),
    )


def genotype_classes(
    ref: np.ndarray, alt: np.ndarray, min_depth: int, het_band: float = 0.15
) -> np.ndarray:
    """Genotype class per site from allele depths: alt fraction <= band hom-ref, >= 1-band hom-alt.

    The wide band keeps hom sites hom under a few percent of contamination and keeps a
    tumor's allelic imbalance (LOH at partial purity) het. Shallow sites are NOCALL.
    """
    depth = ref + alt
    frac = np.divide(alt, depth, out=np.zeros(depth.shape), where=depth > 0)
    gt = np.full(depth.shape, HET, dtype=np.int8)
    gt[frac <= het_band] = HOM_REF
    gt[frac >= 1 - het_band] = HOM_ALT
    gt[depth < min_depth] = NOCALL
    return gt


#: Sex chromosomes and mitochondria: not diploid in every sample, so left out where a model
#: assumes two copies (contamination).
_NOT_AUTOSOMES = frozenset({"X", "Y", "M", "MT", "chrX", "chrY", "chrM", "chrMT"})


def autosomal(chrom: np.ndarray) -> np.ndarray:
    """True for sites on autosomes (either naming style: ``1`` or ``chr1``)."""
    return np.array([str(c) not in _NOT_AUTOSOMES for c in chrom], dtype=bool)
