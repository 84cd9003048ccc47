"""bcftools csq on the simulator's GFF3, and the MAF built from its annotation."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scce_genomics.errors import InputError
from scce_genomics.simulate.genome import Gene
from scce_genomics.simulate.reference import gff_lines
from scce_genomics.somatic.maf import MAF_COLUMNS, NON_SILENT, vcf_to_maf
from scce_genomics.somatic.model import Candidates, SomaticParams, score
from scce_genomics.somatic.vcf import write_somatic_vcf

# A + strand gene with two coding exons (0-based half-open) and codons we can reason about:
# ATG GAA TGG CTG AAA ... TAA
EXONS = [(100, 160), (300, 360)]
CODONS = ["ATG", "GAA", "TGG", "CTG", "AAA"] + ["GCT", "CCA", "GTT"] * 11 + ["GCA", "TAA"]

#: (0-based position, ref, alt, expected class, expected HGVSp_Short)
VARIANTS = [
    (20, None, "mut", "IGR", ""),
    (103, "G", "C", "Missense_Mutation", "p.E2Q"),
    (107, "G", "A", "Nonsense_Mutation", "p.W3*"),
    (111, "G", "A", "Silent", "p.L4="),
    (160, None, "mut", "Splice_Site", None),
    (200, None, "mut", "Intron", ""),
]


def reference() -> str:
    rng = np.random.default_rng(3)
    seq = list("".join(rng.choice(list("ACGT"), 600)))
    cds = "".join(CODONS)
    assert len(cds) == sum(e - s for s, e in EXONS)
    done = 0
    for start, end in EXONS:
        seq[start:end] = cds[done : done + end - start]
        done += end - start
    # canonical splice sites so the intron is a real intron
    seq[160:162] = "GT"
    seq[298:300] = "AG"
    return "".join(seq)


def annotated(tmp_path: Path, records: list[tuple[int, str, str]]) -> Path:
    seq = reference()
    fasta = tmp_path / "ref.fa"
    fasta.write_text(">chr1\n" + "\n".join(seq[i : i + 60] for i in range(0, 600, 60)) + "\n")
    subprocess.run(["samtools", "faidx", str(fasta)], check=True)
    gff = tmp_path / "genes.gff3"
    gff.write_text("##gff-version 3\n" + "".join(gff_lines(Gene("GENE1", "chr1", "+", EXONS), 0)))
    n = len(records)
    table = pd.DataFrame(
        {
            "chrom": ["chr1"] * n,
            "pos": [p + 1 for p, _, _ in records],
            "ref": [r for _, r, _ in records],
            "alt": [a for _, _, a in records],
            "is_indel": [len(r) != len(a) for _, r, a in records],
            "mqbz": [0.0] * n,
        }
    )
    alt = np.full(n, 12.0)
    cands = Candidates(
        table, np.full(n, 30.0), alt, alt / 2, alt / 2, np.zeros(n), alt * 35,
        np.full(n, 30.0), np.zeros(n), True,
    )  # fmt: skip
    scored = score(cands, SomaticParams(cluster_window=0, indel_window=0))
    raw = tmp_path / "raw.vcf.gz"
    write_somatic_vcf(scored, {"chr1": 600}, "T1", "N1", raw)
    out = tmp_path / "annotated.vcf.gz"
    subprocess.run(
        ["bcftools", "csq", "-f", str(fasta), "-g", str(gff), "--local-csq", "-p", "a", "-Oz",
         "-o", str(out), str(raw)],
        check=True, capture_output=True,
    )  # fmt: skip
    return out


def test_csq_reads_the_simulator_gff3_and_maf_classes(tmp_path: Path) -> None:
    seq = reference()
    records = []
    for pos, ref, alt, _, _ in VARIANTS:
        ref = ref or seq[pos]
        alt = alt if alt != "mut" else {"A": "C", "C": "A", "G": "T", "T": "G"}[ref]
        assert seq[pos] == ref
        records.append((pos, ref, alt))
    # a one-base deletion in codon 6 (GCT -> GT...) shifts the frame
    records.append((115, seq[115:117], seq[115]))
    maf = vcf_to_maf(annotated(tmp_path, sorted(records)), "T1", "N1", "custom")
    assert list(maf.columns) == list(MAF_COLUMNS)
    by_start = maf.set_index("Start_Position")
    for pos, _, _, cls, hgvsp in VARIANTS:
        row = by_start.loc[pos + 1]
        assert row["Variant_Classification"] == cls, (pos, row["Variant_Classification"])
        if hgvsp is not None:
            assert row["HGVSp_Short"] == hgvsp
        assert row["Hugo_Symbol"] == ("Unknown" if cls == "IGR" else "GENE1")
    deletion = maf[maf["Variant_Type"] == "DEL"].iloc[0]
    assert deletion["Variant_Classification"] == "Frame_Shift_Del"
    assert deletion["Reference_Allele"] == seq[116] and deletion["Tumor_Seq_Allele2"] == "-"
    assert deletion["Start_Position"] == deletion["End_Position"] == 117
    assert set(maf["Variant_Classification"]) - {"IGR", "Intron", "Silent"} <= set(NON_SILENT)
    assert (maf["t_alt_count"] == 12).all() and (maf["n_depth"] == 30).all()


def test_insertion_coordinates_follow_maf_convention(tmp_path: Path) -> None:
    seq = reference()
    maf = vcf_to_maf(annotated(tmp_path, [(400, seq[400], seq[400] + "TT")]), "T1", "N1", "x")
    row = maf.iloc[0]
    # MAF insertions: Start/End are the flanking bases, Reference_Allele "-"
    assert (row["Start_Position"], row["End_Position"]) == (401, 402)
    assert (row["Reference_Allele"], row["Tumor_Seq_Allele2"], row["Variant_Type"]) == (
        "-",
        "TT",
        "INS",
    )


@pytest.mark.parametrize("pass_only", [True, False])
def test_filtered_records_stay_out_of_the_maf(tmp_path: Path, pass_only: bool) -> None:
    seq = reference()
    vcf = annotated(tmp_path, [(400, seq[400], "A" if seq[400] != "A" else "C")])
    # rewrite the record's FILTER to a failed filter
    failed = tmp_path / "failed.vcf.gz"
    subprocess.run(
        f"bcftools view {vcf} | sed 's/\\tPASS\\t/\\tgermline\\t/' | bgzip > {failed}",
        shell=True, check=True,
    )  # fmt: skip
    maf = vcf_to_maf(failed, "T1", "N1", "x", pass_only=pass_only)
    assert len(maf) == (0 if pass_only else 1)


def _plain_vcf(path: Path, body: str) -> Path:
    header = (
        "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=600>\n"
        '##FILTER=<ID=germline,Description="germline">\n'
        '##INFO=<ID=BCSQ,Number=.,Type=String,Description="csq">\n'
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="genotype">\n'
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="allelic depths">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tT1\tN1\n"
    )
    path.write_text(header + body)
    return path


def test_filter_dot_passes_and_read_counts_come_from_ad(tmp_path: Path) -> None:
    vcf = _plain_vcf(
        tmp_path / "x.vcf",
        "chr1\t10\t.\tA\tC\t.\t.\tBCSQ=missense|G1|tx1|protein_coding|+|4K>4T|10A>C\t"
        "GT:AD\t0/1:7,5\t0/0:.\n"
        "chr1\t20\t.\tA\tG,T\t.\tPASS\t.\tGT:AD\t0/1:3,4,2\t0/0:9,0,1\n"
        "chr1\t30\t.\tA\tT\t.\tgermline;PASS\t.\tGT:AD\t0/1:3,4\t0/1:4,4\n",
    )
    maf = vcf_to_maf(vcf, "T1", "N1", "x")
    assert list(maf["Start_Position"]) == [10, 20]
    assert list(maf["FILTER"]) == [".", "PASS"]
    first, second = maf.iloc[0], maf.iloc[1]
    assert (first["t_depth"], first["t_ref_count"], first["t_alt_count"]) == (12, 7, 5)
    assert (first["n_depth"], first["n_ref_count"], first["n_alt_count"]) == (0, 0, 0)
    assert (first["Hugo_Symbol"], first["HGVSp_Short"]) == ("G1", "p.K4T")
    # Depth counts every allele; the MAF's tumor allele is the first ALT.
    assert (second["t_depth"], second["t_alt_count"], second["n_depth"]) == (9, 4, 10)
    assert second["Tumor_Seq_Allele2"] == "G"
    tumor_only = vcf_to_maf(vcf, "T1", None, "x")
    assert (tumor_only["n_depth"] == "").all() and len(vcf_to_maf(vcf, "T1", None, "x", False)) == 3


def test_samples_missing_from_the_vcf_are_named(tmp_path: Path) -> None:
    vcf = _plain_vcf(tmp_path / "x.vcf", "chr1\t10\t.\tA\tC\t.\tPASS\t.\tGT:AD\t0/1:7,5\t0/0:9,0\n")
    with pytest.raises(InputError, match="'NX' is not in the VCF \\(samples: T1, N1\\)"):
        vcf_to_maf(vcf, "T1", "NX", "x")
    with pytest.raises(InputError, match="VCF not found"):
        vcf_to_maf(tmp_path / "missing.vcf", "T1", "N1", "x")
