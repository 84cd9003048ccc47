"""SigProfiler CNV48 classification of allele-specific copy-number segments.

Channels follow SigProfilerMatrixGenerator (``CNVMatrixGenerator``): total-CN class (0-1 -> "1",
2, 3-4, 5-8, 9+), heterozygosity (homdel when total is 0, LOH when either allele is 0, else het)
and a size class in Mb with right-closed bins ((-0.01, 0.1], (0.1, 1], (1, 10], (10, 40],
above; homozygous deletions only 0-100kb, 100kb-1Mb, >1Mb). The matrix's first column is
``classification``, as SigProfilerMatrixGenerator writes it. Segments come from
``cnv.alleles``: a segment counts only where its major/minor copy numbers are known (enough
heterozygous SNPs, or a total of 0 or 1); the summary says how many were left out. Only the
autosomes count: a male's single X would otherwise be an LOH segment in every male.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["CN48_CHANNELS", "CN48_INDEX", "classify_cn48", "cn48_matrix"]

#: First column of the matrix, as in SigProfilerMatrixGenerator's CNV48 output.
CN48_INDEX = "classification"

_SIZES = ("0-100kb", "100kb-1Mb", "1Mb-10Mb", "10Mb-40Mb", ">40Mb")
_HOMDEL_SIZES = ("0-100kb", "100kb-1Mb", ">1Mb")

CN48_CHANNELS: tuple[str, ...] = (
    tuple(f"0:homdel:{s}" for s in _HOMDEL_SIZES)
    + tuple(f"{c}:LOH:{s}" for c in ("1", "2", "3-4", "5-8", "9+") for s in _SIZES)
    + tuple(f"{c}:het:{s}" for c in ("2", "3-4", "5-8", "9+") for s in _SIZES)
)


def _cn_class(total: np.ndarray) -> np.ndarray:
    return np.select(
        [total <= 1, total == 2, total <= 4, total <= 8], ["1", "2", "3-4", "5-8"], "9+"
    )


def classify_cn48(
    major: np.ndarray, minor: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """CN48 channel label of each segment (integer major/minor copies, 0-based coordinates)."""
    major = np.asarray(major, dtype=np.int64)
    minor = np.asarray(minor, dtype=np.int64)
    total = major + minor
    mb = (np.asarray(end, dtype=np.float64) - np.asarray(start, dtype=np.float64)) / 1e6
    small = (mb > -0.01) & (mb <= 0.1)
    mid = (mb > 0.1) & (mb <= 1)
    size = np.select(
        [small, mid, (mb > 1) & (mb <= 10), (mb > 10) & (mb <= 40)], list(_SIZES[:4]), _SIZES[4]
    )
    homdel_size = np.select([small, mid], list(_HOMDEL_SIZES[:2]), _HOMDEL_SIZES[2])
    loh = np.where((major == 0) | (minor == 0), "LOH", "het")
    labels = np.char.add(np.char.add(_cn_class(total).astype(str), ":"), loh.astype(str))
    labels = np.char.add(np.char.add(labels, ":"), size.astype(str))
    homdel = np.char.add("0:homdel:", homdel_size.astype(str))
    return np.where(total == 0, homdel, labels)


def cn48_matrix(
    segments: pd.DataFrame, samples: list[str] | None = None, not_computed: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Counts of segments per channel and sample (``classification`` + a column per sample).

    ``segments`` needs sample, start, end, major, minor; rows with missing copies are skipped.
    ``not_computed`` samples get an empty (NA) column instead of zeros.
    """
    samples = samples if samples is not None else list(dict.fromkeys(segments["sample"]))
    seg = segments.dropna(subset=["major", "minor"])
    matrix = pd.DataFrame(0, index=pd.Index(CN48_CHANNELS, name=CN48_INDEX), columns=samples)
    if len(seg):
        labels = classify_cn48(
            seg["major"].to_numpy(),
            seg["minor"].to_numpy(),
            seg["start"].to_numpy(),
            seg["end"].to_numpy(),
        )
        counts = pd.crosstab(pd.Series(labels, name="ch"), seg["sample"].to_numpy())
        counts = counts.reindex(index=list(CN48_CHANNELS), columns=samples, fill_value=0)
        matrix = matrix.add(counts.to_numpy(), fill_value=0).astype(np.int64)
    matrix = matrix.astype("Int64")
    for sample in not_computed:
        matrix[sample] = pd.NA
    return matrix.reset_index()
