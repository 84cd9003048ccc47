from __future__ import annotations

import gzip
from pathlib import Path

import pysam
import pytest

from scce_genomics.align.reads import check_bam, check_fastq_pair
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
