"""Stored-tissue QC on constructed allele counts and a small constructed BAM."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

from scce_genomics.cli import main
from scce_genomics.simulate.cohort import CohortSpec, simulate_cohort
from scce_genomics.tissue.contamination import contamination_estimate, early_purity
from scce_genomics.tissue.damage import artifact_table, count_oriented
from scce_genomics.tissue.identity import SiteCounts, cohort_concordance, identity_check
from scce_genomics.tissue.table import cohort_flags, purity_comparison, sex_check


def _individual(rng: np.random.Generator, n: int) -> np.ndarray:
    """Alt-allele dosage 0/1/2 of one person at n private-SNP-like sites."""
    return rng.choice([0, 1, 2], size=n, p=[0.5, 0.3, 0.2])


def _reads(
    rng: np.random.Generator, dosage: np.ndarray, depth: int, mix: np.ndarray | None, frac: float
) -> tuple[np.ndarray, np.ndarray]:
    af = dosage / 2
    if mix is not None:
        af = (1 - frac) * af + frac * mix / 2
    af = np.clip(af, 0.001, 0.999)
    d = rng.poisson(depth, dosage.size)
    alt = rng.binomial(d, af)
    return d - alt, alt


def _counts(samples: dict[str, tuple[np.ndarray, np.ndarray]]) -> SiteCounts:
    n = next(iter(samples.values()))[0].size
    return SiteCounts(
        list(samples),
        np.array(["chr1"] * n, dtype=object),
        np.arange(n) * 1000,
        np.column_stack([v[0] for v in samples.values()]),
        np.column_stack([v[1] for v in samples.values()]),
        np.full(n, np.nan),
    )


def test_identity_catches_swap_and_duplicate_patient() -> None:
    rng = np.random.default_rng(3)
    p1, p2 = _individual(rng, 800), _individual(rng, 800)
    counts = _counts(
        {
            "P1N": _reads(rng, p1, 30, None, 0),
            "P1T": _reads(rng, p1, 40, None, 0),
            "P2N": _reads(rng, p2, 30, None, 0),
            "P2T": _reads(rng, p2, 40, None, 0),
            "P3N": _reads(rng, p1, 30, None, 0),  # patient 1 entered again as patient 3
        }
    )
    matched = identity_check(counts, "P1T", "P1N")
    swapped = identity_check(counts, "P2T", "P1N")
    assert matched["verdict"] == "pass" and matched["concordance"] > 0.9
    assert swapped["verdict"] == "fail" and swapped["concordance"] < 0.6
    cohort = cohort_concordance(counts, {"P1N": "P1", "P1T": "P1", "P2N": "P2", "P2T": "P2",
                                         "P3N": "P3"})  # fmt: skip
    flagged = cohort[cohort["flag"] == "duplicate_patient"]
    assert {tuple(sorted(x)) for x in flagged[["sample_a", "sample_b"]].to_numpy()} == {
        ("P1N", "P3N"),
        ("P1T", "P3N"),
    }


@pytest.mark.parametrize("frac", [0.0, 0.02, 0.05, 0.10])
def test_contamination_of_the_normal_tracks_truth(frac: float) -> None:
    """Own-genotype mixture fit: no truncation bias up to 10 % (hom-alt sites at 85-90 %)."""
    rng = np.random.default_rng(5)
    own = _individual(rng, 3000)
    other = np.zeros(3000, dtype=np.int64)  # a contaminant carries the reference at private SNPs
    counts = _counts({"N": _reads(rng, own, 60, other, frac)})
    est = contamination_estimate(counts, "N", "N", error_rate=0.0005)
    assert abs(float(est["contamination"]) - frac) < 0.1 * frac + 0.004
    assert float(est["se"]) < 0.01


def test_tumor_contamination_at_its_normals_hom_sites() -> None:
    rng = np.random.default_rng(6)
    own = _individual(rng, 3000)
    other = _individual(rng, 3000)  # a common-SNP panel: the contaminant may carry either allele
    counts = _counts({"N": _reads(rng, own, 40, None, 0.0), "T": _reads(rng, own, 60, other, 0.05)})
    counts.pop_af[:] = 0.35  # the panel's allele frequency (the individuals' dosage mean)
    clean = float(contamination_estimate(counts, "N", "N")["contamination"])
    tumor = float(contamination_estimate(counts, "T", "N")["contamination"])
    assert clean < 0.01
    assert 0.03 < tumor < 0.07


def test_early_purity_from_one_copy_loss() -> None:
    rng = np.random.default_rng(9)
    n, purity = 600, 0.7
    ref = rng.poisson(60, n)
    major = 1 / (2 - purity)  # one-copy loss: the kept allele's fraction
    alt = rng.binomial(ref, np.where(np.arange(n) < 150, major, 0.5))
    normal_alt = rng.binomial(ref, 0.5)
    counts = SiteCounts(
        ["T", "N"],
        np.array(["chr1"] * n, dtype=object),
        np.arange(n),
        np.column_stack([ref - alt, ref - normal_alt]),
        np.column_stack([alt, normal_alt]),
        np.full(n, np.nan),
    )
    est = early_purity(counts, "T", "N", window=30)
    assert abs(float(est["purity_estimate"]) - purity) < 0.12


def _write_bam(tmp: Path, damage: float, seed: int) -> tuple[Path, Path]:
    """Read pairs from a random genome; with damage, C>T on the strand read 1 came from."""
    rng = np.random.default_rng(seed)
    genome = rng.integers(0, 4, 20_000)
    fasta = tmp / "ref.fa"
    fasta.write_text(">chr1\n" + "".join("ACGT"[b] for b in genome) + "\n")
    pysam.faidx(str(fasta))
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "chr1", "LN": 20_000}]}
    unsorted = tmp / f"u{seed}_{damage}.bam"
    rl = 100
    with pysam.AlignmentFile(str(unsorted), "wb", header=header) as out:
        for i in range(3000):
            start = int(rng.integers(0, 20_000 - 400))
            end = start + int(rng.integers(250, 350))
            top = genome[start:end].copy()
            hit = rng.random(top.size) < damage
            r1_forward = bool(rng.random() < 0.5)
            if r1_forward:  # read 1 from the top strand: its C>T is a top-strand C>T
                top[hit & (top == 1)] = 3
            else:  # read 1 from the bottom strand: a bottom C>T is a top G>A
                top[hit & (top == 2)] = 0
            for mate, fwd in ((1, r1_forward), (2, not r1_forward)):
                seg = top[:rl] if fwd else top[-rl:]
                pos = start if fwd else end - rl
                a = pysam.AlignedSegment()
                a.query_name = f"r{i}"
                a.query_sequence = "".join("ACGT"[b] for b in seg)
                a.flag = (
                    1 | 2 | (64 if mate == 1 else 128) | (0 if fwd else 16) | (32 if fwd else 0)
                )
                a.reference_id = 0
                a.reference_start = pos
                a.mapping_quality = 60
                a.cigartuples = [(0, rl)]
                a.next_reference_id = 0
                a.next_reference_start = end - rl if fwd else start
                a.template_length = (end - start) * (1 if fwd else -1)
                a.query_qualities = pysam.qualitystring_to_array("I" * rl)
                out.write(a)
    bam = tmp / f"s{seed}_{damage}.bam"
    pysam.sort("-o", str(bam), str(unsorted))
    pysam.index(str(bam))
    return bam, fasta


@pytest.mark.parametrize("rate", [0.02])
def test_ffpe_deamination_well_above_undamaged(tmp_path: Path, rate: float) -> None:
    ffpe, fasta = _write_bam(tmp_path, rate, 1)
    fresh, _ = _write_bam(tmp_path, 0.0, 1)
    tables = {}
    for name, bam in (("ffpe", ffpe), ("fresh", fresh)):
        counts, n = count_oriented(bam, fasta, max_reads=4000)
        assert 0 < n <= 4000
        tables[name] = artifact_table(counts, name, n).set_index("substitution")
    ct_ffpe = tables["ffpe"].loc["C>T", "artifact_rate"]
    ct_fresh = tables["fresh"].loc["C>T", "artifact_rate"]
    assert ct_ffpe > 0.5 * rate and ct_fresh < 0.001
    assert tables["ffpe"].loc["C>T", "orientation_bias"] > 0.9
    assert tables["ffpe"].loc["G>T", "artifact_rate"] < 0.002  # damage is not oxidation


def _metrics(tmp: Path, verdict: str) -> Path:
    counts = _counts({"T": (np.array([20] * 30), np.array([0] * 30)), "N": (np.array([10] * 30),
                      np.array([10] * 30))})  # fmt: skip
    res = identity_check(counts, "T", "N")
    assert res["verdict"] == "fail"  # the tumor lacks every het allele of its normal
    res["verdict"] = verdict
    path = tmp / f"{verdict}.json"
    path.write_text(json.dumps(res))
    return path


def test_identity_gate_stops_a_swapped_pair_unless_warn_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    failed = _metrics(tmp_path, "fail")
    gate = tmp_path / "gate.json"
    assert main(["tissue-identity-gate", "--metrics", str(failed), "--out", str(gate)]) == 2
    err = capsys.readouterr().err
    assert "tumor T and normal N do not come from one individual" in err
    assert "identity_warn_only" in err and not gate.exists()
    args = ["tissue-identity-gate", "--metrics", str(failed), "--warn-only", "--out", str(gate)]
    assert main(args) == 0
    assert json.loads(gate.read_text())["verdict"] == "fail"
    assert "warning: tumor T and normal N" in capsys.readouterr().err
    passed = _metrics(tmp_path, "pass")
    assert main(["tissue-identity-gate", "--metrics", str(passed), "--out", str(gate)]) == 0


def test_cohort_flags_fail_both_samples_of_a_contradiction(tmp_path: Path) -> None:
    cohort = tmp_path / "cohort.tsv"
    pd.DataFrame(
        {
            "sample_a": ["P1N", "P1N", "P2N"],
            "sample_b": ["P1T", "P2N", "P3T"],
            "flag": ["mismatch_within_patient", "ok", "NA"],
        }
    ).to_csv(cohort, sep="\t", index=False)
    flags = cohort_flags(cohort, pd.Index(["P1N", "P1T", "P2N", "P3T"]))
    assert flags.loc["P1T", "genotype_flags"] == "mismatch_within_patient:P1N"
    assert list(flags["cohort_verdict"]) == ["fail", "fail", "pass", "NA"]


def _ref_fraction_at_hom_alt(out: Path, k: int = 10) -> float:
    """Share of reads showing the reference allele at the patient's hom-alt SNPs (k-mer count)."""
    fasta = pysam.FastaFile(str(out / "reference/genome.fa"))
    seqs = []
    for mate in ("R1", "R2"):
        with gzip.open(out / f"reads/P1N_L1_{mate}.fastq.gz", "rt") as handle:
            seqs += handle.read().split("\n")[1::4]
    text = "\n".join(seqs)
    comp = str.maketrans("ACGT", "TGCA")
    ref_n = alt_n = 0
    with pysam.VariantFile(str(out / "truth/P1.germline.vcf.gz")) as vcf:
        homs = [r for r in vcf if r.info["HAP"] == 2 and len(r.ref) == len(r.alts[0]) == 1]
    assert len(homs) >= 30
    for r in homs[:80]:
        left = fasta.fetch(r.chrom, r.pos - 1 - k, r.pos - 1)
        right = fasta.fetch(r.chrom, r.pos, r.pos + k)
        for allele, is_ref in ((r.ref, True), (r.alts[0], False)):
            kmer = left + allele + right
            n = text.count(kmer) + text.count(kmer.translate(comp)[::-1])
            ref_n, alt_n = (ref_n + n, alt_n) if is_ref else (ref_n, alt_n + n)
    return ref_n / (ref_n + alt_n)


def test_simulated_normal_contamination_brings_the_other_allele(tmp_path: Path) -> None:
    """--contaminate-normal mixes in another individual: at private hom-alt SNPs it reads ref."""
    fractions = []
    for frac in (0.0, 0.3):
        spec = CohortSpec(
            patients=1,
            profiles=("flat",),
            tumor_only=0,
            scale=1 / 2000,
            tumor_depth=1,
            normal_depth=10,
            units_per_sample=1,
            snvs=10,
            seed=8,
            contaminate_normal=frac,
        )
        simulate_cohort(tmp_path / str(frac), spec)
        fractions.append(_ref_fraction_at_hom_alt(tmp_path / str(frac)))
    assert fractions[0] < 0.03
    assert 0.2 < fractions[1] < 0.4


def test_purity_comparison_sets_early_next_to_cnv(tmp_path: Path) -> None:
    sheet = pd.DataFrame(
        {
            "sample": ["T1", "N1", "T2"],
            "type": ["tumor", "normal", "tumor"],
            "purity": [0.6, "", ""],
        }
    )
    (tmp_path / "T1.json").write_text(json.dumps({"sample": "T1", "purity_estimate": 0.5}))
    (tmp_path / "T2.json").write_text(json.dumps({"sample": "T2", "purity_estimate": None}))
    cnv = tmp_path / "summary.tsv"
    cnv.write_text("sample\tpurity\tpurity_source\nT1\t0.62\tfit\nT2\t0.4\tfit\n")
    table = purity_comparison(sheet, [str(tmp_path / f"T{i}.json") for i in (1, 2)], cnv)
    table = table.set_index("sample")
    assert list(table.index) == ["T1", "T2"]
    assert table.loc["T1", "early_minus_cnv"] == pytest.approx(-0.12)
    assert np.isnan(table.loc["T2", "purity_early"]) and table.loc["T2", "purity_cnv"] == 0.4


def _sex_bam(tmp: Path, name: str, per_kb: dict[str, float]) -> Path:
    """Unpaired reads at a given density per kb on chr1/chrX/chrY (each 100 kb)."""
    contigs = ["chr1", "chrX", "chrY"]
    sq = [{"SN": c, "LN": 100_000} for c in contigs]
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": sq}
    bam = tmp / f"{name}.bam"
    with pysam.AlignmentFile(str(bam), "wb", header=header) as out:
        for ref_id, contig in enumerate(contigs):
            for i, pos in enumerate(np.linspace(0, 99_800, int(per_kb[contig] * 100)).astype(int)):
                a = pysam.AlignedSegment()
                a.query_name = f"{contig}_{i}"
                a.query_sequence = "A" * 50
                a.reference_id, a.reference_start, a.mapping_quality = ref_id, int(pos), 60
                a.cigartuples = [(0, 50)]
                a.query_qualities = pysam.qualitystring_to_array("I" * 50)
                out.write(a)
    pysam.index(str(bam))
    return bam


def test_sex_check_from_x_and_y_density(tmp_path: Path) -> None:
    female = _sex_bam(tmp_path, "f", {"chr1": 10, "chrX": 10, "chrY": 0})
    male = _sex_bam(tmp_path, "m", {"chr1": 10, "chrX": 5, "chrY": 4})
    assert sex_check(female, "female")["sex_check"] == "pass"
    res = sex_check(male, "female")
    assert res["inferred_sex"] == "male" and res["sex_check"] == "fail"
    bed = tmp_path / "t.bed"
    bed.write_text("chr1\t0\t100000\n")  # a panel without X targets says nothing about sex
    res = sex_check(male, "female", bed)
    assert res["sex_check"] == "NA" and res["reason"] == "targets do not cover X"
