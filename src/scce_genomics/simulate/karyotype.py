"""Sex chromosomes of the synthetic genome and the copies each haplotype carries.

A female carries two X and no Y, a male one X and one Y. Copy-number callers must know this
(a male's single X is no loss), so the synthetic genome can carry chrX and chrY like a real
reference: both are always in the FASTA, and the reads of each sample come from the copies its
sex gives it. Haplotype 0 holds the maternal X; a male's Y is haplotype 1.
"""

from __future__ import annotations

import numpy as np

from scce_genomics.errors import InputError
from scce_genomics.simulate.genome import CODE, Chromosome, SyntheticGenome, _background

__all__ = ["SEXES", "SEX_CHROMOSOMES", "add_sex_chromosomes", "germline_copies"]

SEXES = ("female", "male")
#: (name, real length in Mb, centromere fraction): GRCh38 chrX and chrY.
SEX_CHROMOSOMES: tuple[tuple[str, float, float], ...] = (
    ("chrX", 156.0, 0.38),
    ("chrY", 57.2, 0.18),
)


def add_sex_chromosomes(genome: SyntheticGenome, seed: int, scale: float) -> None:
    """Append chrX and chrY, ``scale`` × their real lengths (≥ 150 kb).

    Their sequence comes from a random stream of its own, so the autosomes (and everything
    drawn after them from the cohort's generator) are the same with or without them.
    """
    if any(c.name in ("chrX", "chrY") for c in genome.chromosomes):
        return
    rng = np.random.default_rng([seed, 23])
    for name, mb, cen_frac in SEX_CHROMOSOMES:
        length = max(150_000, int(mb * 1e6 * scale))
        seq = _background(rng, length)
        cen_len = max(10_000, length // 40)
        cen0 = int(cen_frac * length)
        seq[cen0 : cen0 + cen_len] = CODE["N"]
        genome.chromosomes.append(Chromosome(name, seq, (cen0, cen0 + cen_len)))


def germline_copies(genome: SyntheticGenome, sex: str) -> dict[str, np.ndarray]:
    """Copies of haplotype 0 and 1 on each chromosome of a normal cell (shape (2,), int8)."""
    if sex not in SEXES:
        raise InputError(f"sex must be one of {', '.join(SEXES)}, got {sex!r}")
    copies = {}
    for c in genome.chromosomes:
        if c.name == "chrX":
            pair = (1, 1) if sex == "female" else (1, 0)
        elif c.name == "chrY":
            pair = (0, 0) if sex == "female" else (0, 1)
        else:
            pair = (1, 1)
        copies[c.name] = np.array(pair, dtype=np.int8)
    return copies
