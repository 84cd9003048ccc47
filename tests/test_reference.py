from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from scce_genomics.errors import InputError
from scce_genomics.reference.prepare import fasta_contigs, harmonise_contig, prepare_reference

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
