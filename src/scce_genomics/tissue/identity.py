"""Germline-site allele counts and tumor/normal identity (swap and duplicate-patient checks).

Sites are the normal's own SNPs (``bcftools call -mv``) or a user sites VCF; allele depths at
them come from one ``bcftools mpileup -a AD -T sites`` over the patient's BAMs. Everything
downstream works on two integer arrays (sites x samples): reads of the reference allele and of
the site's alternate allele, so the checks are plain numpy and easy to test on constructed data.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.errors import InputError

__all__ = [
    "HET",
    "HOM_ALT",
    "HOM_REF",
    "NOCALL",
    "SiteCounts",
    "cohort_concordance",
    "gate_message",
    "genotype_classes",
    "identity_check",
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

    @property
    def depth(self) -> np.ndarray:
        return self.ref + self.alt

    def column(self, sample: str) -> int:
        if sample not in self.samples:
            raise InputError(f"sample {sample!r} not in the genotype file (has {self.samples})")
        return self.samples.index(sample)


def _read_sites(path: str | Path) -> dict[tuple[str, int], tuple[str, float]]:
    """Biallelic SNP sites of a VCF: (chrom, pos) -> (alt, population AF or NaN)."""
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
    vcf.close()
    n = len(samples)
    return SiteCounts(
        samples,
        np.array(chroms, dtype=object),
        np.array(positions, dtype=np.int64),
        np.array(refs, dtype=np.int64).reshape(-1, n),
        np.array(alts, dtype=np.int64).reshape(-1, n),
        np.array(afs, dtype=np.float64),
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


def identity_check(
    counts: SiteCounts,
    tumor: str,
    normal: str,
    min_depth: int = 10,
    min_concordance: float = 0.8,
    min_sites: int = 20,
) -> dict[str, object]:
    """Concordance of a tumor with its normal at confidently genotyped germline sites.

    A normal-het site matches when the tumor shows both alleles (>= 2 reads each: LOH at
    partial purity still leaves the lost allele from normal cells, a sequencing error
    rarely makes two reads); a normal hom site matches when the tumor is hom the same way.
    Too few informative sites gives verdict ``NA`` rather than a pass.
    """
    t, n = counts.column(tumor), counts.column(normal)
    depth = counts.depth
    ok = (depth[:, t] >= min_depth) & (depth[:, n] >= min_depth)
    gn = genotype_classes(counts.ref[:, n], counts.alt[:, n], min_depth)
    gt = genotype_classes(counts.ref[:, t], counts.alt[:, t], min_depth)
    het = ok & (gn == HET)
    hom = ok & ((gn == HOM_REF) | (gn == HOM_ALT))
    both = (counts.ref[:, t] >= 2) & (counts.alt[:, t] >= 2)
    het_match = int((het & both).sum())
    hom_match = int((hom & (gt == gn)).sum())
    n_het, n_hom = int(het.sum()), int(hom.sum())
    n_sites = n_het + n_hom
    concordance = (het_match + hom_match) / n_sites if n_sites else float("nan")
    verdict = "pass" if concordance >= min_concordance else "fail"
    if n_sites < min_sites:
        verdict = "NA"
    return {
        "tumor": tumor,
        "normal": normal,
        "n_sites": n_sites,
        "n_het": n_het,
        "n_hom": n_hom,
        "het_concordance": het_match / n_het if n_het else None,
        "hom_concordance": hom_match / n_hom if n_hom else None,
        "concordance": None if np.isnan(concordance) else round(concordance, 4),
        "min_concordance": min_concordance,
        "min_depth": min_depth,
        "verdict": verdict,
    }


def gate_message(result: dict[str, object]) -> str:
    """What an identity verdict means for the pair, naming both samples and the fix."""
    tumor, normal = result["tumor"], result["normal"]
    figure = (
        f"genotype concordance {result['concordance']} (threshold {result['min_concordance']}) "
        f"at {result['n_sites']} germline sites"
    )
    if result["verdict"] == "pass":
        return f"tumor {tumor} and normal {normal} come from one individual: {figure}"
    if result["verdict"] == "NA":
        return (
            f"tumor {tumor} and normal {normal}: too few germline sites covered by "
            f">= {result['min_depth']} reads in both to confirm identity ({figure}); "
            "the pair goes on unchecked"
        )
    return (
        f"tumor {tumor} and normal {normal} do not come from one individual: {figure}. "
        "A sample swap or a mislabelled sheet: see qc/identity/cohort.tsv for the sample each "
        "one does match, correct the `patient` column of samples.tsv (or the read files in "
        "units.tsv) and rerun; to analyse the pair anyway set tissue_qc.identity_warn_only: true"
    )


def cohort_concordance(
    counts: SiteCounts,
    patient_of: dict[str, str],
    min_depth: int = 10,
    max_concordance: float = 0.8,
) -> pd.DataFrame:
    """All pairwise genotype concordances; flags cross-patient matches and within-patient misses.

    Only sites non-hom-ref in at least one of the two samples count, so two unrelated samples
    do not agree merely by sharing the reference at most positions.
    """
    gts = genotype_classes(counts.ref, counts.alt, min_depth)
    rows = []
    for a, b in itertools.combinations(range(len(counts.samples)), 2):
        ga, gb = gts[:, a], gts[:, b]
        use = (ga != NOCALL) & (gb != NOCALL) & ((ga != HOM_REF) | (gb != HOM_REF))
        # a het in a tumor may look hom-alt after LOH: het vs hom-alt counts half-concordant
        same = (ga == gb) & use
        soft = use & (((ga == HET) & (gb == HOM_ALT)) | ((ga == HOM_ALT) & (gb == HET)))
        n = int(use.sum())
        conc = (same.sum() + 0.5 * soft.sum()) / n if n else np.nan
        sa, sb = counts.samples[a], counts.samples[b]
        same_patient = patient_of.get(sa) == patient_of.get(sb)
        if n == 0:
            flag = "NA"
        elif same_patient and conc < max_concordance:
            flag = "mismatch_within_patient"
        elif not same_patient and conc >= max_concordance:
            flag = "duplicate_patient"
        else:
            flag = "ok"
        rows.append(
            {
                "sample_a": sa,
                "sample_b": sb,
                "patient_a": patient_of.get(sa, ""),
                "patient_b": patient_of.get(sb, ""),
                "n_sites": n,
                "concordance": round(float(conc), 4) if n else np.nan,
                "flag": flag,
            }
        )
    columns = ["sample_a", "sample_b", "patient_a", "patient_b", "n_sites", "concordance", "flag"]
    return pd.DataFrame(rows, columns=columns)
