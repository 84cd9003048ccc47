"""Microsatellite truth for simulated cohorts: MSI-high tumors, stutter and germline lengths.

Mismatch-repair deficiency leaves a mark on repeats: the number of units of a microsatellite
changes, mostly by losing one or two units of a homopolymer (the COSMIC indel signatures ID2,
a 1-bp deletion in a poly-T/A run, and ID1, a 1-bp insertion there); its SNVs follow SBS6,
SBS15, SBS26 and SBS44 (the ``msi`` tumor profile). Three things make a benchmark of MSI
calling honest rather than trivial, and are planted here:

* **MSI events** (:func:`msi_events`): a chosen fraction of the genome's microsatellites change
  length in the tumor, on one haplotype; homopolymers twice as often as longer units;
* **stutter** (:func:`add_stutter`): polymerase slippage during library PCR and sequencing makes
  a few percent of every sample's reads one unit short (or, less often, long), more so for
  longer repeats — normal and tumor alike, so a caller must tell instability from noise;
* **germline length polymorphism** (:func:`germline_repeat_variants`): a fixed set of
  population-polymorphic sites (the same for every individual of a genome) where each person
  carries alleles one unit shorter or longer, so a baseline built from other people's normals
  has to learn which sites vary.

Sites are those of :func:`scce_genomics.biomarkers.microsatellites.scan_sequence`, the same
definition the MSI caller uses. :func:`microsatellite_fasta` writes a random genome dense in
microsatellites for small, fast benchmarks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.biomarkers.microsatellites import ScanParams, scan_sequence
from scce_genomics.errors import InputError
from scce_genomics.fileio import atomic_open
from scce_genomics.simulate.events import Variant
from scce_genomics.simulate.genome import DECODE, SyntheticGenome
from scce_genomics.simulate.reads import Haplotype, Source, haplotype

__all__ = [
    "MSI_SHIFTS",
    "add_stutter",
    "genome_sites",
    "germline_repeat_variants",
    "microsatellite_fasta",
    "msi_events",
    "stutter_rate",
    "write_msi_truth",
]

#: Unit changes of MSI events and their probabilities (homopolymers; longer units).
MSI_SHIFTS = {
    1: ((-1, 0.65), (-2, 0.20), (1, 0.15)),
    2: ((-1, 0.60), (-2, 0.10), (1, 0.30)),
}
#: Population polymorphism: fraction of sites that vary, and the range of the minor allele
#: frequency; the seed is fixed so every cohort on the same genome shares one population.
_POLY_FRACTION = 0.05
_POLY_MAF = (0.05, 0.5)
_POPULATION_SEED = 0x5EED


def genome_sites(genome: SyntheticGenome, params: ScanParams | None = None) -> pd.DataFrame:
    """The microsatellites of every chromosome of a simulated genome."""
    frames = []
    for c in genome.chromosomes:
        sites = scan_sequence(c.seq, params or ScanParams())
        sites.insert(0, "chrom", c.name)
        frames.append(sites)
    return pd.concat(frames, ignore_index=True)


def _unit_variant(
    genome: SyntheticGenome, site: pd.Series, shift: int, hap: int, source: str
) -> Variant:
    """A change of ``shift`` units at a site, written left-aligned at the base before it."""
    seq = genome.chrom(site["chrom"]).seq
    s, u = int(site["start"]), int(site["unit_length"])
    anchor = "ACGT"[int(seq[s - 1])]
    if shift < 0:
        deleted = DECODE[seq[s : s - shift * u]].tobytes().decode()
        return Variant(site["chrom"], s - 1, anchor + deleted, anchor, hap, "DEL", source)
    return Variant(site["chrom"], s - 1, anchor, anchor + site["unit"] * shift, hap, "INS", source)


def germline_repeat_variants(
    genome: SyntheticGenome, sites: pd.DataFrame, seed: int, individual: int
) -> list[Variant]:
    """One person's germline length alleles at the population's polymorphic sites."""
    population = np.random.default_rng([_POPULATION_SEED, len(sites)])
    polymorphic = np.flatnonzero(population.random(len(sites)) < _POLY_FRACTION)
    maf = population.uniform(*_POLY_MAF, polymorphic.size)
    alt = np.where(population.random(polymorphic.size) < 0.5, -1, 1)
    person = np.random.default_rng([seed, 104_729, individual])
    carried = person.random((polymorphic.size, 2)) < maf[:, None]
    out = []
    for row, a, (h0, h1) in zip(polymorphic.tolist(), alt.tolist(), carried.tolist(), strict=True):
        if h0 or h1:
            hap = 2 if h0 and h1 else (0 if h0 else 1)
            out.append(_unit_variant(genome, sites.iloc[row], a, hap, "germline"))
    return out


def msi_events(
    rng: np.random.Generator,
    genome: SyntheticGenome,
    sites: pd.DataFrame,
    fraction: float,
    occupied: list[Variant],
    flank: int = 5,
) -> tuple[list[Variant], pd.DataFrame]:
    """Plant MSI length changes at about ``fraction`` of the sites, on one haplotype each.

    Homopolymers change with probability ``2f/(1 + h)`` and longer units with ``f/(1 + h)``
    (``h`` the homopolymer share), so the expected changed fraction of all sites is ``f``.
    Sites touched by another variant (germline or somatic) are left alone. Returns the variants
    and the truth table (every site with its planted shift, 0 where unchanged).
    """
    if not 0 <= fraction <= 1:
        raise InputError("--msi-fraction must be a share of sites in [0, 1]")
    homo = sites["unit_length"].to_numpy() == 1
    share = float(homo.mean()) if len(sites) else 0.0
    p = np.where(homo, 2 * fraction, fraction) / (1 + share)
    busy = _occupied_mask(sites, occupied, flank)
    chosen = (rng.random(len(sites)) < np.minimum(p, 1.0)) & ~busy
    shifts = np.zeros(len(sites), dtype=np.int64)
    haps = np.full(len(sites), -1, dtype=np.int64)
    variants = []
    for i in np.flatnonzero(chosen).tolist():
        options = MSI_SHIFTS[1 if homo[i] else 2]
        shift = int(rng.choice([o[0] for o in options], p=[o[1] for o in options]))
        if shift < 0 and int(sites["repeats"].iloc[i]) + shift < 2:
            shift = 1
        hap = int(rng.integers(0, 2))
        shifts[i], haps[i] = shift, hap
        variants.append(_unit_variant(genome, sites.iloc[i], shift, hap, "MSI"))
    truth = sites[["chrom", "start", "end", "unit", "repeats"]].copy()
    truth["shift"] = shifts
    truth["hap"] = haps
    truth["excluded"] = busy
    return variants, truth


def _occupied_mask(sites: pd.DataFrame, variants: list[Variant], flank: int) -> np.ndarray:
    """Sites whose repeat or flanks hold a variant."""
    busy = np.zeros(len(sites), dtype=bool)
    if not variants:
        return busy
    table = pd.DataFrame([(v.chrom, v.pos, v.pos + len(v.ref)) for v in variants])
    for chrom, part in table.groupby(0):
        idx = np.flatnonzero(sites["chrom"].to_numpy() == chrom)
        if idx.size == 0:
            continue
        vs = np.sort(part[1].to_numpy())
        ve = part[2].to_numpy()[np.argsort(part[1].to_numpy())]
        lo = sites["start"].to_numpy()[idx] - flank - 1
        hi = sites["end"].to_numpy()[idx] + flank
        k = np.searchsorted(vs, hi, side="left") - 1  # last variant starting before hi
        reach = np.maximum.accumulate(ve)
        busy[idx] = (k >= 0) & (reach[np.maximum(k, 0)] > lo)
    return busy


def stutter_rate(unit_length: np.ndarray, repeats: np.ndarray) -> np.ndarray:
    """Per-read chance of a one-unit-short copy: grows with repeat length (PCR stutter)."""
    homo = 0.01 * 1.2 ** (repeats - 10.0)
    longer = 0.003 * 1.3 ** (repeats - 5.0)
    return np.minimum(np.where(unit_length == 1, homo, longer), 0.2)


def _compose(parent: Haplotype, extra: Haplotype, ref_anchors: np.ndarray) -> Haplotype:
    """Reference→haplotype map of edits made on ``parent``'s sequence (anchors in ref coords)."""
    anchors = np.union1d(parent.anchors, ref_anchors)
    probe = anchors + 1
    return Haplotype(extra.seq, anchors, extra.to_hap(parent.to_hap(probe)) - probe)


def _stutter_haplotype(
    parent: Haplotype, chrom_sites: pd.DataFrame, shift: int, flank: int
) -> Haplotype:
    """``parent`` with every site of ``chrom_sites`` one unit shorter (-1) or longer (+1)."""
    starts = chrom_sites["start"].to_numpy(dtype=np.int64)
    ends = chrom_sites["end"].to_numpy(dtype=np.int64)
    # leave sites where the parent carries its own variant (an MSI event or a germline allele)
    bounded = np.concatenate((parent.anchors, [np.iinfo(np.int64).max]))
    free = bounded[np.searchsorted(parent.anchors, starts - flank, side="left")] > ends + flank
    starts, units = starts[free], chrom_sites["unit"].to_numpy()[free]
    pos_h = parent.to_hap(starts - 1)
    edits = []
    for p, u in zip(pos_h.tolist(), units.tolist(), strict=True):
        anchor = "ACGT"[int(parent.seq[p])]
        if shift < 0:
            body = DECODE[parent.seq[p + 1 : p + 1 + len(u)]].tobytes().decode()
            edits.append(Variant("", p, anchor + body, anchor, 0, "DEL", "stutter"))
        else:
            edits.append(Variant("", p, anchor, anchor + u, 0, "INS", "stutter"))
    return _compose(parent, haplotype(parent.seq, edits), starts)


def add_stutter(
    sources: list[Source], genome: SyntheticGenome, sites: pd.DataFrame, flank: int = 5
) -> list[Source]:
    """Sources plus stutter copies: one-unit-short and -long reads at each site's own rate.

    Sites are grouped by rounded rate; each group gets a source per parent whose sites in the
    group are one unit shorter (weight: the rate) or longer (a third of it), and the parents
    are scaled down so that depth stays the same.
    """
    rate = stutter_rate(sites["unit_length"].to_numpy(), sites["repeats"].to_numpy())
    group = np.round(np.log(rate) / np.log(1.5)).astype(np.int64)
    levels = {g: float(rate[group == g].mean()) for g in np.unique(group).tolist()}
    total = sum(levels.values()) * (1 + 1 / 3)
    out = []
    for src in sources:
        out.append(Source(src.haps, {k: w / (1 + total) for k, w in src.weight.items()}))
        for g, r in levels.items():
            chosen = sites[group == g]
            for shift, share in ((-1, 1.0), (1, 1 / 3)):
                haps = {}
                for c in genome.chromosomes:
                    part = chosen[chosen["chrom"] == c.name]
                    parent = src.haps[c.name]
                    haps[c.name] = (
                        _stutter_haplotype(parent, part, shift, flank) if len(part) else parent
                    )
                weight = {k: w * (r * share / (1 + total)) for k, w in src.weight.items()}
                out.append(Source(haps, weight))
    return out


def write_msi_truth(truth: pd.DataFrame, path: Path) -> dict[str, float]:
    """Write the per-site truth table; return the planted unstable fraction and counts."""
    with atomic_open(path) as handle:
        truth.to_csv(handle, sep="\t", index=False)
    changed = int((truth["shift"].to_numpy() != 0).sum())
    return {
        "sites": len(truth),
        "unstable_sites": changed,
        "unstable_fraction": changed / max(1, len(truth)),
    }


def microsatellite_fasta(path: str | Path, length: int, seed: int, spacing: int = 250) -> Path:
    """A one-contig random genome with a microsatellite about every ``spacing`` bp.

    Homopolymers (10-22 bp, three in four of A/T) make 60% of them, di- to tetranucleotide
    repeats (5-12 units) the rest; the bases around each are chosen so it ends where planted.
    """
    rng = np.random.default_rng(seed)
    seq = rng.choice(4, size=length, p=[0.3, 0.2, 0.2, 0.3]).astype(np.uint8)
    pos = 500
    while pos < length - 500:
        if rng.random() < 0.6:
            unit = np.array([rng.choice(4, p=[0.375, 0.125, 0.125, 0.375])], dtype=np.uint8)
            tract = np.repeat(unit, int(rng.integers(10, 23)))
        else:
            unit = rng.choice(4, size=int(rng.integers(2, 5))).astype(np.uint8)
            while len(set(unit.tolist())) == 1 or (unit.size == 4 and (unit[:2] == unit[2:]).all()):
                unit = rng.choice(4, size=unit.size).astype(np.uint8)
            tract = np.tile(unit, int(rng.integers(5, 13)))
        seq[pos : pos + tract.size] = tract
        # the bases either side must not continue the period, so the repeat ends where planted
        seq[pos - 1] = (int(unit[-1]) + int(rng.integers(1, 4))) % 4
        seq[pos + tract.size] = (int(unit[0]) + int(rng.integers(1, 4))) % 4
        pos += tract.size + int(rng.integers(spacing // 2, spacing * 3 // 2))
    path = Path(path)
    with atomic_open(path) as handle:
        handle.write(">msi1\n")
        text = DECODE[seq].tobytes().decode()
        handle.writelines(text[i : i + 60] + "\n" for i in range(0, len(text), 60))
    return path
