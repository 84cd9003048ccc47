"""The console summary of failed jobs: rule, sample and the one-line reason from each log.

Snakemake ends a failed run with "check log file(s) for error details"; the reason (our CLI's
``error: <file>:<line>: ...`` line, or a tool's own message) sits in a log the user has to find.
The Snakefile's ``onerror:`` hands the failed jobs here and prints what this returns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["FailedJob", "explain_failures", "reason_from_log"]

#: Lines that name a problem, in tool logs that also print progress.
_PROBLEM = re.compile(
    r"(error|fail|cannot|can't|could not|invalid|not found|no such|truncat|corrupt|abort|"
    r"exception|killed|denied|refused|mismatch|unexpected|\[E::)",
    re.IGNORECASE,
)
#: Lines that carry no reason of their own (traceback frames, separators, progress).
_NOISE = re.compile(
    r"^(\s*File \"|\s+\S.*\^+$|Traceback \(most recent call last\)|\s*\^+\s*$|-+$|=+$|"
    r"\[M::|\[main\] (Version|CMD|Real time))"
)
_MAX = 600


@dataclass(frozen=True)
class FailedJob:
    """What the console needs of one failed job."""

    rule: str
    wildcards: Mapping[str, str] = field(default_factory=dict)
    logs: Sequence[str] = ()


def reason_from_log(path: str | Path) -> str:
    """The line of a log that says why its job failed.

    Our CLI's last ``error:`` line wins; else the last line that names a problem (a Python
    exception, ``[E::...]`` from htslib, bwa's ``fail to ...``); else the last line.
    """
    path = Path(path)
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"no log written ({path})"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "the log is empty: the command was killed or failed without a message"
    ours = [line for line in lines if line.startswith("error:")]
    if ours:
        return ours[-1][:_MAX]
    meaningful = [line for line in lines if not _NOISE.match(line)]
    problems = [line for line in meaningful if _PROBLEM.search(line)]
    return (problems or meaningful or lines)[-1][:_MAX]


def explain_failures(jobs: Iterable[FailedJob]) -> list[str]:
    """One line per failed job: ``rule (wildcards): reason [log: path]``."""
    lines = []
    for job in sorted(jobs, key=lambda j: (j.rule, sorted(j.wildcards.items()))):
        where = ", ".join(f"{k}={v}" for k, v in job.wildcards.items())
        head = f"{job.rule} ({where})" if where else job.rule
        if not job.logs:
            lines.append(f"{head}: no log file; see snakemake's output above")
            continue
        reasons = [(log, reason_from_log(log)) for log in job.logs]
        # several logs: the first that holds an error line, else the first
        log, reason = next(
            ((log, r) for log, r in reasons if r.startswith("error:")),
            reasons[0],
        )
        lines.append(f"{head}: {reason} [log: {log}]")
    return lines
