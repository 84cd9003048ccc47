"""Tumor-only germline/somatic classification: population prior, purity, copy number, LOH."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scce_genomics.errors import InputError
from scce_genomics.somatic.model import Candidates, SomaticParams, score
from scce_genomics.somatic.tumor_only import (
    GermlineCall,
    GermlineEvidence,
    classify,
    read_cnv_purity,
    read_segments,
    site_copy_number,
)

ERR = 1e-3


def expected_vaf(purity: float, total: int, copies: float, normal_copies: float) -> float:
    return (purity * copies + (1 - purity) * normal_copies) / (purity * total + 2 * (1 - purity))


def call_counts(
    alt: np.ndarray,
    depth: int,
    positions: np.ndarray,
    purity: float,
    evidence: GermlineEvidence,
) -> GermlineCall:
    """Classify sites on chr1 with these alt counts at one depth (all pass technical filters)."""
    return classify(
        alt,
        depth - alt,
        np.full(alt.size, ERR),
        pd.Series(["chr1"] * alt.size),
        positions,
        purity,
        evidence,
        np.ones(alt.size, dtype=bool),
    )


def run(
    vafs: list[float],
    depth: int = 80,
    purity: float = 0.7,
    pop_af: list[float] | None = None,
    segments: pd.DataFrame | None = None,
) -> np.ndarray:
    """log10 odds germline:somatic of sites with alt counts at exactly these fractions."""
    alt = np.rint(np.array(vafs) * depth)
    evidence = GermlineEvidence(
        pop_af=None if pop_af is None else np.array(pop_af, dtype=float), segments=segments
    )
    positions = 1000 + 10 * np.arange(alt.size)
    return call_counts(alt, depth, positions, purity, evidence).log10_odds


def segment(cn: int, minor: float, start: int = 0, end: int = 1_000_000) -> pd.DataFrame:
    return pd.DataFrame(
        {"chrom": ["chr1"], "start": [start], "end": [end], "cn": [cn], "minor": [minor]}
    )


def test_diploid_het_is_germline_and_clonal_somatic_is_not() -> None:
    het, somatic = run([0.5, 0.35], segments=segment(2, 1))
    assert het > 1 and somatic < -1


def test_loh_private_snp_on_the_kept_allele_is_germline() -> None:
    """Hemizygous loss at purity 0.7: germline on the kept allele at 0.77, somatic at 0.54."""
    p = 0.7
    kept = expected_vaf(p, 1, 1, 1)
    lost = expected_vaf(p, 1, 0, 1)
    clonal = expected_vaf(p, 1, 1, 0)
    odds = run([kept, lost, clonal], purity=p, segments=segment(1, 0))
    assert odds[0] > 1 and odds[1] > 0  # both germline alleles of the LOH segment
    assert odds[2] < -1
    # read as diploid, the clonal LOH mutation at 0.54 would look like a germline het
    assert run([clonal], purity=p, segments=segment(2, 1))[0] > 1


def test_population_frequency_is_the_germline_prior() -> None:
    """An ambiguous fraction (high purity, diploid) is germline when common, somatic when absent."""
    vaf = [0.45]
    common = run(vaf, purity=0.85, pop_af=[0.3], segments=segment(2, 1))
    absent = run(vaf, purity=0.85, pop_af=[np.nan], segments=segment(2, 1))
    assert common[0] > 2
    # the prior ratio of carriers, and a heterozygote is a little less likely at AF 0.3
    carriers = np.log10((0.3 * 1.7) / (1e-5 * (2 - 1e-5)))
    het = np.log10((2 * 0.7 / 1.7) / (2 * (1 - 1e-5) / (2 - 1e-5)))
    assert common[0] - absent[0] == pytest.approx(carriers + het, abs=0.01)


def test_homozygous_common_snp_is_germline() -> None:
    assert run([1.0], pop_af=[0.6], segments=segment(2, 1))[0] > 3


def test_minor_copy_number_is_inferred_from_common_snps() -> None:
    """Total CN only: common SNPs at (1 ± p)/2 reveal copy-neutral LOH, at 0.5 a balanced one."""
    p, n = 0.7, 60
    rng = np.random.default_rng(1)
    kept = expected_vaf(p, 2, 2, 1)
    loh = np.where(rng.random(n) < 0.5, kept, 1 - kept)
    vafs = np.concatenate([loh, np.full(n, 0.5)])
    alt = np.rint(vafs * 80)
    segments = pd.concat(
        [segment(2, np.nan, 0, 10_000), segment(2, np.nan, 10_000, 20_000)], ignore_index=True
    )
    positions = np.concatenate([np.arange(n) * 100 + 50, 10_000 + np.arange(n) * 100 + 50])
    evidence = GermlineEvidence(pop_af=np.full(alt.size, 0.3), segments=segments)
    call = call_counts(alt, 80, positions, p, evidence)
    assert call.minor_cn[:n] == pytest.approx(0, abs=0.01)
    assert call.minor_cn[n:] == pytest.approx(1, abs=0.01)
    assert (call.log10_odds > 1).all()


def test_somatic_prior_is_learned_from_the_sample() -> None:
    """With many clear somatic and few germline unlisted sites, the learned prior follows."""
    rng = np.random.default_rng(2)
    n_som, n_germ = 300, 60
    vafs = np.concatenate([np.full(n_som, 0.3), np.full(n_germ, 0.5)])
    depth = 60
    alt = rng.binomial(depth, vafs).astype(float)
    call = call_counts(alt, depth, np.arange(alt.size) * 100 + 1, 0.6, GermlineEvidence())
    assert call.somatic_prior == pytest.approx(n_som / (n_som + n_germ), abs=0.05)


def test_site_copy_number_outside_segments_is_diploid() -> None:
    segs = pd.concat([segment(3, 1, 0, 100), segment(1, 0, 200, 300)], ignore_index=True)
    seg_id, total, minor = site_copy_number(segs, pd.Series(["chr1"] * 3), np.array([50, 150, 250]))
    assert list(total) == [3, 2, 1] and list(minor) == [1, 1, 0]
    assert seg_id[1] == -1


def test_read_segments_takes_minor_from_cn1_cn2(tmp_path: Path) -> None:
    cns = tmp_path / "t.call.cns"
    cns.write_text(
        "chromosome\tstart\tend\tgene\tlog2\tcn\tcn1\tcn2\tdepth\tprobes\tweight\n"
        "chr1\t0\t100\t-\t0.1\t3\t2\t1\t30\t10\t1\n"
        "chr1\t100\t200\t-\t0\t2\t2\t0\t30\t10\t1\n"
    )
    segs = read_segments(cns)
    assert list(segs["minor"]) == [1, 0]
    total_only = tmp_path / "t2.call.cns"
    total_only.write_text("chromosome\tstart\tend\tlog2\tcn\nchr1\t0\t100\t0\t2\n")
    assert read_segments(total_only)["minor"].isna().all()
    bad = tmp_path / "bad.cns"
    bad.write_text("chromosome\tstart\tend\tlog2\nchr1\t0\t100\t0\n")
    with pytest.raises(InputError, match="allele table"):
        read_segments(bad)


def test_read_segments_prefers_the_refitted_allele_table(tmp_path: Path) -> None:
    """An amplification cnvkit call reads as 9/0 (LOH) keeps its refitted minor copy."""
    table = tmp_path / "t.alleles.tsv"
    table.write_text(
        "chromosome\tstart\tend\tlog2\tcn\tn_het\tbaf\tmajor\tminor\tallele_source\tloh_lod\treason\n"
        "chr3\t0\t100\t2.18\t9.0\t25\t0.83\t8\t1\tbaf\t-59.3\t\n"
        "chr3\t100\t200\t0.0\t2.0\t3\t0.6\t1\t1\ttotal\tNA\tfew SNPs\n"
        "chr3\t200\t300\t-1.0\t1.0\t3\t0.7\t1\t0\ttotal\tNA\tfew SNPs\n"
    )
    segs = read_segments(table)
    assert segs["minor"].iloc[0] == 1
    assert np.isnan(segs["minor"].iloc[1])  # two copies, no allelic evidence: unknown
    assert segs["minor"].iloc[2] == 0  # one copy: no minor allele whatever the evidence


def test_read_cnv_purity(tmp_path: Path) -> None:
    good, none = tmp_path / "a.json", tmp_path / "b.json"
    good.write_text(json.dumps({"purity": 0.42}))
    none.write_text('{"purity": NaN}')
    assert read_cnv_purity(good) == 0.42
    assert read_cnv_purity(none) is None


def test_score_uses_the_evidence_in_tumor_only_mode() -> None:
    """A common SNP below the het fraction fails germline; the same counts unlisted pass."""
    table = pd.DataFrame(
        {
            "chrom": "chr1",
            "pos": [1000, 2000],
            "ref": "A",
            "alt": "G",
            "is_indel": False,
            "mqbz": 0.0,
        }
    )
    alt = np.array([29.0, 29.0])
    cand = Candidates(
        table,
        80 - alt,
        alt,
        alt / 2,
        alt / 2,
        np.zeros(2),
        alt * 35,
        np.zeros(2),
        np.zeros(2),
        False,
    )
    evidence = GermlineEvidence(pop_af=np.array([0.4, np.nan]), segments=segment(2, 1))
    got = score(cand, SomaticParams(), purity=0.6, germline_evidence=evidence)
    assert list(got["filter"]) == ["germline", "PASS"]
    assert got.loc[0, "pop_af"] == 0.4 and np.isnan(got.loc[1, "pop_af"])
    assert list(got["total_cn"]) == [2, 2]


def test_without_a_resource_the_segment_minor_cn_comes_from_all_candidates() -> None:
    """No resource: germline hets at 0.5 fix the segment as balanced, so clonal somatic
    mutations at purity/2 are not explained away as the lost allele of a copy-neutral LOH."""
    rng = np.random.default_rng(4)
    n_germ, n_som, depth, p = 200, 40, 60, 0.56
    vafs = np.concatenate([np.full(n_germ, 0.5), np.full(n_som, p / 2)])
    alt = rng.binomial(depth, vafs).astype(float)
    positions = rng.permutation(alt.size) * 1000 + 1
    call = call_counts(alt, depth, positions, p, GermlineEvidence(segments=segment(2, np.nan)))
    assert call.minor_cn == pytest.approx(1, abs=0.01)
    assert (call.log10_odds[n_germ:] < 0).mean() > 0.75
    assert (call.log10_odds[:n_germ] > 0).mean() > 0.9
