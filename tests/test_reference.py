from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from scce_genomics.errors import InputError
from scce_genomics.reference.prepare import (
    check_gff3_header,
    fasta_contigs,
    harmonise_contig,
    prepare_reference,
    reference_lengths,
    write_targets_bed,
)

GFF = "##gff-version 3\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_contigs_of_gzipped_fasta(tmp_path: Path) -> None:
    path = tmp_path / "g.fa.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(">1 desc\nACGT\nAC\n>2\nA\n")
    assert fasta_contigs(path) == {"1": 6, "2": 1}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("ACGT\n", "first line must start with '>'"),
        (">a\nAC\n>a\nAC\n", "appears twice"),
        (">a\n>b\nAC\n", "no sequence: a"),
    ],
)
def test_bad_fasta(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        fasta_contigs(write(tmp_path / "g.fa", text))


def test_harmonise_names() -> None:
    assert harmonise_contig("chr3", {"3", "4"}) == "3"
    assert harmonise_contig("3", {"chr3"}) == "chr3"
    assert harmonise_contig("chrM", {"MT"}) == "MT"
    assert harmonise_contig("chr5", {"chr3"}) is None


def test_prepare_renames_arms_and_clips_to_contig(tmp_path: Path) -> None:
    fasta = write(tmp_path / "g.fa", ">3\n" + "A" * 100 + "\n")
    gff = write(tmp_path / "g.gff3", GFF)
    arms = write(
        tmp_path / "arms.tsv",
        "chrom\tarm\tstart\tend\nchr3\t3p\t0\t40\nchr3\t3q\t50\t1000\nchr9\t9p\t0\t10\n",
    )
    out = prepare_reference(fasta, gff, tmp_path / "out", "custom", arms)
    table = pd.read_csv(out["arms"], sep="\t", dtype={"chrom": str})
    assert list(table["chrom"]) == ["3", "3"]
    assert list(table["end"]) == [40, 100]
    assert out["build"].read_text().strip() == "custom"
    assert out["fasta"].read_text().startswith(">3")


def test_prepare_rejects_non_gff(tmp_path: Path) -> None:
    fasta = write(tmp_path / "g.fa", ">3\nACGT\n")
    gff = write(tmp_path / "g.gtf", '3\tx\tgene\t1\t2\t.\t+\t.\tgene_id "a";\n')
    arms = write(tmp_path / "arms.tsv", "chrom\tarm\tstart\tend\n3\t3p\t0\t2\n")
    with pytest.raises(InputError, match="not a GFF3 file"):
        prepare_reference(fasta, gff, tmp_path / "out", "custom", arms)


def test_prepare_rejects_arms_on_other_contigs(tmp_path: Path) -> None:
    fasta = write(tmp_path / "g.fa", ">3\nACGT\n")
    gff = write(tmp_path / "g.gff3", GFF)
    arms = write(tmp_path / "arms.tsv", "chrom\tarm\tstart\tend\nchr9\t9p\t0\t2\n")
    with pytest.raises(InputError, match="no arm in the table"):
        prepare_reference(fasta, gff, tmp_path / "out", "custom", arms)


def test_gff3_genes_on_contigs_absent_from_the_fasta_are_left_out_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fasta = write(tmp_path / "g.fa", ">chr3\n" + "A" * 100 + "\n")
    gff = write(
        tmp_path / "g.gff3",
        GFF
        + "##sequence-region 3 1 100\n##sequence-region 9 1 100\n"
        + "3\tx\tgene\t1\t50\t.\t+\t.\tID=gene:A;Name=A\n"
        + "9\tx\tgene\t1\t50\t.\t+\t.\tID=gene:B;Name=B\n"
        + "HSCHR6_MHC\tx\tgene\t1\t50\t.\t+\t.\tID=gene:C;Name=C\n",
    )
    arms = write(tmp_path / "arms.tsv", "chrom\tarm\tstart\tend\n3\t3p\t0\t50\n")
    out = prepare_reference(fasta, gff, tmp_path / "out", "custom", arms)
    lines = out["gff3"].read_text().splitlines()
    assert "##sequence-region chr3 1 100" in lines
    assert [line.split("\t")[0] for line in lines if not line.startswith("#")] == ["chr3"]
    warning = capsys.readouterr().err
    assert "2 of 3 features lie on 2 contig(s) absent from the reference FASTA" in warning
    assert "9, HSCHR6_MHC" in warning


def test_gff3_header_is_checked(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="##gff-version 3") as err:
        check_gff3_header(write(tmp_path / "a.gtf", '3\tx\tgene\t1\t2\t.\t+\t.\tgene_id "a";\n'))
    assert err.value.line == 1
    check_gff3_header(write(tmp_path / "b.gff3", GFF))


def test_reference_lengths_prefer_an_index(tmp_path: Path) -> None:
    fasta = write(tmp_path / "g.fa", ">a\nACGT\n>b\nAC\n")
    assert reference_lengths(fasta) == {"a": 4, "b": 2}
    write(tmp_path / "g.fa.fai", "a\t4\t3\t4\t5\nb\t2\t11\t2\t3\n")
    assert reference_lengths(fasta) == {"a": 4, "b": 2}
    prepared = write(tmp_path / "prepared.fai", "a\t4\t3\t4\t5\n")
    (tmp_path / "g.fa.fai").unlink()
    assert reference_lengths(fasta, prepared) == {"a": 4}  # an up-to-date index is trusted


def test_targets_bed_loses_its_header_lines_and_keeps_its_intervals(tmp_path: Path) -> None:
    """A capture kit's BED (browser/track lines, CRLF, gzip) becomes one bcftools reads."""
    text = "browser position chr1:1-100\r\ntrack name=kit\r\n# design v2\r\n"
    text += "chr1\t10\t20\tGENE1\r\nchr2\t5\t9\r\n"
    bed = tmp_path / "kit.bed.gz"
    bed.write_bytes(gzip.compress(text.encode()))
    out = tmp_path / "targets.bed"
    assert write_targets_bed(bed, out) == 2
    assert out.read_text() == "chr1\t10\t20\tGENE1\nchr2\t5\t9\n"


def test_targets_bed_without_intervals_or_with_a_bad_line_is_named(tmp_path: Path) -> None:
    out = tmp_path / "targets.bed"
    empty = write(tmp_path / "empty.bed", "track name=kit\n")
    with pytest.raises(
        InputError, match=r"empty\.bed: no interval in it; check targets in the config"
    ):
        write_targets_bed(empty, out)
    bad = write(tmp_path / "bad.bed", "chr1\t10\t20\nchr1 10 20\n")
    with pytest.raises(InputError, match=r"bad\.bed:2: a BED line needs"):
        write_targets_bed(bad, out)
    assert not out.exists()
