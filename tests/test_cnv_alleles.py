"""Allele-specific copy number: the het-SNP floor, the refit in amplified segments, tumor-only."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

from scce_genomics.cnv.alleles import (
    AlleleSettings,
    allele_segments,
    common_sites,
    expected_baf,
    read_het_sites,
    segment_baf,
)


def sites(rng: np.random.Generator, chrom: str, start: int, n: int, baf: float, depth: int = 60):
    """Het SNP read counts with major-allele fraction ``baf`` and random phase."""
    pos = start + np.arange(n) * 100
    alt_frac = np.where(rng.random(n) < 0.5, baf, 1 - baf)
    alt = rng.binomial(depth, alt_frac)
    return pd.DataFrame({"chromosome": chrom, "pos": pos, "alt": alt, "depth": depth})


def seg(rows: list[tuple[str, int, int, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["chromosome", "start", "end", "log2", "cn"])


def test_expected_baf_formula() -> None:
    # pure tumor: major/total; all normal: 0.5; LOH of one copy at purity 0.6: 1/1.4
    assert expected_baf(np.array([2]), np.array([3]), 1.0)[0] == pytest.approx(2 / 3)
    assert expected_baf(np.array([5]), np.array([6]), 0.0)[0] == pytest.approx(0.5)
    assert expected_baf(np.array([1]), np.array([1]), 0.6)[0] == pytest.approx(1 / 1.4)


def test_floor_loh_and_refit_in_amplified_segment() -> None:
    rng = np.random.default_rng(4)
    purity = 0.6
    amp_b = expected_baf(np.array([4]), np.array([6]), purity)[0]  # 4+2 of 6 copies
    loh_b = expected_baf(np.array([2]), np.array([2]), purity)[0]  # copy-neutral LOH
    hets = pd.concat(
        [
            sites(rng, "c1", 0, 30, amp_b),
            sites(rng, "c1", 100_000, 25, loh_b),
            sites(rng, "c1", 200_000, 1, 0.9),  # a single SNP: below the floor
            sites(rng, "c1", 300_000, 20, 0.5),
        ]
    )
    segments = seg(
        [
            ("c1", 0, 50_000, 1.0, 6),
            ("c1", 100_000, 150_000, 0.0, 2),
            ("c1", 200_000, 250_000, 0.0, 2),
            ("c1", 300_000, 350_000, 0.0, 2),
            ("c1", 400_000, 450_000, -1.0, 1),
            ("c1", 500_000, 550_000, -3.0, 0),
        ]
    )
    out = allele_segments(segments, hets, purity, AlleleSettings(min_het_snps=10))
    # amplified 4+2: rounding CNVkit-style (6 × mirrored BAF 0.62 ≈ 3.7 -> 4) can go either way;
    # the likelihood over integer minors picks 2
    assert (out.loc[0, "major"], out.loc[0, "minor"]) == (4, 2)
    assert out.loc[0, "allele_source"] == "baf"
    assert (out.loc[1, "minor"], out.loc[1, "major"]) == (0, 2) and out.loc[1, "loh_lod"] > 2
    assert out.loc[2, "n_het"] == 1 and math.isnan(out.loc[2, "minor"])
    assert out.loc[2, "reason"] == "1 heterozygous SNPs (< 10): total only"
    assert (out.loc[3, "major"], out.loc[3, "minor"]) == (1, 1)
    # totals 1 and 0 need no SNPs
    assert (out.loc[4, "minor"], out.loc[4, "allele_source"]) == (0, "total")
    assert out.loc[5, "major"] == 0 and out.loc[5, "minor"] == 0


def test_balanced_segment_baf_is_not_biased_upwards() -> None:
    # the median mirrored BAF of balanced SNPs sits above 0.5; the likelihood estimate does not
    rng = np.random.default_rng(1)
    s = sites(rng, "c1", 0, 200, 0.5, depth=30)
    mirrored = np.median(np.maximum(s["alt"], s["depth"] - s["alt"]) / s["depth"])
    assert mirrored > 0.55
    assert segment_baf(s["alt"].to_numpy(), s["depth"].to_numpy()) <= 0.53


def write_vcf(
    path: Path, samples: list[str], rows: list[tuple[int, list[tuple[int, int]]]]
) -> None:
    header = pysam.VariantHeader()
    header.contigs.add("c1", length=1_000_000)
    header.add_meta("FORMAT", items=[("ID", "AD"), ("Number", "R"), ("Type", "Integer"),
                                     ("Description", "depth per allele")])  # fmt: skip
    for s in samples:
        header.add_sample(s)
    with pysam.VariantFile(str(path), "w", header=header) as out:
        for pos, ads in rows:
            rec = out.new_record(contig="c1", start=pos, stop=pos + 1, alleles=("A", "G"))
            for s, ad in zip(samples, ads, strict=True):
                rec.samples[s]["AD"] = ad
            out.write(rec)


def test_normal_het_filter_drops_a_15_of_96_site(tmp_path: Path) -> None:
    vcf = tmp_path / "hets.vcf"
    write_vcf(
        vcf,
        ["N", "T"],
        [(1000, [(81, 15), (60, 30)]), (2000, [(48, 48), (10, 70)]), (3000, [(4, 4), (30, 30)])],
    )
    hets = read_het_sites(vcf, "T", "N", AlleleSettings(min_depth=10))
    # 15/96 in the normal is no het; 4+4 reads are below the depth floor
    assert list(hets["pos"]) == [2000]  # 0-based, as written
    assert (hets.loc[0, "alt"], hets.loc[0, "depth"]) == (70, 80)


def test_tumor_only_sites_and_population_filter(tmp_path: Path) -> None:
    vcf = tmp_path / "tumor.vcf"
    write_vcf(vcf, ["T"], [(1000, [(30, 30)]), (2000, [(0, 60)]), (3000, [(45, 15)])])
    hets = read_het_sites(vcf, "T", "", AlleleSettings())
    assert list(hets["pos"]) == [1000, 3000]  # the hom-alt site (60/60) is out
    kept = common_sites(hets, np.array([0.3, 0.0001]), 0.01)
    assert list(kept["pos"]) == [1000]  # a site rare in the population may be somatic


def test_segments_without_cn_are_refused() -> None:
    from scce_genomics.errors import InputError

    with pytest.raises(InputError, match="no cn column"):
        allele_segments(seg([("c1", 0, 10, 0.0, 2)]).drop(columns="cn"), None, 0.5)


def test_copy_neutral_loh_inside_a_depth_segment_is_split_out() -> None:
    # depth sees one copy-number-2 segment; 30 SNPs in its middle lost heterozygosity
    rng = np.random.default_rng(9)
    loh_b = expected_baf(np.array([2]), np.array([2]), 0.7)[0]
    hets = pd.concat(
        [sites(rng, "c1", 0, 40, 0.5), sites(rng, "c1", 4_000, 30, loh_b),
         sites(rng, "c1", 7_000, 40, 0.5)]
    )  # fmt: skip
    out = allele_segments(seg([("c1", 0, 11_000, 0.0, 2)]), hets, 0.7)
    assert list(out["minor"]) == [1, 0, 1]
    assert out["start"].iloc[0] == 0 and out["end"].iloc[-1] == 11_000
    assert (out["start"].iloc[1:].to_numpy() == out["end"].iloc[:-1].to_numpy()).all()
    assert abs(out["start"].iloc[1] - 4_000) < 100 and abs(out["end"].iloc[1] - 7_000) < 100
