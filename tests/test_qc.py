from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scce_genomics.errors import InputError
from scce_genomics.qc.table import parse_samtools_stats, qc_table, verdict

THRESHOLDS = {
    "min_mean_coverage": {"warn": 20, "fail": 8},
    "max_duplication": {"warn": 0.3, "fail": 0.6},
    "min_mapped_fraction": {"warn": 0.95, "fail": 0.8},
}


def test_verdict_levels_and_reasons() -> None:
    good = {"mean_coverage": 30.0, "duplication_rate": 0.1, "mapped_fraction": 0.99}
    assert verdict(good, THRESHOLDS) == ("pass", "")
    warn = dict(good, mean_coverage=15.0)
    level, reasons = verdict(warn, THRESHOLDS)
    assert level == "warn" and "mean_coverage 15 < warn 20" in reasons
    fail = dict(good, duplication_rate=0.7, mean_coverage=15.0)
    level, reasons = verdict(fail, THRESHOLDS)
    assert level == "fail"
    assert "duplication_rate 0.7 > fail 0.6" in reasons and "mean_coverage" in reasons


def test_missing_metric_is_not_judged() -> None:
    assert verdict({"mean_coverage": np.nan}, THRESHOLDS) == ("pass", "")


def stats_file(path: Path, total: int, mapped: int, dup: int) -> Path:
    path.write_text(
        "# comment\n"
        f"SN\traw total sequences:\t{total}\n"
        f"SN\treads mapped:\t{mapped}\n"
        f"SN\treads properly paired:\t{mapped}\n"
        f"SN\treads duplicated:\t{dup}\n"
        "SN\tinsert size average:\t320.5\n"
        "SN\terror rate:\t2.5e-03\t# mismatches / bases mapped (cigar)\n"
        "SN\tbases mapped (cigar):\t100000\n"
    )
    return path


def test_qc_table_from_tool_outputs(tmp_path: Path) -> None:
    samples = pd.DataFrame(
        {"sample": ["T", "N"], "type": ["tumor", "normal"], "tissue": ["ffpe", "blood"]}
    ).set_index("sample", drop=False)
    stats = {
        "T": stats_file(tmp_path / "T.txt", 1000, 990, 100),
        "N": stats_file(tmp_path / "N.txt", 1000, 700, 10),
    }
    mosdepth = {}
    for name, depth in (("T", 42.0), ("N", 25.0)):
        path = tmp_path / f"{name}.summary.txt"
        path.write_text(
            "chrom\tlength\tbases\tmean\tmin\tmax\n"
            f"total\t100\t100\t{depth}\t0\t9\ntotal_region\t10\t40000\t{depth}\t0\t9\n"
        )
        mosdepth[name] = path
    table = qc_table(samples, stats, mosdepth, THRESHOLDS, targeted=False)
    assert list(table["sample"]) == ["T", "N"]
    t, n = table.iloc[0], table.iloc[1]
    assert t["mapped_fraction"] == pytest.approx(0.99)
    assert t["duplication_rate"] == pytest.approx(0.1)
    assert t["mean_coverage"] == 42.0 and t["verdict"] == "pass"
    assert t["error_rate"] == pytest.approx(0.0025)
    assert n["verdict"] == "fail" and "mapped_fraction 0.7 < fail 0.8" in n["reasons"]
    assert np.isnan(t["on_target_fraction"])
    targeted = qc_table(samples, stats, mosdepth, THRESHOLDS, targeted=True)
    assert targeted.iloc[0]["on_target_fraction"] == pytest.approx(0.4)


def test_not_a_stats_file(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("hello\n")
    with pytest.raises(InputError, match="not a samtools stats output"):
        parse_samtools_stats(path)
