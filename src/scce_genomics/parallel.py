"""How many parallel pieces a step's data can fill: pileup chunks, CNVkit processes, threads.

Decided when the workflow starts, from the reference's contig lengths and the capture targets,
so one set of inputs always gives the same job graph. A tiny genome gets one piece (every extra
job or process only costs its start-up); a whole genome gets as many as the cores can take.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

#: ``somatic.scatter: auto``: one candidate-pileup chunk per this many bases of territory ...
AUTO_CHUNK_BP = 10_000_000
#: ... and no more chunks than this (a human genome: 50 chunks of about 62 Mb).
AUTO_MAX_CHUNKS = 50
#: CNVkit's coverage hands each process 5,000 bins (``cnvlib.parallel.to_chunks``).
CNVKIT_CHUNK_BINS = 5000
#: Capture targets are padded by this much on each side for the pileup (``genome_chunks``).
TARGET_PAD = 100


def merged_length(intervals: Mapping[str, list[tuple[int, int]]], pad: int = 0) -> int:
    """Bases covered by the intervals (per contig, as ``fileio.read_bed_intervals`` gives them),
    each widened by ``pad``, overlaps counted once."""
    total = 0
    for spans in intervals.values():
        reach = -1
        for start, end in sorted((max(0, s - pad), e + pad) for s, e in spans):
            if end > reach:
                total += end - max(start, reach)
                reach = end
    return total


def pileup_chunks(setting: int | str, territory_bp: int) -> int:
    """Chunks of the candidate pileup: the configured number, or for ``auto`` one per
    :data:`AUTO_CHUNK_BP` of territory (the genome, or the padded targets), 1 to
    :data:`AUTO_MAX_CHUNKS`."""
    if setting == "auto":
        return max(1, min(AUTO_MAX_CHUNKS, math.ceil(territory_bp / AUTO_CHUNK_BP)))
    if isinstance(setting, int) and setting >= 1:
        return setting
    raise ValueError(f"somatic.scatter must be 'auto' or a whole number >= 1, not {setting!r}")


def cnv_bin_count(
    method: str,
    genome_bp: int,
    target_bp: int,
    bin_size: int,
    target_bin_size: int,
    antitarget_bin_size: int,
) -> int:
    """About how many bins CNVkit makes per sample: even bins over the genome (wgs), or target
    bins plus off-target bins (hybrid) or target bins only (amplicon)."""
    if method == "wgs":
        return math.ceil(genome_bp / bin_size)
    targets = math.ceil(target_bp / target_bin_size)
    return targets + (math.ceil(genome_bp / antitarget_bin_size) if method == "hybrid" else 0)


def cnvkit_processes(max_processes: int, bins: int) -> int:
    """CNVkit processes (``-p``) for one sample: at most ``max_processes``, and no more than
    its bins fill at :data:`CNVKIT_CHUNK_BINS` per process (a process more only holds a core)."""
    return max(1, min(max_processes, math.ceil(bins / CNVKIT_CHUNK_BINS)))


def beside_one_thread_jobs(threads: int, cores: int | None) -> int:
    """Threads of a multi-threaded step after alignment: at most half of a local run's cores.

    Such steps run beside many one-thread jobs (pileup chunks, tissue QC, MSI), and Snakemake
    starts a one-thread job on any core that frees, so a job asking for every core waits until
    all the others are done and then runs beside idle cores. ``cores`` is ``--cores`` (None on
    a cluster, where each job gets its own CPUs: ``threads`` as asked).
    """
    if cores is None:
        return max(1, threads)
    return max(1, min(threads, cores // 2))
