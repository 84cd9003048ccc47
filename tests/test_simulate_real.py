"""The simulator planting tumors in real human sequence (the bundled GRCh38 chr21 piece)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

from scce_genomics.cli import main
from scce_genomics.errors import InputError
from scce_genomics.simulate.cohort import CohortSpec, simulate_cohort
from scce_genomics.simulate.genome import DECODE, genome_from_fasta

REPO = Path(__file__).resolve().parents[1]
HG38 = REPO / "resources/real/hg38_chr21_22-23Mb/hg38_chr21_22000000_23000000.fasta"
BINS = (0.05, 0.1, 0.2, 0.4)


def test_real_sequence_with_halves_or_an_arm_table(tmp_path: Path) -> None:
    genome = genome_from_fasta(HG38)
    (chrom,) = genome.chromosomes
    assert (chrom.name, chrom.length, genome.genes) == ("chr21", 1_000_001, [])
    with pysam.FastaFile(str(HG38)) as fasta:
        assert DECODE[chrom.seq[:5000]].tobytes().decode() == fasta.fetch("chr21", 0, 5000).upper()
    assert genome.arms() == [("chr21", "21p", 0, 500_000), ("chr21", "21q", 500_000, 1_000_001)]
    arms = tmp_path / "arms.tsv"
    arms.write_text("chrom\tarm\tstart\tend\n21\t21p\t0\t250000\n21\t21q\t260000\t1000001\n")
    piece = genome_from_fasta(HG38, region="chr21:200001-400000", arms=arms)
    assert piece.chromosomes[0].length == 200_000
    assert piece.arms() == [("chr21", "21p", 0, 50_000), ("chr21", "21q", 60_000, 200_000)]
    with pytest.raises(InputError, match="region contig 'chr1' is not in the FASTA"):
        genome_from_fasta(HG38, region="chr1:1-1000")
    with pytest.raises(InputError, match="no contig of at least"):
        genome_from_fasta(HG38, region="chr21:1-5000")


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim_real")
    spec = CohortSpec(
        patients=1,
        profiles=("escc",),
        tumor_only=0,
        tumor_depth=12,
        normal_depth=6,
        units_per_sample=1,
        snvs=150,
        seed=2,
        fasta=str(HG38),
        region="chr21:1-300000",
    )
    simulate_cohort(out, spec)
    return out


def test_events_are_planted_in_the_real_sequence(planted: Path) -> None:
    with (
        pysam.FastaFile(str(planted / "reference/genome.fa")) as ours,
        pysam.FastaFile(str(HG38)) as real,
    ):
        assert ours.fetch("chr21") == real.fetch("chr21", 0, 300_000).upper()
        with pysam.VariantFile(str(planted / "truth/P1T.somatic.vcf.gz")) as vcf:
            records = list(vcf)
        for rec in records:
            assert ours.fetch(rec.chrom, rec.start, rec.stop) == rec.ref
    kinds = pd.Series([r.info["TYPE"] for r in records]).value_counts()
    assert kinds["SNV"] >= 120 and kinds.get("INS", 0) + kinds.get("DEL", 0) >= 10
    sources = {r.info["SOURCE"] for r in records}
    assert sources & {"SBS2", "SBS13"} and not sources & {"TP53", "NOTCH1", "PIK3CA"}
    cn = pd.read_csv(planted / "truth/P1T.cn.tsv", sep="\t")
    assert {0, 1, 3} <= set(cn["total_cn"]) and cn["total_cn"].max() >= 7  # loss, gain, amp
    covered = (cn["end"] - cn["start"]).sum()
    assert covered == 300_000
    assert (planted / "reference/genes.gff3").read_text().startswith("##gff-version 3")


def test_ffpe_damage_on_real_sequence(planted: Path) -> None:
    """The FFPE tumor's reads carry extra C>T/G>A mismatches against the real reference."""
    ref = (planted / "reference/genome.fa").read_text().split("\n", 1)[1].replace("\n", "")

    def transitions(path: Path) -> float:
        with gzip.open(path, "rt") as handle:
            reads = handle.read().split("\n")[1::4][:3000]
        index = {ref[i : i + 20]: i for i in range(0, len(ref) - 20, 1)}
        ct = total = 0
        for read in reads:
            pos = index.get(read[:20])
            if pos is None:
                continue
            window = ref[pos : pos + len(read)]
            ct += sum(a == "C" and b == "T" for a, b in zip(window, read, strict=False))
            total += window.count("C")
        return ct / max(total, 1)

    samples = pd.read_csv(planted / "samples.tsv", sep="\t").set_index("sample")
    assert samples.loc["P1T", "tissue"] == "ffpe"
    tumor = transitions(planted / "reads/P1T_L1_R1.fastq.gz")
    normal = transitions(planted / "reads/P1N_L1_R1.fastq.gz")
    assert tumor > normal + 0.004  # ffpe_rate 0.01 per C on about half the fragments


def test_vaf_bins_plant_variants_at_their_vaf(tmp_path: Path) -> None:
    code = main(
        [
            "simulate", "--outdir", str(tmp_path), "--fasta", str(HG38),
            "--region", "chr21:400001-560000", "--patients", "1", "--tumor-only", "1",
            "--tumor-depth", "60", "--units", "1", "--snvs", "120", "--ffpe-rate", "0",
            "--vaf-bins", ",".join(map(str, BINS)), "--seed", "4",
        ]
    )  # fmt: skip
    assert code == 0
    with pysam.VariantFile(str(tmp_path / "truth/P1T.somatic.vcf.gz")) as vcf:
        truth = [(r.pos, r.ref, r.alts[0], r.info["VAF"], r.info["TYPE"]) for r in vcf]
    vafs = pd.Series([t[3] for t in truth])
    assert set(vafs.round(4)) == set(BINS)
    assert vafs.value_counts().max() - vafs.value_counts().min() <= 1  # equal numbers per bin
    samples = pd.read_csv(tmp_path / "samples.tsv", sep="\t")
    assert samples.loc[0, "purity"] == pytest.approx(0.8)
    # Observed VAF: reads holding the ref or alt 21-mer around each SNV (either strand).
    ref = (tmp_path / "reference/genome.fa").read_text().split("\n", 1)[1].replace("\n", "")
    snvs = [t for t in truth if t[4] == "SNV"]
    kmers = [
        ref[pos - 11 : pos - 1] + allele + ref[pos : pos + 10]
        for pos, ref_allele, alt, _, _ in snvs
        for allele in (ref_allele, alt)
    ]
    counts = kmer_counts(tmp_path / "reads", kmers).reshape(-1, 2)
    observed: dict[float, list[float]] = {b: [] for b in BINS}
    for (_, _, _, vaf, _), (n_ref, n_alt) in zip(snvs, counts, strict=True):
        if n_ref + n_alt >= 20:
            observed[round(vaf, 4)].append(n_alt / (n_ref + n_alt))
    means = np.array([np.mean(observed[b]) for b in BINS])
    assert all(len(observed[b]) >= 10 for b in BINS)
    assert np.all(np.diff(means) > 0)
    assert np.allclose(means, BINS, atol=0.035), means


def kmer_counts(reads: Path, kmers: list[str], k: int = 21) -> np.ndarray:
    """How many reads hold each k-mer, on either strand (vectorised 2-bit k-mer codes)."""
    lut = np.full(256, 4, dtype=np.int64)
    for i, base in enumerate("ACGT"):
        lut[ord(base)] = i
    codes = []
    for fastq in sorted(reads.glob("*.fastq.gz")):
        with gzip.open(fastq, "rt") as handle:
            seqs = handle.read().split("\n")[1::4]
        codes.append(lut[np.frombuffer("".join(seqs).encode(), np.uint8).reshape(len(seqs), -1)])
    matrix = np.concatenate(codes)
    windows = matrix.shape[1] - k + 1
    value = np.zeros((matrix.shape[0], windows), dtype=np.int64)
    bad = np.zeros_like(value, dtype=bool)
    for j in range(k):
        value = value * 4 + np.minimum(matrix[:, j : j + windows], 3)
        bad |= matrix[:, j : j + windows] == 4
    seen, n = np.unique(value[~bad], return_counts=True)

    def encode(text: str) -> int:
        return int("".join(str("ACGT".index(b)) for b in text), 4)

    comp = str.maketrans("ACGT", "TGCA")
    out = []
    for kmer in kmers:
        total = 0
        for code in {encode(kmer), encode(kmer.translate(comp)[::-1])}:
            i = np.searchsorted(seen, code)
            total += int(n[i]) if i < seen.size and seen[i] == code else 0
        out.append(total)
    return np.array(out)
