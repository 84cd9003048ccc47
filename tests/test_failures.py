"""The reason line picked from a failed job's log, and the console line built from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from scce_genomics.failures import FailedJob, explain_failures, reason_from_log


@pytest.mark.parametrize(
    ("log", "reason"),
    [
        ("progress\nerror: a.tsv:3: bad value; fix it\n", "error: a.tsv:3: bad value; fix it"),
        (
            'Traceback (most recent call last):\n  File "x.py", line 1, in <module>\n'
            "ValueError: Cannot set a DataFrame with multiple columns to the single column baf\n",
            "ValueError: Cannot set a DataFrame with multiple columns to the single column baf",
        ),
        (
            "[M::bwa_idx_load_from_disk] read 0 ALT contigs\n"
            '[E::hts_open_format] Failed to open file "x.bam"\n[main] Real time: 0.1 sec\n',
            '[E::hts_open_format] Failed to open file "x.bam"',
        ),
        ("", "the log is empty"),
    ],
)
def test_reason_from_log(tmp_path: Path, log: str, reason: str) -> None:
    path = tmp_path / "job.log"
    path.write_text(log)
    assert reason_from_log(path).startswith(reason)


def test_explain_names_rule_wildcards_and_log(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("error: reads.fq.gz: truncated\n")
    (line,) = explain_failures(
        [FailedJob("check_reads", {"sample": "T", "unit": "L1"}, [str(log)])]
    )
    assert line == f"check_reads (sample=T, unit=L1): error: reads.fq.gz: truncated [log: {log}]"
