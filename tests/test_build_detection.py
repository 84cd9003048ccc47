"""Genome build and contig naming, detected from references and BAM headers and cross-checked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pysam
import pytest

from scce_genomics.errors import InputError
from scce_genomics.reference.prepare import (
    CHROMOSOME_LENGTHS,
    bam_build,
    check_build_consistency,
    contig_naming,
    detect_build,
    normalise_build,
    prepare_reference,
    reference_build,
)

REPO = Path(__file__).resolve().parents[1]
B37 = REPO / "resources/real/dream_tiny_b37/reference/human_g1k_v37_decoy.small.fasta.gz"
HG38 = REPO / "resources/real/hg38_chr21_22-23Mb/hg38_chr21_22000000_23000000.fasta"


def units(**columns: str) -> pd.DataFrame:
    row = {"sample": "S1", "unit": "L1", "fq1": "r1.fq.gz", "fq2": "", "bam": "", "sheet_line": 2}
    row.update(columns)
    return pd.DataFrame([row])


def write_bam(path: Path, sq: list[dict[str, object]]) -> Path:
    with pysam.AlignmentFile(str(path), "wb", header={"HD": {"VN": "1.6"}, "SQ": sq}):
        pass
    return path


def test_full_length_chromosomes_name_their_build() -> None:
    for build, lengths in CHROMOSOME_LENGTHS.items():
        seen = detect_build({"chr1": lengths["1"], "chr2": lengths["2"], "chrM": 16_569})
        assert seen.build == build
        assert seen.naming == "chr"
        assert "as in " + build in seen.reasons[0]
    assert detect_build({"17": CHROMOSOME_LENGTHS["GRCh37"]["17"]}).naming == "no-chr"


def test_lengths_outweigh_file_names_and_both_builds_conflict() -> None:
    seen = detect_build({"1": CHROMOSOME_LENGTHS["GRCh38"]["1"]}, hints=["hg19.fa"])
    assert seen.build == "GRCh38"
    both = {"1": CHROMOSOME_LENGTHS["GRCh37"]["1"], "2": CHROMOSOME_LENGTHS["GRCh38"]["2"]}
    assert detect_build(both).build == "conflicting"
    assert detect_build({"chr21": 1_000_001}).build == "unknown"


def test_build_only_contigs_and_header_tags() -> None:
    assert detect_build({"1": 100, "hs37d5": 35_477_943}).build == "GRCh37"
    assert detect_build({"chr1": 100, "chrUn_KI270302v1": 2_274}).build == "GRCh38"
    assert detect_build({"chr1": 100, "chr6_GL000250v2_alt": 4_672_374}).build == "GRCh38"
    assert detect_build({"chr1": 100}, named=["GRCh38"]).build == "GRCh38"
    assert contig_naming(["chr1", "2"]) == "mixed"
    assert contig_naming(["contig_a"]) == "none"


def test_bundled_real_pieces() -> None:
    b37 = reference_build(B37)
    assert b37 is not None and (b37.build, b37.naming) == ("GRCh37", "no-chr")
    assert any("chromosome:GRCh37" in r for r in b37.reasons)  # Ensembl FASTA descriptions
    hg38 = reference_build(HG38)
    assert hg38 is not None and (hg38.build, hg38.naming) == ("GRCh38", "chr")


def test_dict_next_to_a_large_fasta_is_enough(tmp_path: Path) -> None:
    fasta = tmp_path / "ref.fa"
    fasta.write_text(">chr1\nACGT\n")
    (tmp_path / "ref.dict").write_text(
        "@HD\tVN:1.6\n@SQ\tSN:chr1\tLN:248956422\tAS:GRCh38\tUR:file:/x/ref.fa\n"
    )
    seen = reference_build(fasta, max_scan_bytes=0)
    assert seen is not None and seen.build == "GRCh38"
    (tmp_path / "ref.dict").unlink()
    assert reference_build(fasta, max_scan_bytes=0) is None  # too big to scan, no index


def test_bam_header_build_and_naming(tmp_path: Path) -> None:
    bam = write_bam(tmp_path / "a.bam", [{"SN": "1", "LN": CHROMOSOME_LENGTHS["GRCh37"]["1"]}])
    seen = bam_build(bam)
    assert (seen.build, seen.naming) == ("GRCh37", "no-chr")


def test_aliases() -> None:
    assert normalise_build("b37") == normalise_build("hg19") == "GRCh37"
    assert normalise_build(" hg38 ") == "GRCh38"
    assert normalise_build("") == ""
    with pytest.raises(ValueError, match="unknown genome build"):
        normalise_build("hg17")


def test_config_build_disagreeing_with_the_fasta_names_both() -> None:
    with pytest.raises(InputError, match=r"reference.build says GRCh37 .* is GRCh38"):
        check_build_consistency(HG38, "GRCh37", units())
    assert check_build_consistency(B37, "GRCh37", units()) is not None
    assert check_build_consistency(HG38, "custom", units()) is not None  # custom: no claim


def test_reads_declared_for_another_build(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"units.tsv:2: .*declared GRCh37 .* GRCh38") as err:
        check_build_consistency(HG38, "GRCh38", units(build="b37"), tmp_path / "units.tsv")
    assert "S1" in str(err.value)
    with pytest.raises(InputError, match="unknown genome build 'mm10'"):
        check_build_consistency(B37, "GRCh37", units(build="mm10"))
    check_build_consistency(B37, "GRCh37", units(build="hg19"))  # alias of the same build


def test_bam_used_as_is_must_share_build_and_naming(tmp_path: Path) -> None:
    grch38 = write_bam(tmp_path / "g38.bam", [{"SN": "1", "LN": 248_956_422}])
    with pytest.raises(InputError, match=r"BAM header \(@SQ\) is GRCh38 .* GRCh37"):
        check_build_consistency(B37, "GRCh37", units(fq1="", bam=str(grch38)), realign_bam=False)
    check_build_consistency(B37, "GRCh37", units(fq1="", bam=str(grch38)), realign_bam=True)
    chr_named = write_bam(tmp_path / "chr.bam", [{"SN": "chr1", "LN": 200_000}])
    with pytest.raises(InputError, match="BAM names chromosomes chr1 but the reference FASTA 1"):
        check_build_consistency(B37, "GRCh37", units(fq1="", bam=str(chr_named)), realign_bam=False)


def test_targets_bed_naming_must_match(tmp_path: Path) -> None:
    bed = tmp_path / "t.bed"
    bed.write_text("chr1\t100\t200\n")
    with pytest.raises(InputError, match="targets BED names chromosomes like 'chr1'"):
        check_build_consistency(B37, "GRCh37", units(), targets=bed)
    bed.write_text("1\t100\t200\n")
    check_build_consistency(B37, "GRCh37", units(), targets=bed)


def test_prepare_reference_refuses_the_wrong_build(tmp_path: Path) -> None:
    gff = tmp_path / "g.gff3"
    gff.write_text("##gff-version 3\n")
    arms = REPO / "resources/genome/chromosome_arms_GRCh38.tsv"
    fasta = tmp_path / "hg38_piece.fa"
    shutil.copy(HG38, fasta)
    with pytest.raises(InputError, match="says GRCh37 but the reference FASTA is GRCh38"):
        prepare_reference(fasta, gff, tmp_path / "out", "GRCh37", arms)
    out = prepare_reference(fasta, gff, tmp_path / "out", "GRCh38", arms)
    assert out["build"].read_text().strip() == "GRCh38"
    assert set(pd.read_csv(out["arms"], sep="\t")["chrom"]) == {"chr21"}
