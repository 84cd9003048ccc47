"""Homologous-recombination-deficiency scars planted in a tumor's copy-number profile.

Each HRD scar score counts one kind of large event, so each gets an event made for it:

- an interstitial LOH region of 18-25 Mb inside an arm (copy-neutral or with loss of one
  copy), ≥ 12 Mb from both arm ends: one HRD-LOH region (Abkevich 2012) and, as its two
  breakpoints join segments ≥ 10 Mb, two large-scale transitions (Popova 2012);
- a telomeric allelic imbalance, a one-allele gain of 15-22 Mb from a telomere that stops
  ≥ 12 Mb short of the centromere: one telomeric AI (Birkbak 2012) and one transition.

Sizes are in real megabases and multiplied by the genome's scale, so the scorer run with the
same scale counts what was planted. One event per arm, on arms no other planted event touches.
"""

from __future__ import annotations

import numpy as np

from scce_genomics.errors import InputError
from scce_genomics.simulate.genome import SyntheticGenome

__all__ = ["plant_scars"]

_MB = 1_000_000


def plant_scars(
    rng: np.random.Generator,
    genome: SyntheticGenome,
    cn: dict[str, np.ndarray],
    n_loh: int,
    n_tai: int,
    scale: float,
    avoid: set[str],
) -> list[dict[str, object]]:
    """Plant ``n_loh`` LOH and ``n_tai`` telomeric-AI events into ``cn`` (in place).

    ``avoid`` names arms already altered (arm events, focal events). Returns one record per
    event: kind, chrom, arm, start, end (0-based half-open) and the allelic state.
    """
    unit = _MB * scale
    arms = [
        (chrom, arm, s, e)
        for chrom, arm, s, e in genome.arms()
        if chrom not in ("chrX", "chrY") and arm not in avoid
    ]
    order = [arms[i] for i in rng.permutation(len(arms))]
    used: set[str] = set()
    events: list[dict[str, object]] = []

    def take(min_mb: float) -> tuple[str, str, int, int]:
        for chrom, arm, s, e in order:
            if arm not in used and e - s >= min_mb * unit:
                used.add(arm)
                return chrom, arm, s, e
        raise InputError(
            f"no free arm of ≥ {min_mb:g} Mb left for the HRD events; plant fewer or use a "
            "larger --scale"
        )

    for _ in range(n_loh):
        size = int(rng.uniform(18, 25) * unit)
        chrom, arm, s, e = take(12 + 25 + 12)
        start = int(rng.integers(s + int(12 * unit), e - int(12 * unit) - size + 1))
        lost = int(rng.integers(0, 2))
        neutral = bool(rng.random() < 0.5)
        cn[chrom][lost, start : start + size] = 0
        if neutral:
            cn[chrom][1 - lost, start : start + size] = 2
        state = "copy-neutral LOH" if neutral else "LOH with loss"
        events.append(_record("loh", chrom, arm, start, start + size, state))
    for _ in range(n_tai):
        size = int(rng.uniform(15, 22) * unit)
        chrom, arm, s, e = take(22 + 12)
        gained = int(rng.integers(0, 2))
        p_arm = arm.endswith("p")
        start, end = (s, s + size) if p_arm else (e - size, e)
        cn[chrom][gained, start:end] += 1
        events.append(_record("tai", chrom, arm, start, end, "one-allele gain at the telomere"))
    return events


def _record(kind: str, chrom: str, arm: str, start: int, end: int, state: str) -> dict[str, object]:
    return {"kind": kind, "chrom": chrom, "arm": arm, "start": start, "end": end, "state": state}
