"""HRD scar score: each component on constructed segments, and on scars the simulator plants."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from scce_genomics.cnv.hrd import HrdSettings, hrd_scores
from scce_genomics.simulate.events import cn_segments
from scce_genomics.simulate.genome import make_genome
from scce_genomics.simulate.scars import plant_scars

MB = 1_000_000
# chr1-like (cen 123-125 Mb, 248 Mb) and chr2-like (cen 92-94 Mb, 242 Mb) chromosomes
ARMS = pd.DataFrame(
    {
        "chrom": ["chr1", "chr1", "chr2", "chr2"],
        "arm": ["1p", "1q", "2p", "2q"],
        "start": [0, 125 * MB, 0, 94 * MB],
        "end": [123 * MB, 248 * MB, 92 * MB, 242 * MB],
    }
)
NORMAL_2 = [("chr2", 0, 92, 1, 1), ("chr2", 94, 242, 1, 1)]


def alleles(rows: list[tuple[str, float, float, int, int]]) -> pd.DataFrame:
    """Segments in Mb: chromosome, start, end, major, minor."""
    df = pd.DataFrame(rows, columns=["chromosome", "start", "end", "major", "minor"])
    df["start"] = (df["start"] * MB).astype(np.int64)
    df["end"] = (df["end"] * MB).astype(np.int64)
    return df


def score(rows: list[tuple[str, float, float, int, int]], **kw: float) -> dict[str, object]:
    return hrd_scores(alleles(rows + NORMAL_2), ARMS, "T", HrdSettings(**kw))


def test_interstitial_loh_counts_once_and_makes_two_transitions() -> None:
    r = score([("chr1", 0, 40, 1, 1), ("chr1", 40, 60, 2, 0), ("chr1", 60, 123, 1, 1),
               ("chr1", 125, 248, 1, 1)])  # fmt: skip
    assert (r["hrd_loh"], r["tai"], r["lst"], r["hrd_sum"]) == (1, 0, 2, 3)
    assert r["status"] == "computed"


def test_loh_size_and_whole_chromosome_rules() -> None:
    # 14 Mb LOH: too short; adjacent LOH segments of different totals merge into one region
    short = score([("chr1", 0, 40, 1, 1), ("chr1", 40, 54, 1, 0), ("chr1", 54, 248, 1, 1)])
    assert short["hrd_loh"] == 0
    merged = score([("chr1", 0, 40, 1, 1), ("chr1", 40, 48, 1, 0), ("chr1", 48, 56, 3, 0),
                    ("chr1", 56, 248, 1, 1)])  # fmt: skip
    assert merged["hrd_loh"] == 1
    whole = score([("chr1", 0, 123, 1, 0), ("chr1", 125, 248, 2, 0)])
    assert whole["hrd_loh"] == 0


def test_telomeric_allelic_imbalance() -> None:
    # a gain of one allele at the p telomere (20 Mb) and an LOH at the q telomere
    r = score([("chr1", 0, 20, 2, 1), ("chr1", 20, 123, 1, 1), ("chr1", 125, 200, 1, 1),
               ("chr1", 200, 248, 1, 0)])  # fmt: skip
    assert r["tai"] == 2
    # imbalance that crosses the centromere is not telomeric; a whole-chromosome one is not either
    assert score([("chr1", 0, 130, 2, 0), ("chr1", 130, 248, 1, 1)])["tai"] == 0
    assert score([("chr1", 0, 248, 2, 0)])["tai"] == 0
    # odd main copy number (3): a 2+1 segment is balanced, a 3+0 at the telomere is not
    odd = score([("chr1", 0, 30, 3, 0), ("chr1", 30, 248, 2, 1)])
    assert odd["tai"] == 1


def test_large_scale_transitions_smoothing_and_arms() -> None:
    # a 2 Mb blip between two 20 Mb segments of one state is smoothed away: no transition
    blip = score([("chr1", 0, 20, 1, 1), ("chr1", 20, 22, 3, 1), ("chr1", 22, 123, 1, 1),
                  ("chr1", 125, 248, 1, 1)])  # fmt: skip
    assert blip["lst"] == 0
    # a break between 12 Mb and 111 Mb segments counts; one between 9 Mb and 114 Mb does not
    assert score([("chr1", 0, 12, 2, 1), ("chr1", 12, 248, 1, 1)])["lst"] == 1
    assert score([("chr1", 0, 9, 2, 1), ("chr1", 9, 248, 1, 1)])["lst"] == 0
    # a change at the centromere (whole-arm event) is no transition
    assert score([("chr1", 0, 123, 2, 1), ("chr1", 125, 248, 1, 1)])["lst"] == 0


def test_length_scale_and_too_little_allele_evidence() -> None:
    rows = [("chr1", 0, 40, 1, 1), ("chr1", 40, 60, 2, 0), ("chr1", 60, 248, 1, 1)]
    scaled = [(c, s / 400, e / 400, a, b) for c, s, e, a, b in rows + NORMAL_2]
    arms = ARMS.assign(start=ARMS["start"] // 400, end=ARMS["end"] // 400)
    r = hrd_scores(alleles(scaled), arms, "T", HrdSettings(length_scale=1 / 400))
    assert (r["hrd_loh"], r["lst"]) == (1, 2)
    unknown = alleles(rows + NORMAL_2)
    unknown.loc[[0, 2, 3], ["major", "minor"]] = np.nan  # most of the genome total-only
    na = hrd_scores(unknown, ARMS, "T")
    assert math.isnan(na["hrd_sum"]) and "allele-specific copy number on" in str(na["reason"])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_scars_score_as_designed(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scale = 1 / 400
    genome = make_genome(rng, scale)
    cn = {c.name: np.ones((2, c.length), dtype=np.int8) for c in genome.chromosomes}
    events = plant_scars(rng, genome, cn, 3, 3, scale, avoid=set())
    truth = cn_segments(cn).rename(
        columns={"chrom": "chromosome", "major_cn": "major", "minor_cn": "minor"}
    )
    arms = pd.DataFrame(genome.arms(), columns=["chrom", "arm", "start", "end"])
    r = hrd_scores(truth, arms, "T", HrdSettings(length_scale=scale))
    assert sum(e["kind"] == "loh" for e in events) == 3
    # each LOH: one region and two transitions; each telomeric AI: one TAI and one transition
    assert (r["hrd_loh"], r["tai"], r["lst"]) == (3, 3, 3 * 2 + 3)
