"""The somatic model on constructed pileups, and its VCF/MAF/TMB outputs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

from scce_genomics.somatic.maf import classify, vcf_to_maf
from scce_genomics.somatic.model import (
    Candidates,
    SomaticParams,
    artifact_posterior,
    filter_labels,
    genome_chunks,
    log10_binom_lik,
    score,
)
from scce_genomics.somatic.tmb import intersect, territory_bp, tmb_row
from scce_genomics.somatic.vcf import write_somatic_vcf

PARAMS = SomaticParams()


def sites(rows: list[dict], paired: bool = True) -> Candidates:
    """Candidates from dicts with t_ref, t_alt (+ optional strand, quality, normal counts)."""
    n = len(rows)
    table = pd.DataFrame(
        {
            "chrom": [r.get("chrom", "chr1") for r in rows],
            "pos": [r.get("pos", 1000 + 1000 * i) for i, r in enumerate(rows)],
            "ref": [r.get("ref", "A") for r in rows],
            "alt": [r.get("alt", "G") for r in rows],
            "is_indel": [r.get("indel", False) for r in rows],
            "mqbz": [r.get("mqbz", 0.0) for r in rows],
        }
    )

    def col(key: str, default: float) -> np.ndarray:
        return np.array([float(r.get(key, default)) for r in rows])

    t_alt = col("t_alt", 0)
    return Candidates(
        table=table,
        t_ref=col("t_ref", 0),
        t_alt=t_alt,
        t_alt_fwd=np.array([float(r.get("fwd", r.get("t_alt", 0) / 2)) for r in rows]),
        t_alt_rev=np.array(
            [
                float(r.get("rev", r.get("t_alt", 0) - r.get("fwd", r.get("t_alt", 0) / 2)))
                for r in rows
            ]
        ),
        t_strand_phred=col("sp", 0),
        t_alt_qsum=np.array([float(r.get("bq", 35)) * r.get("t_alt", 0) for r in rows]),
        n_ref=col("n_ref", 30) if paired else np.zeros(n),
        n_alt=col("n_alt", 0) if paired else np.zeros(n),
        paired=paired,
    )


def filters_of(rows: list[dict], paired: bool = True, **kwargs: object) -> list[str]:
    return list(score(sites(rows, paired), PARAMS, **kwargs)["filter"])  # type: ignore[arg-type]


def test_clear_somatic_site_passes() -> None:
    assert filters_of([{"t_ref": 40, "t_alt": 12}]) == ["PASS"]


def test_germline_het_in_normal_fails() -> None:
    (f,) = filters_of([{"t_ref": 20, "t_alt": 20, "n_ref": 15, "n_alt": 14}])
    assert "germline" in f.split(";")


def test_one_alt_read_in_deep_normal_is_still_germline_free() -> None:
    """One alt read in a 60x normal is sequencing noise, not a germline allele."""
    assert filters_of([{"t_ref": 40, "t_alt": 12, "n_ref": 59, "n_alt": 1}]) == ["PASS"]


def test_strand_biased_site_is_filtered() -> None:
    (f,) = filters_of([{"t_ref": 40, "t_alt": 12, "fwd": 12, "rev": 0, "sp": 60}])
    assert f == "strand_bias"


def test_weak_and_thin_evidence() -> None:
    weak, thin = filters_of([{"t_ref": 80, "t_alt": 2}, {"t_ref": 3, "t_alt": 3}])
    assert {"low_alt_count", "weak_evidence"} <= set(weak.split(";"))
    assert "low_depth" in thin.split(";")


def test_low_quality_alt_bases() -> None:
    (f,) = filters_of([{"t_ref": 40, "t_alt": 12, "bq": 12}])
    assert "low_base_quality" in f.split(";")


def test_panel_of_normals_hit() -> None:
    pon = {("chr1", 1000, "A", "G")}
    (f,) = filters_of([{"t_ref": 40, "t_alt": 12}], pon=pon)
    assert f == "panel_of_normals"


def test_snv_next_to_indel_and_clusters() -> None:
    rows = [
        {"pos": 500, "t_ref": 40, "t_alt": 12},
        {"pos": 503, "t_ref": 40, "t_alt": 12, "indel": True, "ref": "AT", "alt": "A"},
        {"pos": 5000, "t_ref": 40, "t_alt": 12},
        {"pos": 5010, "t_ref": 40, "t_alt": 12},
        {"pos": 5020, "t_ref": 40, "t_alt": 12},
    ]
    got = filters_of(rows)
    assert "near_indel" in got[0].split(";")
    assert all("clustered_events" in f for f in got[2:])


def orientation_table(rows: list[tuple[int, str, str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["pos", "ref", "alt", "f1r2_alt", "f2r1_alt"]).assign(
        chrom="chr1"
    )


def test_orientation_biased_c_to_t_is_filtered_in_a_damaged_sample() -> None:
    # 40 artifact-like C>T sites (3 reads, one orientation) teach the sample's prior
    rows = [
        {"pos": 100 * i + 100, "ref": "C", "alt": "T", "t_ref": 97, "t_alt": 3} for i in range(40)
    ]
    real = {"pos": 9000, "ref": "C", "alt": "T", "t_ref": 40, "t_alt": 16}
    art = {"pos": 9500, "ref": "G", "alt": "A", "t_ref": 60, "t_alt": 6}
    orient = orientation_table(
        [(r["pos"], "C", "T", 3, 0) for r in rows]
        + [(9000, "C", "T", 8, 8), (9500, "G", "A", 0, 6)]
    )
    got = score(sites([*rows, real, art]), PARAMS, orientation=orient)
    assert got.loc[got["pos"] == 9000, "filter"].item() == "PASS"
    assert "orientation" in got.loc[got["pos"] == 9500, "filter"].item()


def test_fresh_sample_keeps_one_sided_c_to_t() -> None:
    """Without damage elsewhere the prior is 0: a one-sided real C>T is not an artifact."""
    rows = [
        {"pos": 100 * i + 100, "ref": "C", "alt": "T", "t_ref": 30, "t_alt": 10} for i in range(40)
    ]
    orient = orientation_table(
        [(r["pos"], "C", "T", 5, 5) for r in rows[1:]] + [(100, "C", "T", 6, 0)]
    )
    got = score(sites(rows), PARAMS, orientation=orient)
    assert got.loc[got["pos"] == 100, "filter"].item() == "PASS"


def test_artifact_posterior_falls_with_allele_fraction() -> None:
    alt = np.array([3.0, 30.0])
    post = artifact_posterior(alt, np.zeros(2), alt, np.array([100.0, 100.0]), 0.8, 0.02)
    assert post[0] > 0.9 and post[1] < 0.01


def test_tumor_only_germline_like_vaf_is_flagged() -> None:
    het, somatic = filters_of(
        [{"t_ref": 30, "t_alt": 30}, {"t_ref": 54, "t_alt": 16}], paired=False, purity=0.6
    )
    assert "germline" in het.split(";")
    assert somatic == "PASS"


def test_likelihood_prefers_the_true_fraction() -> None:
    alt, ref = np.array([20.0]), np.array([80.0])
    err = np.array([1e-3])
    assert log10_binom_lik(alt, ref, np.array([0.2]), err) > log10_binom_lik(
        alt, ref, np.array([0.5]), err
    )


def write_vcf(tmp_path: Path, scored: pd.DataFrame) -> Path:
    out = tmp_path / "t.vcf.gz"
    write_somatic_vcf(scored, {"chr1": 100_000}, "T1", "N1", out)
    return out


def test_vcf_round_trips_through_bcftools(tmp_path: Path) -> None:
    scored = score(
        sites([{"t_ref": 40, "t_alt": 12}, {"t_ref": 20, "t_alt": 20, "n_alt": 15}]), PARAMS
    )
    out = write_vcf(tmp_path, scored)
    view = subprocess.run(
        ["bcftools", "view", str(out)], capture_output=True, text=True, check=True
    )
    assert "##FILTER=<ID=orientation" in view.stdout
    body = [line.split("\t") for line in view.stdout.splitlines() if not line.startswith("#")]
    assert [row[6] for row in body] == ["PASS", "germline"]
    assert body[0][9].startswith("0/1:40,12:0.2308:52")
    with pysam.VariantFile(str(out)) as vcf:
        assert list(vcf.header.samples) == ["T1", "N1"]
        assert (tmp_path / "t.vcf.gz.tbi").exists()


def test_empty_result_is_a_valid_vcf_and_empty_maf(tmp_path: Path) -> None:
    scored = score(sites([]), PARAMS)
    out = write_vcf(tmp_path, scored)
    check = subprocess.run(["bcftools", "view", "-H", str(out)], capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout == ""
    maf = vcf_to_maf(out, "T1", "N1", "custom")
    assert maf.empty and "Variant_Classification" in maf.columns
    row = tmb_row("T1", maf, 2_000_000)
    assert row["tmb_per_mb"] == 0.0


@pytest.mark.parametrize(
    ("bcsq", "vtype", "expected"),
    [
        (
            "missense|TP53|ENST1|protein_coding|-|175R>175H|524G>A",
            "SNP",
            ("TP53", "Missense_Mutation", "p.R175H"),
        ),
        (
            "stop_gained|RB1|ENST2|protein_coding|+|358R>358*|1072C>T",
            "SNP",
            ("RB1", "Nonsense_Mutation", "p.R358*"),
        ),
        (
            "frameshift|NOTCH1|ENST3|protein_coding|-|100P|299delC",
            "DEL",
            ("NOTCH1", "Frame_Shift_Del", "p.P100P"),
        ),
        ("synonymous|SOX2|ENST4|protein_coding|+|10L|30C>T", "SNP", ("SOX2", "Silent", "p.L10=")),
        ("intron|RB1|ENST2|protein_coding|+", "SNP", ("RB1", "Intron", "")),
        (None, "SNP", ("Unknown", "IGR", "")),
    ],
)
def test_consequence_to_maf_class(bcsq: str | None, vtype: str, expected: tuple) -> None:
    assert classify(bcsq, vtype)[:3] == expected


def test_most_severe_consequence_wins() -> None:
    bcsq = "intron|TP53|T1|protein_coding|-,stop_gained|TP53|T2|protein_coding|-|5Q>5*|13C>T"
    assert classify(bcsq, "SNP")[1] == "Nonsense_Mutation"


def test_callable_intersection() -> None:
    a = pd.DataFrame({"chrom": ["c1", "c1"], "start": [0, 100], "end": [50, 200]})
    b = pd.DataFrame({"chrom": ["c1"], "start": [40], "end": [150]})
    both = intersect(a, b)
    assert list(both["start"]) == [40, 100] and list(both["end"]) == [50, 150]
    assert territory_bp(both) == 60


def test_callable_intersection_with_several_overlaps() -> None:
    a = pd.DataFrame({"chrom": ["c1", "c1", "c2"], "start": [0, 100, 0], "end": [50, 300, 10]})
    b = pd.DataFrame(
        {"chrom": ["c1", "c1", "c1", "c2"], "start": [10, 120, 250, 20], "end": [20, 200, 400, 30]}
    )
    both = intersect(a, b)
    assert list(zip(both["start"], both["end"], strict=True)) == [(10, 20), (120, 200), (250, 300)]


def test_filter_labels_join_failed_checks_in_order() -> None:
    checks = {
        "low_depth": np.array([False, True, True]),
        "germline": np.array([False, False, True]),
    }
    assert list(filter_labels(checks)) == ["PASS", "low_depth", "low_depth;germline"]


def test_oxidation_g_to_t_in_one_orientation_is_filtered() -> None:
    """8-oxoG: G>T in F1R2 (C>A in F2R1) learned like deamination, from the sample itself."""
    rows = [
        {"pos": 100 * i + 100, "ref": "G", "alt": "T", "t_ref": 97, "t_alt": 3} for i in range(40)
    ]
    real = {"pos": 9000, "ref": "G", "alt": "T", "t_ref": 40, "t_alt": 16}
    art = {"pos": 9500, "ref": "C", "alt": "A", "t_ref": 60, "t_alt": 6}
    c_to_t = {"pos": 9700, "ref": "C", "alt": "T", "t_ref": 60, "t_alt": 6}
    orient = orientation_table(
        [(r["pos"], "G", "T", 3, 0) for r in rows]
        + [(9000, "G", "T", 8, 8), (9500, "C", "A", 0, 6), (9700, "C", "T", 6, 0)]
    )
    got = score(sites([*rows, real, art, c_to_t]), PARAMS, orientation=orient).set_index("pos")
    assert got.loc[9000, "filter"] == "PASS"
    assert "orientation" in got.loc[9500, "filter"]
    # no deamination in this sample: the one-sided C>T keeps its call
    assert got.loc[9700, "filter"] == "PASS"


def test_scoring_is_vectorised_over_many_sites() -> None:
    """A large candidate set scores in one call with per-site results in input order."""
    n = 50_000
    rows = sites([{"t_ref": 40, "t_alt": 12}])
    big = Candidates(
        table=pd.DataFrame(
            {
                "chrom": np.repeat(["chr1", "chr2"], n // 2),
                "pos": np.tile(np.arange(n // 2) * 1000 + 1, 2),
                "ref": "A",
                "alt": "G",
                "is_indel": False,
                "mqbz": 0.0,
            }
        ),
        t_ref=np.full(n, 40.0),
        t_alt=np.where(np.arange(n) % 2 == 0, 12.0, 1.0),
        t_alt_fwd=np.full(n, 6.0),
        t_alt_rev=np.full(n, 6.0),
        t_strand_phred=np.zeros(n),
        t_alt_qsum=np.full(n, 35.0 * 12),
        n_ref=np.full(n, 30.0),
        n_alt=np.zeros(n),
        paired=rows.paired,
    )
    got = score(big, PARAMS)
    assert (got["filter"].to_numpy()[::2] == "PASS").all()
    assert not (got["filter"].to_numpy()[1::2] == "PASS").any()


def test_genome_chunks_cover_the_genome_once_in_order() -> None:
    contigs = {"a": 1000, "b": 500, "c": 300}
    chunks = genome_chunks(contigs, 4)
    sizes = [int((c["end"] - c["start"]).sum()) for c in chunks]
    assert sum(sizes) == 1800 and max(sizes) - min(sizes) <= 1
    flat = pd.concat(chunks, ignore_index=True)
    # contiguous, in contig order: the chunk outputs concatenate into a sorted file
    for chrom, part in flat.groupby("chrom", sort=False):
        assert part["start"].iloc[0] == 0 and part["end"].iloc[-1] == contigs[chrom]
        assert (part["start"].to_numpy()[1:] == part["end"].to_numpy()[:-1]).all()
    assert list(dict.fromkeys(flat["chrom"])) == ["a", "b", "c"]


def test_genome_chunks_of_capture_targets_are_padded_and_merged() -> None:
    targets = pd.DataFrame(
        {"chrom": ["a", "a", "b", "zz"], "start": [100, 230, 0, 5], "end": [200, 300, 50, 9]}
    )
    (only,) = genome_chunks({"a": 1000, "b": 500}, 1, targets, pad=20)
    assert only.to_dict("list") == {"chrom": ["a", "b"], "start": [80, 0], "end": [320, 70]}


def test_tmb_counts_only_mutations_in_the_callable_territory() -> None:
    maf = pd.DataFrame(
        {
            "Tumor_Sample_Barcode": ["T1"] * 3,
            "Chromosome": ["c1", "c1", "c2"],
            "Start_Position": [15, 500, 5],
            "Variant_Type": ["SNP", "SNP", "DEL"],
        }
    )
    region = pd.DataFrame({"chrom": ["c1", "c2"], "start": [10, 0], "end": [20, 10]})
    row = tmb_row("T1", maf, 1_000_000, region)
    assert (row["n_snv"], row["n_indel"], row["tmb_per_mb"]) == (1, 1, 2.0)


def test_damage_artifacts_do_not_make_a_cluster() -> None:
    """FFPE artifacts near a real SNV are filtered themselves but do not cluster it out."""
    rows = [
        {"pos": 100 * i + 100, "ref": "C", "alt": "T", "t_ref": 97, "t_alt": 3} for i in range(40)
    ]
    real = {"pos": 9000, "ref": "A", "alt": "G", "t_ref": 40, "t_alt": 16}
    near = [{"pos": p, "ref": "C", "alt": "T", "t_ref": 60, "t_alt": 6} for p in (9010, 9020)]
    orient = orientation_table(
        [(r["pos"], "C", "T", 3, 0) for r in rows]
        + [(9010, "C", "T", 6, 0), (9020, "C", "T", 6, 0)]
    )
    got = score(sites([*rows, real, *near]), PARAMS, orientation=orient).set_index("pos")
    assert got.loc[9000, "filter"] == "PASS"
    assert all("orientation" in got.loc[p, "filter"] for p in (9010, 9020))
