"""Sizing of the parallel pieces: pileup chunks and CNVkit processes."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from scce_genomics.errors import InputError
from scce_genomics.fileio import read_bed_intervals
from scce_genomics.parallel import (
    TARGET_PAD,
    beside_one_thread_jobs,
    cnv_bin_count,
    cnvkit_processes,
    merged_length,
    pileup_chunks,
)
from scce_genomics.somatic.cli import read_bed
from scce_genomics.somatic.model import genome_chunks

HUMAN_GENOME = 3_099_734_149  # GRCh38 primary assembly


def test_auto_scatter_follows_the_territory() -> None:
    assert pileup_chunks("auto", 2_000_000) == 1  # demo genome
    assert pileup_chunks("auto", 32_500_000) == 4  # the large benchmark genome
    assert pileup_chunks("auto", 60_000_000) == 6  # padded exome
    assert pileup_chunks("auto", HUMAN_GENOME) == 50  # capped
    assert pileup_chunks("auto", 0) == 1
    assert pileup_chunks(3, 2_000_000) == 3  # a number is taken as it is


@pytest.mark.parametrize("setting", [0, -1, "many", 2.5])
def test_scatter_setting_must_be_auto_or_a_count(setting: object) -> None:
    with pytest.raises(ValueError, match=r"somatic\.scatter"):
        pileup_chunks(setting, 1_000_000)  # type: ignore[arg-type]


def test_merged_length_counts_overlaps_once_and_pads() -> None:
    rows = {"c1": [(500, 600), (100, 200), (150, 300)], "c2": [(0, 50)]}
    assert merged_length(rows) == 200 + 100 + 50
    # padded by 100: c1 0..400 and 400..700 touch (one block 0..700), c2 0..150
    assert merged_length(rows, pad=100) == 700 + 150
    assert merged_length({}) == 0


def test_padded_target_length_equals_the_chunks_of_the_pileup(tmp_path: Path) -> None:
    """The territory used for `auto` is what genome_chunks hands the pileup, from one BED
    (UCSC header lines and all) read by the sizing and by ``somatic-chunks``."""
    bed = tmp_path / "targets.bed.gz"
    text = "browser position c1\ntrack name=panel\nc1\t1000\t1200\nc2\t50\t80\tgeneB\n"
    bed.write_bytes(gzip.compress((text + "c1\t1250\t1400\nc2\t5000\t5600\n").encode()))
    rows = read_bed_intervals(bed)
    assert rows == {"c1": [(1000, 1200), (1250, 1400)], "c2": [(50, 80), (5000, 5600)]}
    targets = read_bed(str(bed))
    assert len(targets) == 4 and targets["start"].dtype == "int64"
    chunk = genome_chunks({"c1": 10_000, "c2": 10_000}, 1, targets)[0]
    assert int((chunk["end"] - chunk["start"]).sum()) == merged_length(rows, pad=TARGET_PAD)


def test_bed_intervals_read_plain_and_gzipped_and_skip_headers(tmp_path: Path) -> None:
    text = "track name=x\n# comment\nc1\t10\t20\tgeneA\nc2\t0\t5\n"
    plain = tmp_path / "t.bed"
    plain.write_text(text)
    packed = tmp_path / "t.bed.gz"
    packed.write_bytes(gzip.compress(text.encode()))
    expected = {"c1": [(10, 20)], "c2": [(0, 5)]}
    assert read_bed_intervals(plain) == read_bed_intervals(packed) == expected


def test_bed_intervals_name_the_bad_line(tmp_path: Path) -> None:
    bed = tmp_path / "t.bed"
    bed.write_text("c1\t10\t20\nc1\tten\t20\n")
    with pytest.raises(InputError, match=r"t\.bed:2: a BED line needs"):
        read_bed_intervals(bed)


def test_cnvkit_processes_follow_the_bins() -> None:
    demo = cnv_bin_count("wgs", 2_000_000, 0, 1000, 267, 150_000)
    assert demo == 2000
    assert cnvkit_processes(4, demo) == 1  # one 5,000-bin chunk: a second process idles
    large = cnv_bin_count("wgs", 32_500_000, 0, 1000, 267, 150_000)
    assert cnvkit_processes(4, large) == 4
    assert cnvkit_processes(2, large) == 2
    # an exome: 35 Mb of targets in 267 bp bins plus off-target bins of the whole genome
    exome = cnv_bin_count("hybrid", HUMAN_GENOME, 35_000_000, 1000, 267, 150_000)
    assert exome == 131_087 + 20_665  # ceil(35e6 / 267) + ceil(genome / 150e3)
    assert cnvkit_processes(8, exome) == 8
    panel = cnv_bin_count("amplicon", HUMAN_GENOME, 500_000, 1000, 267, 150_000)
    assert panel == 1873 and cnvkit_processes(8, panel) == 1


def test_multithreaded_steps_take_half_a_local_run() -> None:
    assert beside_one_thread_jobs(2, 2) == 1  # two cores: both stay open to one-thread jobs
    assert beside_one_thread_jobs(4, 4) == 2
    assert beside_one_thread_jobs(4, 16) == 4  # as asked when half is more
    assert beside_one_thread_jobs(2, 1) == 1
    assert beside_one_thread_jobs(4, None) == 4  # cluster: each job has its own CPUs
