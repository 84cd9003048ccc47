from __future__ import annotations

import gzip
from pathlib import Path

import pysam
import pytest

from scce_genomics.align.reads import check_bam, check_fastq_pair, compare_contigs, is_cram
from scce_genomics.errors import InputError


def fastq(path: Path, names: list[str], gz: bool = True) -> Path:
    text = "".join(f"@{n}\nACGTACGT\n+\nIIIIIIII\n" for n in names)
    if gz:
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)
    return path


def test_good_pair_counts_reads(tmp_path: Path) -> None:
    a = fastq(tmp_path / "a_R1.fq.gz", ["r1/1", "r2/1"])
    b = fastq(tmp_path / "a_R2.fq.gz", ["r1/2", "r2/2"])
    assert check_fastq_pair(a, b) == 2


def test_truncated_gzip_is_named(tmp_path: Path) -> None:
    a = fastq(tmp_path / "a.fq.gz", [f"r{i}" for i in range(2000)])
    data = a.read_bytes()
    a.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated") as err:
        check_fastq_pair(a, None)
    assert str(a) in str(err.value)


def test_record_cut_mid_way(tmp_path: Path) -> None:
    a = tmp_path / "a.fq"
    a.write_text("@r1\nACGT\n+\nIIII\n@r2\nACGT\n")
    with pytest.raises(InputError, match="record 2 is incomplete") as err:
        check_fastq_pair(a, None)
    assert err.value.line == 5


def test_mates_out_of_order(tmp_path: Path) -> None:
    a = fastq(tmp_path / "a_R1.fq.gz", ["r1/1", "r2/1"])
    b = fastq(tmp_path / "a_R2.fq.gz", ["r2/2", "r1/2"])
    with pytest.raises(InputError, match="not in the same order"):
        check_fastq_pair(a, b)


@pytest.mark.parametrize("block", [5, 17, 1 << 22])
def test_records_across_read_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """Files are read in blocks: records, CRLF line ends and errors are the same at any size."""
    from scce_genomics.align import reads

    monkeypatch.setattr(reads, "_BLOCK", block)
    names = [f"r{i}" for i in range(40)]
    a = fastq(tmp_path / "a_R1.fq", [f"{n}/1" for n in names], gz=False)
    b = tmp_path / "a_R2.fq"
    b.write_bytes(
        fastq(tmp_path / "b.fq", [f"{n}/2" for n in names], gz=False)
        .read_bytes()
        .replace(b"\n", b"\r\n")[:-2]
    )  # CRLF, and no newline at the end
    assert check_fastq_pair(a, b) == 40
    swapped = fastq(
        tmp_path / "c.fq", [f"{n}/2" for n in names[:30] + names[31:29:-1] + names[32:]], gz=False
    )
    with pytest.raises(InputError, match="read 31 is 'r30/1' but its mate is 'r31/2'") as err:
        check_fastq_pair(a, swapped)
    assert err.value.line == 121
    cut = tmp_path / "d.fq"
    cut.write_bytes(a.read_bytes()[:-5])  # the last quality line cut short
    with pytest.raises(InputError, match="record 40: sequence and quality lengths differ"):
        check_fastq_pair(cut, None)
    with pytest.raises(InputError, match=r"fewer reads than its mate file \(after 39 pairs\)"):
        check_fastq_pair(a, fastq(tmp_path / "e.fq", [f"{n}/2" for n in names[:39]], gz=False))


def test_mate_file_shorter(tmp_path: Path) -> None:
    a = fastq(tmp_path / "a_R1.fq.gz", ["r1/1", "r2/1"])
    b = fastq(tmp_path / "a_R2.fq.gz", ["r1/2"])
    with pytest.raises(InputError, match="fewer reads than its mate") as err:
        check_fastq_pair(a, b)
    assert str(b) in str(err.value)


def test_not_fastq(tmp_path: Path) -> None:
    a = tmp_path / "a.fq"
    a.write_text(">r1\nACGT\n>r2\nACGT\n")
    with pytest.raises(InputError, match="not FASTQ"):
        check_fastq_pair(a, None)


def bam(path: Path, contigs: dict[str, int]) -> Path:
    header = {"HD": {"VN": "1.6"}, "SQ": [{"SN": c, "LN": n} for c, n in contigs.items()]}
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        seg = pysam.AlignedSegment(out.header)
        seg.query_name = "r1"
        seg.query_sequence = "ACGT"
        seg.flag = 4
        seg.query_qualities = pysam.qualitystring_to_array("IIII")
        out.write(seg)
    return path


def test_bam_matching_reference(tmp_path: Path) -> None:
    path = bam(tmp_path / "a.bam", {"chr1": 1000})
    assert check_bam(path, {"chr1": 1000}) == 1


def test_bam_from_another_reference(tmp_path: Path) -> None:
    path = bam(tmp_path / "a.bam", {"1": 1000})
    with pytest.raises(InputError, match="does not match the reference"):
        check_bam(path, {"chr1": 1000})
    path = bam(tmp_path / "b.bam", {"chr1": 999})
    with pytest.raises(InputError, match="'chr1'"):
        check_bam(path, {"chr1": 1000})


def test_corrupt_bam(tmp_path: Path) -> None:
    path = bam(tmp_path / "a.bam", {"chr1": 1000})
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(InputError, match="cannot read BAM"):
        check_bam(path, None)


def test_compare_contigs_names_the_first_difference() -> None:
    reference = {"chr1": 1000, "chr2": 500}
    assert compare_contigs({"chr1": 1000}, reference) == ""
    assert "'chr2' is 501 bp in the BAM but 500 bp" in compare_contigs({"chr2": 501}, reference)
    assert "1 of 2 contig(s) are not in the reference" in compare_contigs(
        {"chr1": 1000, "chrUn": 10}, reference
    )
    assert "no @SQ lines" in compare_contigs({}, reference)


def test_cram_is_read_with_its_reference(tmp_path: Path) -> None:
    fasta = tmp_path / "ref.fa"
    fasta.write_text(">chr1\n" + "ACGT" * 250 + "\n")
    pysam.faidx(str(fasta))
    cram = tmp_path / "a.cram"
    header = {"HD": {"VN": "1.6"}, "SQ": [{"SN": "chr1", "LN": 1000}]}
    with pysam.AlignmentFile(str(cram), "wc", header=header, reference_filename=str(fasta)) as out:
        seg = pysam.AlignedSegment(out.header)
        seg.query_name, seg.query_sequence, seg.flag = "r1", "ACGT", 0
        seg.reference_id, seg.reference_start, seg.mapping_quality = 0, 0, 60
        seg.cigarstring = "4M"
        seg.query_qualities = pysam.qualitystring_to_array("IIII")
        out.write(seg)
    assert is_cram(cram) and not is_cram(bam(tmp_path / "b.bam", {"chr1": 1000}))
    assert check_bam(cram, {"chr1": 1000}, fasta) == 1
