"""Microsatellite scan, repeat-length counting from reads, and the MSI scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

from scce_genomics.biomarkers import microsatellites as ms
from scce_genomics.biomarkers.lengths import CountParams, count_lengths, length_matrix
from scce_genomics.biomarkers.microsatellites import ScanParams, encode, scan_sequence
from scce_genomics.biomarkers.msi import (
    BASELINE_COLUMNS,
    MsiParams,
    background,
    build_baseline,
    paired_sites,
    slippage,
    summarise,
    tumor_only_sites,
    unstable_fraction,
)
from scce_genomics.errors import InputError

K = CountParams().max_shift


def naive_scan(text: str, params: ScanParams) -> set[tuple[int, int, int]]:
    """(start, unit length, repeats) by brute force: the definition, one position at a time."""
    found = set()
    n = len(text)
    for k in range(1, params.max_unit + 1):
        i = 0
        while i < n - k:
            j = i
            while j + k < n and text[j] == text[j + k] and text[j] != "N":
                j += 1
            run = j - i
            if run == 0:
                i += 1
                continue
            reps = (run + k) // k
            unit = text[i : i + k]
            primitive = not any(k % d == 0 and unit == unit[d:] + unit[:d] for d in range(1, k))
            lo, hi = (
                (params.min_homopolymer, params.max_homopolymer)
                if k == 1
                else (params.min_repeats, params.max_repeats)
            )
            if primitive and lo <= reps <= hi:
                found.add((i, k, reps))
            i = j + 1
    return found


def flanks_clean(text: str, sites: set[tuple[int, int, int]], f: int) -> set[tuple[int, int, int]]:
    spans = sorted((s, s + k * r) for s, k, r in sites)
    keep = set()
    for s, k, r in sites:
        e = s + k * r
        if s < f or e + f > len(text) or "N" in text[s - f : s] + text[e : e + f]:
            continue
        if any((os_, oe) != (s, e) and os_ < e + f and oe > s - f for os_, oe in spans):
            continue
        keep.add((s, k, r))
    return keep


def test_scan_matches_a_brute_force_definition() -> None:
    rng = np.random.default_rng(4)
    # random sequence with repeats planted, some abutting, an N stretch and a long homopolymer
    bases = list(rng.choice(list("ACGT"), 6000))
    for pos in range(50, 5900, 97):
        kind = rng.integers(1, 5)
        unit = "".join(rng.choice(list("ACGT"), kind))
        reps = int(rng.integers(3, 16))
        tract = (unit * reps)[:40]
        bases[pos : pos + len(tract)] = list(tract)
    bases[3000:3010] = list("N" * 10)
    text = "".join(bases)
    params = ScanParams(min_homopolymer=6, min_repeats=4)
    got = scan_sequence(encode(text), params)
    have = set(zip(got["start"], got["unit_length"], got["repeats"], strict=True))
    want = flanks_clean(text, naive_scan(text, params), params.flank)
    assert have == want
    assert len(have) > 20
    row = got.iloc[0]
    s, e = int(row["start"]), int(row["end"])
    assert text[s:e] == row["unit"] * int(row["repeats"])
    assert text[s - 5 : s] == row["left_flank"] and text[e : e + 5] == row["right_flank"]


def test_chunked_scan_equals_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(9)
    text = "".join(rng.choice(list("AT"), 20000))  # AT-rich: many repeats, some at chunk edges
    whole = scan_sequence(encode(text))
    monkeypatch.setattr(ms, "_CHUNK", 997)
    chunked = scan_sequence(encode(text))
    pd.testing.assert_frame_equal(whole, chunked)
    assert len(whole) > 10


def test_targets_and_thinning() -> None:
    sites = pd.DataFrame(
        {"chrom": ["1", "1", "1", "2"], "start": [100, 500, 900, 100], "end": [112, 512, 910, 110]}
    )
    targets = pd.DataFrame({"chrom": ["1", "1"], "start": [0, 505], "end": [105, 600]})
    assert ms.in_targets(sites, targets).tolist() == [True, True, False, False]
    assert len(ms.select_sites(sites, targets)) == 2
    thinned = ms.select_sites(sites, None, max_sites=2)
    assert thinned["start"].tolist() == [100, 100]  # first and last in genome order


# ---------------------------------------------------------------------------------------------
# counting reads


REF_LEFT = "GATTACAGGCATGCCTAGCTTGACCGTAGGCATCAGTCCAGTGCATGCAC"  # 50 bp
REF_RIGHT = "CGGATCCAGTTGCAGCTAGGCTTACCGATGCAGCTAGCATGGCAGTCAGC"  # 50 bp


def _bam(tmp: Path, reads: list[tuple[str, int, list[tuple[int, int]]]], ref: str) -> Path:
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "c1", "LN": len(ref)}]}
    path = tmp / "reads.bam"
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for i, (seq, start, cigar) in enumerate(sorted(reads, key=lambda r: r[1])):
            a = pysam.AlignedSegment()
            a.query_name = f"r{i}"
            a.query_sequence = seq
            a.flag = 0
            a.reference_id = 0
            a.reference_start = start
            a.mapping_quality = 60
            a.cigartuples = cigar
            a.query_qualities = pysam.qualitystring_to_array("I" * len(seq))
            out.write(a)
    pysam.index(str(path))
    return path


def test_counts_repeat_lengths_between_exact_flanks(tmp_path: Path) -> None:
    ref = REF_LEFT + "A" * 12 + REF_RIGHT
    sites = scan_sequence(encode(ref))
    sites.insert(0, "chrom", "c1")
    assert sites[["start", "repeats", "unit"]].values.tolist() == [[50, 12, "A"]]
    reads = [
        (ref[10:110], 10, [(0, 100)]),  # reference length
        (REF_LEFT[10:] + "A" * 11 + REF_RIGHT[:49], 10, [(0, 40), (2, 1), (0, 60)]),  # -1
        (REF_LEFT[10:] + "A" * 14 + REF_RIGHT[:46], 10, [(0, 40), (1, 2), (0, 58)]),  # +2
        (
            "TTTT" + REF_LEFT[14:] + "A" * 10 + REF_RIGHT[:50],
            14,
            [(4, 4), (0, 36), (2, 2), (0, 60)],
        ),
        (ref[0:65], 0, [(0, 65)]),  # ends in the right flank: does not span
        (REF_LEFT[10:] + "A" * 12 + "CGGTT" + REF_RIGHT[5:48], 10, [(0, 100)]),  # flank error
        (REF_LEFT[10:] + "AAAACAAAGAAA" + REF_RIGHT[:48], 10, [(0, 100)]),  # two errors
    ]
    counts = count_lengths(_bam(tmp_path, reads, ref), sites)
    got = dict(zip(counts["repeats"], counts["reads"], strict=True))
    assert got == {12: 1, 11: 1, 14: 1, 10: 1}
    matrix = length_matrix(counts, sites, K)
    assert matrix[0, K - 2 : K + 3].tolist() == [1, 1, 1, 0, 1]


def test_bam_on_another_reference_is_an_input_error(tmp_path: Path) -> None:
    ref = REF_LEFT + "A" * 12 + REF_RIGHT
    bam = _bam(tmp_path, [(ref[10:110], 10, [(0, 100)])], ref)
    sites = scan_sequence(encode(ref))
    sites.insert(0, "chrom", "chr9")
    with pytest.raises(InputError, match="another reference"):
        count_lengths(bam, sites)


# ---------------------------------------------------------------------------------------------
# scores


def _site_table(n: int, repeats: int = 12) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "chrom": "c1",
            "start": np.arange(n) * 1000 + 100,
            "end": np.arange(n) * 1000 + 100 + repeats,
            "unit": "A",
            "unit_length": 1,
            "repeats": repeats,
        }
    )


def _sample(
    rng: np.random.Generator,
    n_sites: int,
    depth: int,
    stutter: float,
    shifted: np.ndarray,
    share: float,
) -> np.ndarray:
    """Reads per site and shift: stutter one unit short, and -1 alleles at ``share``."""
    m = np.zeros((n_sites, 2 * K + 1), dtype=np.int64)
    for i in range(n_sites):
        n = rng.poisson(depth)
        mutant = rng.binomial(n, share) if shifted[i] else 0
        slip = rng.binomial(n - mutant, stutter)
        m[i, K] = n - mutant - slip
        m[i, K - 1] += slip + mutant
    return m


def test_paired_test_flags_planted_sites_and_not_stutter_or_loh() -> None:
    rng = np.random.default_rng(1)
    n = 400
    planted = rng.random(n) < 0.3
    normal = _sample(rng, n, 40, 0.03, np.zeros(n, bool), 0)
    tumor = _sample(rng, n, 80, 0.03, planted, 0.4)
    # a germline heterozygous site (12 and 13 units) that lost one allele in the tumor (LOH)
    normal[0] = 0
    normal[0, K], normal[0, K + 1] = 20, 20
    tumor[0] = 0
    tumor[0, K + 1] = 80
    planted[0] = False
    params = MsiParams()
    per_site = paired_sites(tumor, normal, params)
    called = per_site["unstable"].to_numpy()
    assert not called[0]
    assert (called & ~planted).sum() <= 0.05 * called.sum() + 1  # FDR held
    assert (called & planted).sum() >= 0.8 * planted.sum()
    row = summarise(per_site, params, "tumor-normal", _site_table(n))
    assert abs(row["msi_score"] - 100 * planted.mean()) < 5
    assert row["msi_status"] == "MSI-H"


def test_mixture_estimate_tracks_the_share_where_site_tests_lose_power() -> None:
    rng = np.random.default_rng(2)
    n = 3000
    for share, fraction in ((0.15, 0.3), (0.15, 0.0), (0.4, 0.1)):
        planted = rng.random(n) < fraction
        normal = _sample(rng, n, 25, 0.02, np.zeros(n, bool), 0)
        tumor = _sample(rng, n, 45, 0.02, planted, share)
        per_site = paired_sites(tumor, normal, MsiParams())
        sites = _site_table(n)
        prior = background(
            per_site["normal_other"].to_numpy(), per_site["normal_reads"].to_numpy(), sites
        )
        est = unstable_fraction(
            per_site["tumor_reads"].to_numpy(), per_site["tumor_other"].to_numpy(), prior
        )
        assert abs(est["fraction"] - planted.mean()) < 0.03
        assert est["ci_low"] <= planted.mean() + 0.01 and planted.mean() - 0.01 <= est["ci_high"]
        if fraction == 0.3:  # at 15% mutant reads few sites pass BH alone
            assert per_site["unstable"].mean() < 0.5 * planted.mean()
            assert abs(est["allele_fraction"] - share) < 0.03


def test_slippage_is_lost_units_over_all_units() -> None:
    m = np.zeros((2, 2 * K + 1), dtype=np.int64)
    m[0, K], m[0, K - 1], m[0, K + 1] = 8, 1, 1  # 8 reads of 10, one of 9, one of 11
    assert slippage(m, np.array([10, 10]))[0] == pytest.approx(1 / (8 * 10 + 9 + 1 + 11))
    assert np.isnan(slippage(m, np.array([10, 10]))[1])


def test_tumor_only_one_slipped_read_at_a_quiet_site_is_not_instability() -> None:
    rng = np.random.default_rng(3)
    n = 300
    sites = _site_table(n)
    normals = [_sample(rng, n, 30, 0.01, np.zeros(n, bool), 0) for _ in range(8)]
    params = MsiParams()
    baseline = build_baseline(sites, normals, params)
    assert len(baseline) == n and (baseline["n_normals"] == 8).all()
    quiet = baseline["sd_p"].to_numpy() == 0
    assert quiet.any()
    tumor = _sample(rng, n, 100, 0.01, np.zeros(n, bool), 0)
    tumor[quiet, K - 1] = 1  # one slipped read where no normal slipped
    mss = tumor_only_sites(sites, tumor, baseline, params)
    assert mss["unstable"].mean() < 0.02
    planted = rng.random(n) < 0.3
    msi = tumor_only_sites(sites, _sample(rng, n, 100, 0.01, planted, 0.25), baseline, params)
    hits = msi["unstable"].to_numpy()
    assert hits[planted].mean() > 0.8 and hits[~planted].mean() < 0.02


def test_too_few_sites_or_none_is_not_computed() -> None:
    params = MsiParams(min_sites=50)
    empty = paired_sites(np.zeros((0, 2 * K + 1), int), np.zeros((0, 2 * K + 1), int), params)
    row = summarise(empty, params, "tumor-normal", _site_table(0))
    assert row["msi_status"] == "not computed: no microsatellite sites in the targets"
    assert np.isnan(row["msi_score"])
    rng = np.random.default_rng(5)
    thin = paired_sites(
        _sample(rng, 80, 8, 0.02, np.zeros(80, bool), 0),
        _sample(rng, 80, 8, 0.02, np.zeros(80, bool), 0),
        params,
    )
    row = summarise(thin, params, "tumor-normal", _site_table(80))
    assert str(row["msi_status"]).startswith("not computed: ")
    assert "at least 50" in str(row["msi_status"]) and np.isnan(row["msi_score"])


def test_cli_without_sites_in_the_targets_or_a_comparator_gives_reasons(tmp_path: Path) -> None:
    from scce_genomics.cli import main

    ref = REF_LEFT + "A" * 12 + REF_RIGHT
    fasta = tmp_path / "ref.fa"
    fasta.write_text(f">c1\n{ref}\n")
    bam = _bam(tmp_path, [(ref[10:110], 10, [(0, 100)])], ref)
    bed = tmp_path / "targets.bed"
    bed.write_text("c1\t70\t110\n")  # misses the only microsatellite (50-62)
    sites, chosen = tmp_path / "sites.tsv.gz", tmp_path / "chosen.tsv.gz"
    assert main(["msi", "scan", "--fasta", str(fasta), "--out", str(sites)]) == 0
    assert len(pd.read_csv(sites, sep="\t")) == 1
    argv = ["msi", "select", "--sites", str(sites), "--targets", str(bed), "--out", str(chosen)]
    assert main(argv) == 0
    counts = tmp_path / "c.tsv.gz"
    assert (
        main(["msi", "count", "--sites", str(chosen), "--bam", str(bam), "--out", str(counts)]) == 0
    )
    out = tmp_path / "T.tsv"
    score = [
        "msi",
        "score",
        "--sample",
        "T",
        "--sites",
        str(chosen),
        "--tumor",
        str(counts),
        "--out",
        str(out),
        "--out-sites",
        str(tmp_path / "T.sites.tsv"),
    ]
    assert main([*score, "--normal", str(counts)]) == 0
    row = pd.read_csv(out, sep="\t").iloc[0]
    assert row["msi_status"] == "not computed: no microsatellite sites in the targets"
    assert np.isnan(row["msi_score"])
    assert main(score) == 0  # tumor-only without a baseline
    row = pd.read_csv(out, sep="\t").iloc[0]
    assert row["msi_status"].startswith("not computed: tumor-only and no baseline of normals")
    # a baseline built on other sites is refused with a message, not a wrong score
    other = tmp_path / "other_baseline.tsv"
    row = ["c9", 5, 17, "A", 12, 5, 5, 0.0, 0.0, 0.0]
    pd.DataFrame([row], columns=BASELINE_COLUMNS).to_csv(other, sep="\t", index=False)
    full = [
        "msi",
        "score",
        "--sample",
        "T",
        "--sites",
        str(sites),
        "--tumor",
        str(counts),
        "--baseline",
        str(other),
        "--out",
        str(out),
        "--out-sites",
        str(tmp_path / "x.tsv"),
    ]
    assert main(full) == 2
