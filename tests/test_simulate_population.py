"""The simulated population resource: realistic allele frequencies, most carried SNPs listed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.simulate.events import draw_germline
from scce_genomics.simulate.genome import make_genome
from scce_genomics.simulate.population import (
    PopulationSpec,
    carrier_frequencies,
    population_table,
    write_germline_resource,
)
from scce_genomics.somatic.germline_resource import check_germline_resource, population_af


def test_carried_snps_are_mostly_common() -> None:
    rng = np.random.default_rng(0)
    het = carrier_frequencies(rng, np.zeros(100_000, dtype=bool))
    hom = carrier_frequencies(rng, np.ones(100_000, dtype=bool))
    # density 2(1 - f): median 1 - 1/sqrt(2); a few percent below AF 1%
    assert abs(np.median(het) - (1 - 1 / np.sqrt(2))) < 0.01
    assert 0.01 < (het < 0.01).mean() < 0.03
    assert (hom > 0.3).mean() > 0.9  # homozygous SNPs are common alleles


def test_resource_lists_most_but_not_all_carried_snps(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    genome = make_genome(rng, 1 / 1000)
    people = [draw_germline(rng, genome, 1e-3) for _ in range(2)]
    spec = PopulationSpec(private_fraction=0.05)
    table = population_table(genome, people, seed=3, spec=spec)
    carried = table[table["carried"]]
    n_snps = sum(len(p) for p in people)
    listed = len(carried) / n_snps
    assert 0.9 < listed < 0.99  # private (5%) and unseen rare alleles are missing
    assert (~table["carried"]).sum() > len(carried)  # population variants nobody here carries
    assert (table["af"] > 0).all() and (table["af"] <= 1).all()
    path = write_germline_resource(tmp_path / "res.vcf.gz", genome, people, seed=3, spec=spec)
    fasta = tmp_path / "genome.fa"
    fasta.write_text("".join(f">{c.name}\n" + "A" * c.length + "\n" for c in genome.chromosomes))
    check_germline_resource(path, fasta)
    sites = pd.DataFrame(
        [(v.chrom, v.pos + 1, v.ref, v.alt) for v in people[0]],
        columns=["chrom", "pos", "ref", "alt"],
    )
    af = population_af(path, sites)
    assert 0.9 < np.isfinite(af).mean() < 0.99
    assert np.nanmedian(af) > 0.2  # an individual's listed SNPs are common


def test_same_seed_same_resource(tmp_path: Path) -> None:
    genome = make_genome(np.random.default_rng(1), 1 / 1000)
    people = [draw_germline(np.random.default_rng(2), genome, 1e-3)]
    a = population_table(genome, people, seed=5)
    b = population_table(genome, people, seed=5)
    pd.testing.assert_frame_equal(a, b)
