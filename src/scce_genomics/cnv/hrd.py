"""HRD scar score: HRD-LOH, telomeric allelic imbalance and large-scale transitions.

Homologous-recombination deficiency leaves large allelic scars; the three published counts,
from allele-specific (major/minor) segments of the autosomes:

- **HRD-LOH** (Abkevich et al. 2012): LOH regions (minor copy number 0, major > 0; adjacent
  LOH segments merged whatever their total) longer than 15 Mb, on chromosomes that are not
  LOH over their whole length.
- **TAI** (Birkbak et al. 2012): segments ≥ 1 Mb with allelic imbalance that reach a telomere
  without crossing the centromere. Imbalance is relative to the chromosome's main total copy
  number: for an even one, major ≠ minor; for an odd one, a different total or minor 0. A
  chromosome that is one imbalanced segment counts as whole-chromosome imbalance, not TAI.
- **LST** (Popova et al. 2012): per chromosome arm, segments shorter than 3 Mb are removed
  (neighbours of equal state merge), then each break between adjacent segments of ≥ 10 Mb
  whose gap is under 3 Mb counts once.

The sum of the three is the HRD score (Telli et al. 2016). The definitions follow scarHRD
(Sztupinszki et al. 2018). Segments without allele-specific evidence are left out (as segments
without SNPs are on arrays); a tumor with too little allele-specific territory gets NA with
the reason. ``length_scale`` multiplies every size (1 for real genomes; the simulator's scale
for its scaled-down genomes, whose planted scars are scaled the same way).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scce_genomics.cnv.sex import autosomes

__all__ = ["HRD_COLUMNS", "HrdSettings", "hrd_scores", "loh_count", "lst_count", "tai_count"]

HRD_COLUMNS = (
    "sample", "hrd_loh", "tai", "lst", "hrd_sum", "allele_specific_fraction",
    "n_segments", "length_scale", "status", "reason",
)  # fmt: skip

_MB = 1_000_000
_FAR = 2**62  # a centromere position beyond any chromosome (arm table without the chromosome)


@dataclass(frozen=True)
class HrdSettings:
    """Published thresholds in Mb, the genome's length scale and the evidence floor."""

    loh_min_mb: float = 15.0
    lst_min_mb: float = 10.0
    lst_smooth_mb: float = 3.0
    tai_min_mb: float = 1.0
    length_scale: float = 1.0
    min_allele_fraction: float = 0.5  # of the autosomes' segmented length, else NA


Segment = tuple[int, int, int, int]  # start, end, major, minor


def _merge(segs: list[Segment], key: object = None) -> list[Segment]:
    """Merge consecutive segments whose (major, minor), or ``key(seg)``, is equal."""
    out: list[Segment] = []
    for s in segs:
        k = key(s) if callable(key) else (s[2], s[3])
        if out and (key(out[-1]) if callable(key) else (out[-1][2], out[-1][3])) == k:
            out[-1] = (out[-1][0], s[1], out[-1][2], out[-1][3])
        else:
            out.append(s)
    return out


def loh_count(chroms: dict[str, list[Segment]], settings: HrdSettings) -> int:
    """HRD-LOH regions (> 15 Mb, not a whole-chromosome LOH)."""
    limit = settings.loh_min_mb * _MB * settings.length_scale

    def state(s: Segment) -> str:
        if s[3] == 0 and s[2] > 0:
            return "loh"
        return "homdel" if s[2] == 0 else "het"

    n = 0
    for segs in chroms.values():
        if all(s[3] == 0 for s in segs):
            continue  # the whole chromosome lost its heterozygosity
        merged = _merge(segs, key=state)
        n += sum(1 for s in merged if state(s) == "loh" and s[1] - s[0] > limit)
    return n


def tai_count(
    chroms: dict[str, list[Segment]], centromeres: dict[str, tuple[int, int]], settings: HrdSettings
) -> int:
    """Telomeric allelic imbalances: first/last segment imbalanced, not crossing the centromere."""
    min_len = settings.tai_min_mb * _MB * settings.length_scale
    n = 0
    for chrom, segs in chroms.items():
        segs = _merge([s for s in segs if s[1] - s[0] >= min_len])
        if len(segs) < 2:
            continue  # no segment, or one (imbalanced or not) over the whole chromosome
        totals: dict[int, int] = {}
        for s in segs:
            total = s[2] + s[3]
            if total > 0:
                totals[total] = totals.get(total, 0) + s[1] - s[0]
        ploidy = max(totals, key=lambda t: totals[t]) if totals else 2

        def imbalanced(s: Segment, ploidy: int = ploidy) -> bool:
            if ploidy % 2 == 0:
                return s[2] != s[3]
            return s[2] + s[3] != ploidy or s[3] == 0

        cen0, cen1 = centromeres.get(chrom, (_FAR, -1))
        first, last = segs[0], segs[-1]
        n += int(imbalanced(first) and first[1] <= cen0)
        n += int(imbalanced(last) and last[0] >= cen1)
    return n


def lst_count(
    chroms: dict[str, list[Segment]], centromeres: dict[str, tuple[int, int]], settings: HrdSettings
) -> int:
    """Large-scale transitions per arm after removing segments < 3 Mb."""
    unit = _MB * settings.length_scale
    smooth, big = settings.lst_smooth_mb * unit, settings.lst_min_mb * unit
    n = 0
    for chrom, segs in chroms.items():
        cen0, cen1 = centromeres.get(chrom, (_FAR, _FAR))
        p_arm = [(s[0], min(s[1], cen0), s[2], s[3]) for s in segs if s[0] < cen0]
        q_arm = [(max(s[0], cen1), s[1], s[2], s[3]) for s in segs if s[1] > cen1]
        for arm in (p_arm, q_arm):
            arm = _merge([s for s in arm if s[1] > s[0]])
            while True:
                short = [i for i, s in enumerate(arm) if s[1] - s[0] < smooth]
                if not short:
                    break
                arm = _merge(arm[: short[0]] + arm[short[0] + 1 :])
            for a, b in itertools.pairwise(arm):
                if a[1] - a[0] >= big and b[1] - b[0] >= big and b[0] - a[1] < smooth:
                    n += 1
    return n


def _centromeres(arms: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """(end of the p arm, start of the q arm) per chromosome from the arm table."""
    out: dict[str, tuple[int, int]] = {}
    for chrom, g in arms.groupby(arms["chrom"].astype(str)):
        p = g[g["arm"].astype(str).str.endswith("p")]
        q = g[g["arm"].astype(str).str.endswith("q")]
        q_start = int(q["start"].min()) if len(q) else int(g["end"].max())
        p_end = int(p["end"].max()) if len(p) else q_start
        out[str(chrom)] = (p_end, q_start)
    return out


def hrd_scores(
    alleles: pd.DataFrame, arms: pd.DataFrame, sample: str, settings: HrdSettings | None = None
) -> dict[str, object]:
    """One row of ``HRD_COLUMNS`` from a sample's allele segments (``alleles.allele_segments``)."""
    s = settings or HrdSettings()
    seg = autosomes(alleles)
    length = (seg["end"] - seg["start"]).to_numpy(np.float64)
    known = seg["major"].notna() & seg["minor"].notna()
    frac = float(length[known.to_numpy()].sum() / length.sum()) if length.sum() > 0 else 0.0
    row: dict[str, object] = {
        "sample": sample, "hrd_loh": math.nan, "tai": math.nan, "lst": math.nan,
        "hrd_sum": math.nan, "allele_specific_fraction": round(frac, 3),
        "n_segments": int(known.sum()), "length_scale": s.length_scale,
        "status": "not computed", "reason": "",
    }  # fmt: skip
    if length.sum() <= 0:
        row["reason"] = "no autosomal segments"
        return row
    if frac < s.min_allele_fraction:
        row["reason"] = (
            f"allele-specific copy number on {frac:.0%} of the autosomes "
            f"(< {s.min_allele_fraction:.0%}): too few heterozygous SNPs or no B-allele data"
        )
        return row
    chroms: dict[str, list[Segment]] = {}
    ok = seg[known].sort_values(["chromosome", "start"])
    for chrom, start, end, major, minor in zip(
        ok["chromosome"].astype(str),
        ok["start"].astype(np.int64).tolist(),
        ok["end"].astype(np.int64).tolist(),
        ok["major"].astype(np.int64).tolist(),
        ok["minor"].astype(np.int64).tolist(),
        strict=True,
    ):
        chroms.setdefault(chrom, []).append((start, end, major, minor))
    cen = _centromeres(arms)
    loh, tai, lst = loh_count(chroms, s), tai_count(chroms, cen, s), lst_count(chroms, cen, s)
    row.update(hrd_loh=loh, tai=tai, lst=lst, hrd_sum=loh + tai + lst, status="computed")
    return row
