from __future__ import annotations

from pathlib import Path

import pytest

from scce_genomics.errors import InputError
from scce_genomics.samples import load_samples, load_units, tumor_normal_pairs

HEADER = "sample\tpatient\ttype\ttissue\tpurity\tsex\n"


def sheet(tmp_path: Path, text: str, name: str = "samples.tsv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_pairs_tumor_with_normal_and_tumor_only(tmp_path: Path) -> None:
    path = sheet(
        tmp_path,
        HEADER + "T1\tP1\ttumor\tffpe\t0.6\tmale\nN1\tP1\tnormal\tblood\t\tmale\n"
        "T2\tP2\ttumor\tfresh\t\t\n",
    )
    samples = load_samples(path)
    pairs = tumor_normal_pairs(samples)
    assert pairs.loc["T1", "normal"] == "N1"
    assert pairs.loc["T2", "normal"] == ""
    assert samples.loc["T1", "purity"] == pytest.approx(0.6)
    assert samples["purity"].isna().sum() == 2


@pytest.mark.parametrize(
    ("rows", "line", "fragment"),
    [
        ("T1\tP1\ttumor\tffpe\t\t\nT1\tP1\ttumor\tffpe\t\t\n", 3, "duplicate sample 'T1'"),
        ("T1\t\ttumor\tffpe\t\t\n", 2, "no patient given"),
        ("T1\tP1\tmetastasis\tffpe\t\t\n", 2, "unknown type 'metastasis'"),
        ("T1\tP1\ttumor\tparaffin\t\t\n", 2, "unknown tissue 'paraffin'"),
        ("T1\tP1\ttumor\tffpe\t1.7\t\n", 2, "purity '1.7'"),
        ("T 1\tP1\ttumor\tffpe\t\t\n", 2, "may only use letters"),
        ("N1\tP1\tnormal\tblood\t\t\nN2\tP1\tnormal\tblood\t\t\n", 3, "more than one normal"),
    ],
)
def test_bad_sample_rows_name_the_line(tmp_path: Path, rows: str, line: int, fragment: str) -> None:
    path = sheet(tmp_path, HEADER + rows)
    with pytest.raises(InputError) as err:
        load_samples(path)
    assert err.value.line == line
    assert fragment in str(err.value)
    assert str(path) in str(err.value)


def test_missing_column_is_reported(tmp_path: Path) -> None:
    path = sheet(tmp_path, "sample\tpatient\ttissue\nT1\tP1\tffpe\n")
    with pytest.raises(InputError, match=r"missing column.*type"):
        load_samples(path)


def test_comment_lines_keep_line_numbers(tmp_path: Path) -> None:
    path = sheet(tmp_path, "# cohort A\n" + HEADER + "\nT1\tP1\ttumour\tffpe\t\t\n")
    with pytest.raises(InputError) as err:
        load_samples(path)
    assert err.value.line == 4


def units_setup(tmp_path: Path) -> Path:
    (tmp_path / "reads").mkdir()
    for name in ("a_R1.fq.gz", "a_R2.fq.gz"):
        (tmp_path / "reads" / name).write_bytes(b"")
    return sheet(tmp_path, HEADER + "T1\tP1\ttumor\tffpe\t\t\n")


def test_units_resolve_relative_paths(tmp_path: Path) -> None:
    samples = load_samples(units_setup(tmp_path))
    units_path = sheet(
        tmp_path, "sample\tunit\tfq1\tfq2\nT1\tL1\treads/a_R1.fq.gz\treads/a_R2.fq.gz\n", "u.tsv"
    )
    units = load_units(units_path, samples)
    assert units.loc[("T1", "L1"), "fq1"] == str((tmp_path / "reads" / "a_R1.fq.gz").resolve())


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ("T9\tL1\treads/a_R1.fq.gz\treads/a_R2.fq.gz\n", "not in the samples sheet"),
        ("T1\tL1\treads/missing.fq.gz\treads/a_R2.fq.gz\n", "does not exist"),
        ("T1\tL1\t\t\n", "give either fq1"),
        (
            "T1\tL1\treads/a_R1.fq.gz\treads/a_R2.fq.gz\nT1\tL1\treads/a_R1.fq.gz\t\n",
            "duplicate unit",
        ),
    ],
)
def test_bad_units(tmp_path: Path, rows: str, fragment: str) -> None:
    samples = load_samples(units_setup(tmp_path))
    units_path = sheet(tmp_path, "sample\tunit\tfq1\tfq2\n" + rows, "u.tsv")
    with pytest.raises(InputError, match=fragment):
        load_units(units_path, samples)


def test_sample_without_units(tmp_path: Path) -> None:
    samples = load_samples(
        sheet(tmp_path, HEADER + "T1\tP1\ttumor\tffpe\t\t\nN1\tP1\tnormal\tblood\t\t\n")
    )
    (tmp_path / "a.fq").write_text("")
    units_path = sheet(tmp_path, "sample\tunit\tfq1\nT1\tL1\ta.fq\n", "u.tsv")
    with pytest.raises(InputError, match="N1 have no units"):
        load_units(units_path, samples)
