"""One pileup of a tumor (and its normal) per genome chunk, read by two callers.

The somatic candidates and the copy-number stage's germline SNPs (B-allele frequencies) are
made from the same reads at the same positions. ``bcftools mpileup`` is the costliest step of
both, so it runs once: its records, less those where no read shows another allele, go both to
the candidate filter (``bcftools norm -m-any`` then ``view``) and to ``bcftools call -mv``. The
germline calls equal a separate ``mpileup | call -mv`` with the same options (call reads one
site at a time; the removed records are the ones ``call -v`` drops).
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from scce_genomics.errors import InputError

__all__ = [
    "ANNOTATIONS",
    "NO_ALT",
    "pileup_commands",
    "pipeline_output",
    "run_split",
    "start_pipeline",
    "stderr_tail",
    "tumor_pileup",
]

#: FORMAT fields the somatic model reads (strand counts, SP, per-allele base quality sums)
ANNOTATIONS = "FORMAT/AD,FORMAT/ADF,FORMAT/ADR,FORMAT/DP,FORMAT/SP,FORMAT/QS"
#: records where no read shows an allele other than the reference (mpileup's lone <*>)
NO_ALT = 'N_ALT=1 && ALT="<*>"'
_BLOCK = 1 << 20


def pileup_commands(
    bams: Sequence[str],
    fasta: str,
    regions: str,
    mpileup_extra: Sequence[str],
    min_alt: int,
    candidates: str,
    germline: str,
    normal_index: int | None,
) -> tuple[list[list[str]], list[list[list[str]]]]:
    """The shared source pipeline and the two branches that read its output.

    ``normal_index``: the matched normal's column (germline SNPs kept where it is
    heterozygous); None for a tumor-only sample (every SNP site of the tumor).
    """
    region = ["-R", regions] if regions else []
    source = [
        ["bcftools", "mpileup", "-f", fasta, *region, "-a", ANNOTATIONS, *mpileup_extra,
         "-Ou", *bams],
        ["bcftools", "view", "-e", NO_ALT, "-Ou", "-"],
    ]  # fmt: skip
    somatic = [
        ["bcftools", "norm", "-f", fasta, "-m", "-any", "-Ou", "-"],
        ["bcftools", "view", "-i", f'ALT!="<*>" && FMT/AD[0:1]>={min_alt}', "-Ob",
         "-o", candidates, "-"],
    ]  # fmt: skip
    keep = [] if normal_index is None else ["-i", f'GT[{normal_index}]="het"']
    snps = [
        ["bcftools", "call", "-mv", "-Ou", "-"],
        ["bcftools", "view", "-v", "snps", "-m2", "-M2", *keep, "-Ob", "-o", germline, "-"],
    ]  # fmt: skip
    return source, [somatic, snps]


def start_pipeline(
    commands: Sequence[list[str]], stdin: int | None, stdout: int, errors: IO[bytes]
) -> list[subprocess.Popen[bytes]]:
    """Start ``commands`` joined by pipes; the first reads ``stdin``, the last writes ``stdout``."""
    procs: list[subprocess.Popen[bytes]] = []
    for i, cmd in enumerate(commands):
        last = i == len(commands) - 1
        feed = procs[-1].stdout if procs else stdin
        procs.append(
            subprocess.Popen(
                cmd, stdin=feed, stdout=stdout if last else subprocess.PIPE, stderr=errors
            )
        )
        if i > 0:  # the next process holds the pipe now
            procs[-2].stdout.close()  # type: ignore[union-attr]
    return procs


def stderr_tail(errors: IO[bytes], chars: int) -> str:
    """The last ``chars`` characters the processes wrote to ``errors``: the tool's own reason."""
    errors.seek(0)
    return errors.read().decode(errors="replace").strip()[-chars:]


def pipeline_output(
    commands: Sequence[list[str]], what: str, path: str | Path | None = None
) -> bytes:
    """stdout of ``commands`` chained by pipes (no shell); the tools' stderr tail on failure."""
    with tempfile.TemporaryFile() as errors:
        procs = start_pipeline(commands, None, subprocess.PIPE, errors)
        stream = procs[-1].stdout
        assert stream is not None
        out = stream.read()
        stream.close()
        failed = [p.wait() != 0 for p in procs]
        if any(failed):
            raise InputError(f"{what} failed: {stderr_tail(errors, 300)}", path)
    return out


def run_split(
    source: Sequence[list[str]], branches: Sequence[Sequence[list[str]]], what: str
) -> None:
    """Run ``source`` once and copy its output to every branch; fail if any process fails.

    A shell ``tee >(...)`` would lose a branch's exit status and could return before the
    branch has written its file; here every process is waited for and checked.
    """
    with tempfile.TemporaryFile() as errors:
        head = start_pipeline(source, None, subprocess.PIPE, errors)
        tails = [
            start_pipeline(branch, subprocess.PIPE, subprocess.DEVNULL, errors)
            for branch in branches
        ]
        stream = head[-1].stdout
        assert stream is not None
        sinks = [tail[0].stdin for tail in tails]
        broken = False
        while block := stream.read(_BLOCK):
            for sink in sinks:
                try:
                    sink.write(block)  # type: ignore[union-attr]
                except BrokenPipeError:  # that branch failed; its status says why
                    broken = True
            if broken:
                break
        for sink in sinks:
            with contextlib.suppress(BrokenPipeError):
                sink.close()  # type: ignore[union-attr]
        stream.close()
        failed = [
            [str(word) for word in p.args]  # type: ignore[union-attr]
            for chain in (head, *tails)
            for p in chain
            if p.wait() != 0
        ]
        if failed or broken:
            message = stderr_tail(errors, 400)
            step = " ".join(failed[0][:2]) if failed else "a reader"
            raise InputError(f"{what}: {step} failed: {message}")


def tumor_pileup(
    bams: Sequence[str | Path],
    fasta: str | Path,
    regions: str | Path | None,
    mpileup_extra: Sequence[str],
    min_alt: int,
    candidates: str | Path,
    germline: str | Path,
    normal_index: int | None,
) -> None:
    """Somatic candidates and germline SNP calls of one chunk from one ``bcftools mpileup``."""
    for bam in bams:
        if not Path(bam).is_file():
            raise InputError("BAM not found", bam)
    source, branches = pileup_commands(
        [str(b) for b in bams],
        str(fasta),
        str(regions or ""),
        mpileup_extra,
        min_alt,
        str(candidates),
        str(germline),
        normal_index,
    )
    try:
        run_split(source, branches, "pileup of " + ", ".join(Path(b).name for b in bams))
    except InputError:
        for path in (candidates, germline):
            Path(path).unlink(missing_ok=True)
        raise
