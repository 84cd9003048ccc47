"""Population allele frequencies for the simulated germline, and the resource VCF they make.

A tumor-only caller tells a germline SNP from a somatic mutation partly by how common the allele
is in the population (gnomAD for real genomes). The simulated individuals' SNPs therefore get
population allele frequencies from a neutral site-frequency spectrum (density of sites ∝ 1/f):
an individual carries a site with probability 2f(1-f) (het) or f² (hom), so the frequencies of
carried SNPs follow ∝ (1-f) (het) and ∝ f (hom) — most common, few rare. A stated share is
private (seen in nobody else). The resource is what a survey of ``resource_individuals`` people
would list: each allele with its observed AF = AC/AN when AC > 0, plus population variants the
cohort does not carry. Private SNPs are never listed, rare ones sometimes not: "most, not all".

Everything is drawn from its own generator, so writing the resource leaves every other output
of a seed unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.fileio import write_bgzipped_vcf
from scce_genomics.simulate.events import Variant
from scce_genomics.simulate.genome import SyntheticGenome

__all__ = ["PopulationSpec", "carrier_frequencies", "population_table", "write_germline_resource"]

#: Salt of the resource's random generator (seeded with the cohort seed and this).
_SALT = 0x9E3779B1


@dataclass(frozen=True)
class PopulationSpec:
    """The population behind the resource; defaults resemble gnomAD seen from one genome."""

    #: People surveyed for the resource: AF resolution 1 / (2 × this).
    resource_individuals: int = 5000
    #: Share of an individual's SNPs that nobody else carries (never in the resource).
    private_fraction: float = 0.02
    #: Population variants per bp that the cohort does not carry (mostly rare).
    other_sites_per_bp: float = 0.005
    #: Lowest allele frequency of a shared (non-private) variant.
    min_af: float = 1e-5


def carrier_frequencies(
    rng: np.random.Generator, hom: np.ndarray, min_af: float = 1e-5
) -> np.ndarray:
    """Population AFs of the SNPs one person carries, given which are homozygous.

    With site density ∝ 1/f, carried hets have AF density ∝ 2(1 - f) and homs ∝ f on
    [min_af, 1): inverse-CDF draws of both.
    """
    hom = np.asarray(hom, dtype=bool)
    u = rng.random(hom.size)
    a = min_af
    # het: CDF ∝ (f - f²/2) - (a - a²/2)  ->  f = 1 - sqrt(1 - 2c)
    c = (a - a * a / 2) + u * (0.5 - (a - a * a / 2))
    het_af = 1 - np.sqrt(np.maximum(1 - 2 * c, 0.0))
    # hom: CDF ∝ f² - a²  ->  f = sqrt(a² + u (1 - a²))
    hom_af = np.sqrt(a * a + u * (1 - a * a))
    return np.clip(np.where(hom, hom_af, het_af), a, 1.0)


def population_table(
    genome: SyntheticGenome,
    germlines: list[list[Variant]],
    seed: int,
    spec: PopulationSpec | None = None,
) -> pd.DataFrame:
    """The resource's records: chrom, pos (1-based), ref, alt, ac, an, af, carried (bool).

    ``germlines``: each individual's germline SNPs (non-SNVs are ignored).
    """
    spec = spec or PopulationSpec()
    rng = np.random.default_rng([seed, _SALT])
    an = 2 * spec.resource_individuals
    rows: list[pd.DataFrame] = []
    for variants in germlines:
        snvs = [v for v in variants if v.kind == "SNV"]
        if not snvs:
            continue
        hom = np.array([v.hap == 2 for v in snvs])
        af = carrier_frequencies(rng, hom, spec.min_af)
        private = rng.random(len(snvs)) < spec.private_fraction
        rows.append(
            pd.DataFrame(
                {
                    "chrom": [v.chrom for v in snvs],
                    "pos": [v.pos + 1 for v in snvs],
                    "ref": [v.ref for v in snvs],
                    "alt": [v.alt for v in snvs],
                    "true_af": np.where(private, 0.0, af),
                    "carried": True,
                }
            )
        )
    for chrom in genome.chromosomes:
        n = int(rng.poisson(spec.other_sites_per_bp * chrom.length))
        pos = rng.integers(100, chrom.length - 100, n)
        pos = pos[chrom.seq[pos] < 4]
        ref = chrom.seq[pos].astype(np.int64)
        alt = (ref + rng.integers(1, 4, pos.size)) % 4
        # neutral spectrum of sites: log-uniform AF between min_af and 0.5
        af = spec.min_af * (0.5 / spec.min_af) ** rng.random(pos.size)
        bases = np.array(list("ACGT"))
        rows.append(
            pd.DataFrame(
                {
                    "chrom": chrom.name,
                    "pos": pos + 1,
                    "ref": bases[ref],
                    "alt": bases[alt],
                    "true_af": af,
                    "carried": False,
                }
            )
        )
    table = pd.concat(rows, ignore_index=True)
    # carried alleles first, so a position drawn twice keeps the one somebody carries
    table = table.drop_duplicates(["chrom", "pos"], keep="first")
    ac = rng.binomial(an, table["true_af"].to_numpy())
    table = table.assign(ac=ac, an=an, af=ac / an)
    order = {c.name: i for i, c in enumerate(genome.chromosomes)}
    table = table[table["ac"] > 0].assign(_o=lambda t: t["chrom"].map(order))
    return table.sort_values(["_o", "pos"]).drop(columns=["_o", "true_af"]).reset_index(drop=True)


def write_germline_resource(
    path: str | Path,
    genome: SyntheticGenome,
    germlines: list[list[Variant]],
    seed: int,
    spec: PopulationSpec | None = None,
) -> Path:
    """Write the resource as a bgzipped, tabix-indexed sites VCF (INFO AC, AN, AF)."""
    spec = spec or PopulationSpec()
    table = population_table(genome, germlines, seed, spec)
    path = Path(path)
    header = [
        "##fileformat=VCFv4.2",
        f"##source=scce-genomics simulate (population survey of {spec.resource_individuals} "
        "individuals)",
        "##reference=genome.fa",
        *(f"##contig=<ID={c.name},length={c.length}>" for c in genome.chromosomes),
        '##INFO=<ID=AC,Number=A,Type=Integer,Description="Alt allele count in the survey">',
        '##INFO=<ID=AN,Number=1,Type=Integer,Description="Alleles surveyed">',
        '##INFO=<ID=AF,Number=A,Type=Float,Description="Population allele frequency (AC/AN)">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    info = (
        "AC=" + table["ac"].astype(str) + ";AN=" + table["an"].astype(str)
        + ";AF=" + table["af"].map("{:.6g}".format)
    )  # fmt: skip
    body = (
        table["chrom"] + "\t" + table["pos"].astype(str) + "\t.\t" + table["ref"] + "\t"
        + table["alt"] + "\t.\tPASS\t" + info
    )  # fmt: skip
    write_bgzipped_vcf(path, header, body.tolist())
    return path
