"""Stored-tissue QC on constructed allele counts and a small constructed BAM."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

from scce_genomics.cli import main
from scce_genomics.simulate.cohort import CohortSpec, simulate_cohort
from scce_genomics.tissue.contamination import contamination_estimate, copy_neutral_sites
from scce_genomics.tissue.damage import artifact_table, count_oriented
from scce_genomics.tissue.identity import IdentityThresholds, cohort_identity, identity_check
from scce_genomics.tissue.purity import early_purity
from scce_genomics.tissue.sites import SiteCounts
from scce_genomics.tissue.table import cohort_flags, purity_comparison, sex_check


def _person(rng: np.random.Generator, af: np.ndarray) -> np.ndarray:
    """Alleles (sites x 2 haplotypes, 0 ref / 1 alt) of one person drawn at population AF."""
    return (rng.random((af.size, 2)) < af[:, None]).astype(np.int64)


def _private(rng: np.random.Generator, n: int) -> np.ndarray:
    """A person at their own private SNPs (the normal's calls): 35 % hom-alt, the rest het."""
    hom = rng.random(n) < 0.35
    first = rng.integers(0, 2, n)
    return np.column_stack([np.where(hom, 1, first), np.where(hom, 1, 1 - first)])


def _sample(
    rng: np.random.Generator,
    own: np.ndarray,
    depth: float,
    purity: float = 0.0,
    cn: np.ndarray | None = None,
    other: np.ndarray | None = None,
    contamination: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Ref/alt read counts of a sample as the simulator mixes it.

    Normal cells carry ``own`` (two copies), tumor cells (``purity``) carry ``cn`` copies of
    each haplotype; the whole is scaled by 1 - ``contamination`` and ``other`` adds diploid
    DNA so that it makes ``contamination`` of all reads genome-wide. Depth follows the DNA.
    """
    cn = np.ones_like(own) if cn is None else cn
    copies = purity * cn + (1 - purity)  # per haplotype
    own_dna = copies.sum(axis=1)
    own_alt = (copies * own).sum(axis=1)
    mean_dna = own_dna.mean()
    dna, alt_dna = (1 - contamination) * own_dna, (1 - contamination) * own_alt
    if other is not None:
        dna = dna + contamination * mean_dna
        alt_dna = alt_dna + contamination * mean_dna * other.sum(axis=1) / 2
    d = rng.poisson(depth * dna / dna.mean())
    alt = rng.binomial(d, np.clip(alt_dna / np.maximum(dna, 1e-9), 0.0005, 0.9995))
    return d - alt, alt


def _loh_cn(n: int, fraction: float, rng: np.random.Generator, neutral: bool = False) -> np.ndarray:
    """Tumor copies per haplotype: the first ``fraction`` of sites lose one haplotype.

    One-copy loss (1:0) or, with ``neutral``, copy-neutral LOH (2:0).
    """
    cn = np.ones((n, 2), dtype=np.int64)
    lost = np.arange(n) < fraction * n
    hap = rng.integers(0, 2, n)
    cn[lost, hap[lost]] = 0
    if neutral:
        cn[lost, 1 - hap[lost]] = 2
    return cn


def _counts(samples: dict[str, tuple[np.ndarray, np.ndarray]], af: float = np.nan) -> SiteCounts:
    n = next(iter(samples.values()))[0].size
    return SiteCounts(
        list(samples),
        np.array(["chr1"] * n, dtype=object),
        np.arange(n) * 1000,
        np.column_stack([v[0] for v in samples.values()]),
        np.column_stack([v[1] for v in samples.values()]),
        np.full(n, af),
    )


@pytest.mark.parametrize("purity", [0.95, 1.0])
@pytest.mark.parametrize("loh", [0.3, 0.5])
def test_identity_passes_a_true_pair_whose_tumor_lost_an_allele(purity: float, loh: float) -> None:
    """LOH turns the normal's hets into tumor homozygotes; the pair must still pass."""
    rng = np.random.default_rng(int(purity * 100 + loh * 10))
    own, other = _private(rng, 1000), _private(rng, 1000)
    counts = _counts(
        {
            "N": _sample(rng, own, 30),
            "T": _sample(rng, own, 60, purity, _loh_cn(1000, loh, rng), other, 0.05),
        }
    )
    res = identity_check(counts, "T", "N")
    assert res["verdict"] == "pass", res["reason"]
    assert res["opposite_fraction"] < 0.01 and res["hom_relatedness"] > 0.9
    assert res["het_discordance"] > 0.5 * loh  # the hets the tumor lost: reported, not judged


def test_identity_fails_swaps_at_private_and_at_common_sites() -> None:
    rng = np.random.default_rng(3)
    own = _private(rng, 800)
    # the other person at the normal's private SNPs: reference almost everywhere
    stranger = np.zeros_like(own)
    private = _counts({"N": _sample(rng, own, 30), "T": _sample(rng, stranger, 60, 1.0)})
    assert identity_check(private, "T", "N")["verdict"] == "fail"
    af = rng.uniform(0.05, 0.95, 800)  # a common-SNP panel: strangers share many alleles
    a, b = _person(rng, af), _person(rng, af)
    common = _counts(
        {"N": _sample(rng, a, 30), "T": _sample(rng, b, 60, 1.0, _loh_cn(800, 0.5, rng))}
    )
    res = identity_check(common, "T", "N")
    assert res["verdict"] == "fail" and res["opposite_fraction"] > 0.2, res


def test_identity_is_na_with_too_few_informative_sites() -> None:
    rng = np.random.default_rng(4)
    own = _private(rng, 30)  # ~10 hom-alt sites: below the 20 needed
    counts = _counts({"N": _sample(rng, own, 30), "T": _sample(rng, own, 60)})
    res = identity_check(counts, "T", "N")
    assert res["verdict"] == "NA"
    assert f"only {res['informative_sites']} sites homozygous in both" in res["reason"]
    assert identity_check(counts, "T", "N", IdentityThresholds(min_sites=5))["verdict"] == "pass"


def test_cohort_flags_duplicate_patients_but_not_two_tumors_with_different_loh() -> None:
    rng = np.random.default_rng(3)
    af = rng.uniform(0.05, 0.95, 1500)
    p1, p2 = _person(rng, af), _person(rng, af)
    cn_a = _loh_cn(1500, 0.5, rng)
    cn_b = _loh_cn(1500, 0.5, rng)[::-1]  # the other half of the genome lost
    counts = _counts(
        {
            "P1N": _sample(rng, p1, 30),
            "P1T": _sample(rng, p1, 60, 1.0, cn_a),
            "P1T2": _sample(rng, p1, 60, 1.0, cn_b),
            "P2N": _sample(rng, p2, 30),
            "P3N": _sample(rng, p1, 30),  # patient 1 entered again as patient 3
        }
    )
    patients = {"P1N": "P1", "P1T": "P1", "P1T2": "P1", "P2N": "P2", "P3N": "P3"}
    cohort = cohort_identity(counts, patients)
    flagged = cohort[cohort["flag"] != "ok"]
    assert {(a, b, f) for a, b, f in flagged[["sample_a", "sample_b", "flag"]].to_numpy()} == {
        ("P1N", "P3N", "duplicate_patient"),
        ("P1T", "P3N", "duplicate_patient"),
        ("P1T2", "P3N", "duplicate_patient"),
    }
    tumors = cohort[(cohort["sample_a"] == "P1T") & (cohort["sample_b"] == "P1T2")].iloc[0]
    assert tumors["het_discordance"] > 0.5  # LOH of either tumor: reported, not judged


@pytest.mark.parametrize("frac", [0.0, 0.02, 0.05, 0.10])
def test_contamination_of_the_normal_tracks_truth(frac: float) -> None:
    """Own-genotype mixture fit: no truncation bias up to 10 % (hom-alt sites at 85-90 %)."""
    rng = np.random.default_rng(5)
    own = _private(rng, 3000)
    other = np.zeros_like(own)  # a contaminant carries the reference at private SNPs
    counts = _counts({"N": _sample(rng, own, 60, other=other, contamination=frac)})
    est = contamination_estimate(counts, "N", "N", error_rate=0.0005)
    assert abs(float(est["contamination"]) - frac) < 0.1 * frac + 0.004
    assert float(est["se"]) < 0.01


@pytest.mark.parametrize(("loh", "neutral"), [(0.5, False), (0.5, True), (0.0, False)])
@pytest.mark.parametrize("frac", [0.02, 0.05, 0.10])
def test_paired_contamination_holds_whatever_the_tumors_copy_number(
    loh: float, neutral: bool, frac: float
) -> None:
    """Purity 1, half the genome lost or copy-neutral LOH, an amplified stretch."""
    rng = np.random.default_rng(int(frac * 1000 + loh * 10 + neutral))
    own, stranger = _private(rng, 4000), np.zeros((4000, 2), dtype=np.int64)
    cn = _loh_cn(4000, loh, rng, neutral)
    cn[-400:] *= 3
    counts = _counts(
        {"N": _sample(rng, own, 30), "T": _sample(rng, own, 60, 1.0, cn, stranger, frac)}
    )
    est = contamination_estimate(counts, "T", "N")
    assert est["method"] == "paired_depth_normalised"
    assert abs(est["contamination"] - frac) < 0.1 * frac + 0.003, est
    assert est["ci_low"] < est["contamination"] < est["ci_high"]
    assert est["ci_high"] - est["ci_low"] < 0.2 * frac + 0.01


def test_paired_contamination_resists_sites_the_model_cannot_explain() -> None:
    """A few normal 'homozygous' sites that the tumor reads as hets (paralogs, miscalls)."""
    rng = np.random.default_rng(12)
    own, stranger = _private(rng, 600), np.zeros((600, 2), dtype=np.int64)
    ref, alt = _sample(rng, own, 60, 1.0, _loh_cn(600, 0.5, rng), stranger, 0.03)
    hom_alt = np.flatnonzero(own.sum(axis=1) == 2)[:6]  # 6 of ~200 sites
    ref[hom_alt], alt[hom_alt] = 30, 30
    counts = _counts({"N": _sample(rng, own, 30), "T": (ref, alt)})
    est = contamination_estimate(counts, "T", "N")
    assert abs(est["contamination"] - 0.03) < 0.01, est
    assert est["n_outlier_sites"] >= 6
    pooled = alt[own.sum(axis=1) == 2] / (ref + alt)[own.sum(axis=1) == 2]
    assert pooled.mean() > 0.04  # what the plain minor-allele fraction would say


def test_tumor_contamination_at_its_normals_hom_sites_of_a_common_panel() -> None:
    rng = np.random.default_rng(6)
    af = np.full(3000, 0.35)  # a common-SNP panel with its allele frequency
    own, other = _person(rng, af), _person(rng, af)
    counts = _counts(
        {"N": _sample(rng, own, 40), "T": _sample(rng, own, 60, 0.7, None, other, 0.05)}, 0.35
    )
    clean = float(contamination_estimate(counts, "N", "N")["contamination"])
    tumor = float(contamination_estimate(counts, "T", "N")["contamination"])
    assert clean < 0.01
    assert 0.04 < tumor < 0.06


def _segments(tmp: Path, n: int, loh: float) -> Path:
    """CNVkit-style call.cns: the LOH stretch at one copy, the rest at two."""
    cut = int(loh * n) * 1000
    path = tmp / "T.call.cns"
    path.write_text(
        "chromosome\tstart\tend\tgene\tlog2\tcn\n"
        f"chr1\t0\t{cut - 500}\t-\t-1.0\t1\n"
        f"chr1\t{cut - 500}\t{n * 1000}\t-\t0.0\t2\n"
    )
    return path


def test_tumor_only_contamination_needs_population_af_and_copy_neutral_segments(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(7)
    n, loh = 6000, 0.5
    af = rng.uniform(0.05, 0.95, n)
    own, other = _person(rng, af), _person(rng, af)
    tumor = _sample(rng, own, 80, 0.8, _loh_cn(n, loh, rng), other, 0.05)
    no_af = _counts({"T": tumor})
    res = contamination_estimate(no_af, "T", "T", tumor_only=True)
    assert np.isnan(res["contamination"])
    assert res["reason"].startswith("not computed: tumor-only without population allele")
    counts = _counts({"T": tumor})
    counts.pop_af = af
    keep = copy_neutral_sites(counts, _segments(tmp_path, n, loh))
    assert keep.sum() == pytest.approx(n * (1 - loh), abs=2)
    est = contamination_estimate(counts, "T", "T", tumor_only=True, keep=keep)
    assert est["method"] == "tumor_only_mixture"
    assert abs(est["contamination"] - 0.05) < 0.01, est
    # the LOH residue of the normal cells (20 %) is what a segment-blind estimate reads
    blind = contamination_estimate(counts, "T", "T", tumor_only=True)
    assert blind["contamination"] > 0.07


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
    counts = _counts({"T": (np.array([20] * 30), np.array([0] * 30)), "N": (np.array([0] * 30),
                      np.array([20] * 30))})  # fmt: skip
    res = identity_check(counts, "T", "N")
    assert res["verdict"] == "fail"  # the tumor is hom-ref at every hom-alt site of its normal
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


def _ref_fraction_at_hom_alt(out: Path, sample: str, k: int = 10) -> float:
    """Share of reads showing the reference allele at the patient's hom-alt SNPs (k-mer count)."""
    fasta = pysam.FastaFile(str(out / "reference/genome.fa"))
    seqs = []
    for mate in ("R1", "R2"):
        with gzip.open(out / f"reads/{sample}_L1_{mate}.fastq.gz", "rt") as handle:
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


#: One patient, a tumor at depth 1 and a normal at depth 10 (the fields a test changes vary).
ONE_PATIENT = CohortSpec(
    patients=1,
    profiles=("flat",),
    tumor_only=0,
    scale=1 / 2000,
    tumor_depth=1,
    normal_depth=10,
    units_per_sample=1,
    snvs=10,
    seed=8,
)


def test_simulated_normal_contamination_brings_the_other_allele(tmp_path: Path) -> None:
    """--contaminate-normal mixes in another individual: at private hom-alt SNPs it reads ref."""
    fractions = []
    for frac in (0.0, 0.3):
        simulate_cohort(tmp_path / str(frac), replace(ONE_PATIENT, contaminate_normal=frac))
        fractions.append(_ref_fraction_at_hom_alt(tmp_path / str(frac), "P1N"))
    assert fractions[0] < 0.03
    assert 0.2 < fractions[1] < 0.4


def test_simulated_aneuploid_tumor_with_contamination(tmp_path: Path) -> None:
    """LOH over half the genome at purity 1, 10 % of the reads from another person."""
    spec = replace(
        ONE_PATIENT,
        normal_depth=1,
        tumor_depth=12,
        purity_range=(1.0, 1.0),
        loh_fraction=(0.5,),
        contaminate_tumor=(0.1,),
    )
    simulate_cohort(tmp_path, spec)
    truth = json.loads((tmp_path / "truth/P1T.json").read_text())
    assert truth["contamination"] == 0.1
    assert 0.45 < truth["loh_fraction"] < 0.52  # five of ten slots per chromosome, less the Ns
    segments = pd.read_csv(tmp_path / "truth/P1T.cn.tsv", sep="\t")
    kinds = set(zip(segments["major_cn"], segments["minor_cn"], strict=True))
    assert {(1, 0), (2, 0), (2, 1)} <= kinds and max(segments["major_cn"]) >= 6
    # summed over hom-alt SNPs spread over the genome, the reference reads are the other
    # person's share of the reads, whatever each region's copy number
    assert 0.07 < _ref_fraction_at_hom_alt(tmp_path, "P1T") < 0.13


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


def test_report_joins_headline_tissue_columns_and_shows_the_ci(tmp_path: Path) -> None:
    from scce_genomics.report.sections.tissue import join_tissue_columns, tissue_display

    tissue = pd.DataFrame(
        {
            "sample": ["P1T", "P1N"],
            "identity_verdict": ["NA", "NA"],
            "identity_reason": ["only 3 sites homozygous in both samples", np.nan],
            "identity_sites": [3, np.nan],
            "identity_relatedness": [np.nan, np.nan],
            "contamination": [0.0213, np.nan],
            "contamination_ci_low": [0.0198, np.nan],
            "contamination_ci_high": [0.0229, np.nan],
            "contamination_method": ["paired_depth_normalised", "own_genotype_mixture"],
            "contamination_verdict": ["warn", "NA"],
        }
    )
    qc = pd.DataFrame({"sample": ["P1T", "P1N"], "verdict": ["pass", "pass"]})
    merged = join_tissue_columns(qc, [("tissue_qc", tissue)])
    assert {"identity_verdict", "identity_relatedness", "contamination"} <= set(merged.columns)
    assert not {"identity_reason", "identity_sites", "contamination_ci_low"} & set(merged.columns)
    shown = tissue_display(tissue).set_index("sample")
    assert shown.loc["P1T", "contamination (95% CI)"] == "0.0213 (0.0198–0.0229)"
    assert shown.loc["P1N", "contamination (95% CI)"] == "NA"
    assert "contamination_ci_low" not in shown.columns


def _vcf(path: Path, rows: list[str], samples: tuple[str, ...] = (), info: str = "") -> Path:
    """A small VCF (bgzipped and indexed when ``path`` ends in .gz)."""
    header = ["##fileformat=VCFv4.2", "##contig=<ID=chr1,length=10000000>"]
    if info:
        header.append(f'##INFO=<ID={info},Number=A,Type=Float,Description="ALT frequency">')
    header.append('##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allele depths">')
    header.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]
                            + (["FORMAT", *samples] if samples else [])))  # fmt: skip
    text = "\n".join(header + rows) + "\n"
    if path.suffix != ".gz":
        path.write_text(text)
        return path
    plain = path.with_suffix("")
    plain.write_text(text)
    pysam.tabix_compress(str(plain), str(path), force=True)
    pysam.tabix_index(str(path), preset="vcf", force=True)
    return path


def test_tumor_only_contamination_command_reads_a_germline_resource(tmp_path: Path) -> None:
    """CLI: allele depths + a gnomAD-style resource (its own AF field) + CNVkit segments."""
    rng = np.random.default_rng(21)
    n, loh = 3000, 0.5
    af = np.round(rng.uniform(0.05, 0.95, n), 3)
    own, other = _person(rng, af), _person(rng, af)
    ref, alt = _sample(rng, own, 80, 0.8, _loh_cn(n, loh, rng), other, 0.05)
    pos = np.arange(n) * 1000 + 1000
    rows = [
        f"chr1\t{p}\t.\tA\tG\t.\t.\t.\tAD\t{r},{a}" for p, r, a in zip(pos, ref, alt, strict=True)
    ]
    genotypes = _vcf(tmp_path / "gt.vcf", rows, ("T",))
    resource = _vcf(
        tmp_path / "gnomad.vcf.gz",
        [f"chr1\t{p}\t.\tA\tG\t.\t.\tAF_popmax={f}" for p, f in zip(pos, af, strict=True)],
        info="AF_popmax",
    )
    cns = _segments(tmp_path, n, loh)
    base = ["tissue-contamination", "--genotypes", str(genotypes), "--samples", "T",
            "--genotype-from", "T", "--tumor-only"]  # fmt: skip
    assert main([*base, "--out", str(tmp_path / "none.tsv")]) == 0
    none = pd.read_csv(tmp_path / "none.tsv", sep="\t").iloc[0]
    assert np.isnan(none["contamination"]) and "without population allele" in none["reason"]
    args = [*base, "--population-af", str(resource), "--af-field", "AF_popmax",
            "--segments", str(cns), "--out", str(tmp_path / "c.tsv")]  # fmt: skip
    assert main(args) == 0
    est = pd.read_csv(tmp_path / "c.tsv", sep="\t").iloc[0]
    assert est["method"] == "tumor_only_mixture" and est["n_sites"] > 1000
    assert abs(est["contamination"] - 0.05) < 0.01
    bad = [*base, "--population-af", str(resource), "--af-field", "AF", "--out", "x.tsv"]
    assert main(bad) == 2  # the resource has no INFO/AF: a one-line error naming the file
