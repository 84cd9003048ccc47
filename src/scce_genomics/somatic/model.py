"""Somatic SNV/indel model: scores bcftools mpileup candidates, vectorised over all sites.

Candidates come from ``bcftools mpileup`` (per-sample AD/ADF/ADR/QS/SP), split to one ALT per
record. The model follows Mutect's logic with closed-form likelihoods:

* ``TLOD``: log10 likelihood ratio that the tumor carries the allele at its observed fraction
  versus sequencing error alone (per-read error from the alt reads' mean base quality).
* ``NLOD``: log10 likelihood ratio that the matched normal is homozygous reference versus
  heterozygous; a low NLOD or clear alt reads in the normal mark the site germline.
* Tumor-only: posterior odds germline vs somatic from the population allele frequency
  (germline resource), purity and the segment's copy number (:mod:`tumor_only`).
* FFPE/oxidation: damage sits on one strand of the original fragment, so its alt reads come
  from one read orientation: C>T (deamination) and G>T (8-oxoG) in F1R2 reads at a reference
  C/G, their complements G>A/C>A in F2R1. Each class's artifact prior is learned per sample
  from the orientation balance of its candidates, so a fresh sample keeps its C>T calls.

Every filter is a named VCF FILTER (see :data:`FILTERS`).
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pysam
from scipy import stats

from scce_genomics.errors import InputError
from scce_genomics.parallel import TARGET_PAD
from scce_genomics.somatic.tumor_only import GermlineEvidence, classify

__all__ = [
    "DAMAGE_CLASSES",
    "FILTERS",
    "Candidates",
    "SomaticParams",
    "artifact_posterior",
    "artifact_prior",
    "filter_labels",
    "genome_chunks",
    "load_candidates",
    "log10_binom_lik",
    "orientation_artifacts",
    "score",
]

#: FILTER id -> description, in the order they are tested.
FILTERS: dict[str, str] = {
    "low_depth": "Tumor depth below somatic.min_depth, or normal depth below min_normal_depth",
    "low_alt_count": "Fewer alt reads in the tumor than somatic.min_alt_count",
    "weak_evidence": "Tumor log-odds (TLOD) below somatic.min_tlod",
    "strand_bias": "Alt reads on one strand only (strand-bias p below somatic.strand_bias_p)",
    "low_base_quality": "Mean base quality of alt reads below somatic.min_alt_base_quality",
    "low_mapping_quality": "Alt reads map worse than ref reads (MQBZ below somatic.min_mqbz)",
    "clustered_events": "Too many candidate events within somatic.cluster_window bp",
    "near_indel": "SNV within somatic.indel_window bp of a candidate indel",
    "panel_of_normals": "Allele seen in the panel of normals",
    "germline": "Likely germline (normal evidence; tumor-only: GERMQ above min_germline_lod)",
    "orientation": "C>T/G>A or G>T/C>A carried by one read orientation (FFPE/oxidation artifact)",
}


#: Damage classes: (damaged reference base, base it is read as) on the fragment strand that
#: read 1 sequences. Alt reads of such an artifact are F1R2 at that reference base and F2R1 at
#: its complement (deamination C>T | G>A, 8-oxoG oxidation G>T | C>A).
DAMAGE_CLASSES: dict[str, tuple[str, str]] = {"deamination": ("C", "T"), "oxidation": ("G", "T")}
_COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A"}


@dataclass(frozen=True)
class SomaticParams:
    """Thresholds of the model; defaults mirror config/config.yaml ``somatic:``."""

    min_depth: int = 10
    min_normal_depth: int = 8
    min_alt_count: int = 3
    min_tlod: float = 5.3
    min_nlod: float = 2.2
    max_normal_alt_fraction: float = 0.05
    strand_bias_p: float = 1e-3
    min_alt_base_quality: float = 20.0
    min_mqbz: float = -5.0
    cluster_window: int = 50
    max_cluster_events: int = 2
    indel_window: int = 5
    tumor_only_purity: float = 0.6
    min_germline_lod: float = 0.0
    max_artifact_posterior: float = 0.5


@dataclass
class Candidates:
    """Per-site arrays (one ALT per site); normal arrays are zeros in tumor-only mode."""

    table: pd.DataFrame  # chrom, pos (1-based), ref, alt, is_indel, mqbz
    t_ref: np.ndarray
    t_alt: np.ndarray
    t_alt_fwd: np.ndarray
    t_alt_rev: np.ndarray
    t_strand_phred: np.ndarray
    t_alt_qsum: np.ndarray
    n_ref: np.ndarray
    n_alt: np.ndarray
    paired: bool

    def __len__(self) -> int:
        return len(self.table)


#: per-sample fields of the candidate query: allele depths split into their ref/alt parts by
#: bcftools itself (``{i}``), so that every column parses as a number
_SAMPLE_FIELDS = {
    "ref": "AD{0}",
    "alt": "AD{1}",
    "alt_fwd": "ADF{1}",
    "alt_rev": "ADR{1}",
    "strand_phred": "SP",
    "alt_qsum": "QS{1}",
}


def _query(path: Path, samples: list[str]) -> bytes:
    fields = "".join(f"\t%{f}" for f in _SAMPLE_FIELDS.values())
    fmt = f"%CHROM\t%POS\t%REF\t%ALT\t%INFO/MQBZ[{fields}]\n"
    cmd = ["bcftools", "query", "-s", ",".join(samples), "-f", fmt, str(path)]
    done = subprocess.run(cmd, capture_output=True, check=False)
    if done.returncode != 0:
        error = done.stderr.decode(errors="replace").strip()[-300:]
        raise InputError(f"cannot read candidate file: {error}", path)
    return done.stdout


def load_candidates(path: str | Path, tumor: str, normal: str | None) -> Candidates:
    """Read a split (``norm -m -any``) mpileup BCF into arrays for ``tumor`` (and ``normal``).

    ``bcftools query`` streams the fields as text that pandas parses in bulk into numbers: a
    whole-genome candidate set is millions of records, too many for a per-record loop or for
    a Python string per field (650,000 records took over 1 GB that way).
    """
    path = Path(path)
    try:
        with pysam.VariantFile(str(path)) as vcf:
            samples = list(vcf.header.samples)
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read candidate file ({err})", path) from None
    wanted = [tumor] + ([normal] if normal else [])
    for name in wanted:
        if name not in samples:
            raise InputError(
                f"sample {name!r} is not in the candidate file (samples: {', '.join(samples)}); "
                "the BAM's read-group SM must equal the sample name",
                path,
            )
    columns = [f"{f}_{i}" for i in range(len(wanted)) for f in _SAMPLE_FIELDS]
    names = ["chrom", "pos", "ref", "alt", "mqbz", *columns]
    dtypes: dict[str, Any] = {"chrom": str, "pos": np.int64, "ref": str, "alt": str}
    dtypes.update({c: np.float64 for c in ["mqbz", *columns]})
    data = _query(path, wanted)
    if data:
        text = io.BytesIO(data)
        raw = pd.read_csv(text, sep="\t", header=None, names=names, dtype=dtypes,
                          na_values=["."], keep_default_na=False)  # fmt: skip
    else:
        raw = pd.DataFrame({n: pd.Series(dtype=t) for n, t in dtypes.items()})
    del data
    raw = raw[~raw["alt"].str.contains("[<,]", regex=True, na=True)].reset_index(drop=True)
    values = raw[["mqbz", *columns]].fillna(0.0)
    table = pd.DataFrame(
        {
            "chrom": raw["chrom"],
            "pos": raw["pos"],
            "ref": raw["ref"],
            "alt": raw["alt"],
            "is_indel": (raw["ref"].str.len() != raw["alt"].str.len()).to_numpy(dtype=bool),
            "mqbz": values["mqbz"].to_numpy(),
        }
    )
    zeros = np.zeros(len(raw))

    def field(name: str, sample: int = 0) -> np.ndarray:
        return values[f"{name}_{sample}"].to_numpy(dtype=np.float64)

    return Candidates(
        table=table,
        t_ref=field("ref"),
        t_alt=field("alt"),
        t_alt_fwd=field("alt_fwd"),
        t_alt_rev=field("alt_rev"),
        t_strand_phred=field("strand_phred"),
        t_alt_qsum=field("alt_qsum"),
        n_ref=field("ref", 1) if normal else zeros,
        n_alt=field("alt", 1) if normal else zeros.copy(),
        paired=normal is not None,
    )


def log10_binom_lik(alt: np.ndarray, ref: np.ndarray, f: np.ndarray, err: np.ndarray) -> np.ndarray:
    """log10 P(reads | allele fraction f) with per-read error ``err`` (binomial, no constant)."""
    p_alt = np.clip(f * (1 - err) + (1 - f) * err / 3, 1e-300, 1.0)
    p_ref = np.clip((1 - f) * (1 - err) + f * err / 3, 1e-300, 1.0)
    return alt * np.log10(p_alt) + ref * np.log10(p_ref)


def _error_rate(alt: np.ndarray, qsum: np.ndarray) -> np.ndarray:
    mean_q = np.where(alt > 0, qsum / np.maximum(alt, 1), 30.0)
    return np.clip(10 ** (-np.clip(mean_q, 5, 45) / 10), 1e-5, 0.3)


def _strand_p(c: Candidates) -> np.ndarray:
    """Strand-bias p-value: mpileup's Phred SP, required with one-sided alt support."""
    p = 10 ** (-c.t_strand_phred / 10)
    one_sided = np.minimum(c.t_alt_fwd, c.t_alt_rev) <= 0.1 * c.t_alt
    return np.where(one_sided, p, 1.0)


def _neighbour_counts(
    chrom: pd.Series | np.ndarray, pos: np.ndarray, mask: np.ndarray, window: int
) -> np.ndarray:
    """For every site, how many ``mask`` sites (other than itself) lie within ``window`` bp.

    Chromosomes are laid end to end with a gap wider than the window, so one sorted search
    covers the genome without a Python loop per chromosome.
    """
    if pos.size == 0:
        return np.zeros(0, dtype=np.int64)
    codes, _ = pd.factorize(chrom)
    span = int(pos.max()) + 2 * window + 2
    key = codes.astype(np.int64) * span + pos.astype(np.int64)
    selected = np.sort(key[mask])
    lo = np.searchsorted(selected, key - window, side="left")
    hi = np.searchsorted(selected, key + window, side="right")
    return (hi - lo - mask.astype(np.int64)).astype(np.int64)


def _in_table(table: pd.DataFrame, other: pd.DataFrame) -> np.ndarray:
    """Whether each (chrom, pos, ref, alt) of ``table`` is in ``other`` (a hash join)."""
    key = ["chrom", "pos", "ref", "alt"]
    if other.empty or table.empty:
        return np.zeros(len(table), dtype=bool)
    hits = other[key].drop_duplicates().assign(_hit=True)
    merged = table[key].merge(hits, on=key, how="left")
    return merged["_hit"].notna().to_numpy()


def filter_labels(checks: dict[str, np.ndarray]) -> pd.Categorical[str]:
    """``;``-joined names of the failed checks per site (``PASS`` if none), without a row loop.

    Each site's failures become a bit mask; only the distinct masks are turned into text, and
    the column is categorical (codes per site, one string per distinct combination).
    """
    names = list(checks)
    n = len(next(iter(checks.values()))) if names else 0
    bits = np.zeros(n, dtype=np.int64)
    for i, name in enumerate(names):
        bits |= np.asarray(checks[name], dtype=np.int64) << i
    unique, inverse = np.unique(bits, return_inverse=True)
    text = [";".join(nm for i, nm in enumerate(names) if (u >> i) & 1) or "PASS" for u in unique]
    return pd.Categorical.from_codes(inverse.reshape(-1), categories=pd.Index(text))


def artifact_prior(c_to_t: np.ndarray, art_alt: np.ndarray, other_alt: np.ndarray) -> float:
    """Fraction of C>T/G>A candidates that are orientation artifacts, learned from the sample.

    Real alleles put half their alt reads in each orientation, artifacts all in one: the
    read-weighted mean artifact-orientation fraction m gives π = 2m − 1.
    """
    total = (art_alt + other_alt)[c_to_t].sum()
    if total < 20:
        return 0.0
    m = art_alt[c_to_t].sum() / total
    return float(np.clip(2 * m - 1, 0.0, 0.99))


def _damage_rate(
    damage: np.ndarray, art_alt: np.ndarray, other: np.ndarray, alt: np.ndarray, depth: np.ndarray
) -> float:
    """Allele fraction typical of damage: pooled VAF of one-orientation, low-VAF candidates."""
    sel = damage & (other == 0) & (art_alt > 0) & (alt < 0.1 * depth)
    if not sel.any():
        return 0.01
    return float(np.clip(alt[sel].sum() / depth[sel].sum(), 0.002, 0.05))


def artifact_posterior(
    art_alt: np.ndarray,
    other: np.ndarray,
    alt: np.ndarray,
    depth: np.ndarray,
    prior: float,
    rate: float,
    leak: float = 0.1,
) -> np.ndarray:
    """P(artifact | orientation split, allele fraction) for C>T/G>A sites.

    Artifact: alt reads in the damage orientation except a ``leak`` fraction (errors and
    mismapped reads), alt count ~ Binomial(depth, rate). Real allele: orientations split
    50:50, allele fraction uniform on [0, 1] (marginal likelihood 1 / (depth + 1)).
    """
    if prior <= 0:
        return np.zeros_like(alt, dtype=float)
    n = art_alt + other
    log_orient = art_alt * np.log10(1 - leak) + other * np.log10(leak) - n * np.log10(0.5)
    log_af = stats.binom.logpmf(alt, depth, rate) / np.log(10) + np.log10(depth + 1)
    log_odds = np.log10(prior) - np.log10(1 - prior) + log_orient + log_af
    return 1 / (1 + 10 ** (-np.clip(log_odds, -50, 50)))


def orientation_artifacts(
    table: pd.DataFrame,
    f1r2: np.ndarray,
    f2r1: np.ndarray,
    alt: np.ndarray,
    depth: np.ndarray,
) -> np.ndarray:
    """Posterior of an orientation artifact per site (0 outside the damage classes).

    Each class of :data:`DAMAGE_CLASSES` has its own prior and damage allele fraction, learned
    from the sample's own candidates, so FFPE deamination and 8-oxoG oxidation are judged
    separately and a fresh sample keeps its calls.
    """
    ref, alt_base = table["ref"], table["alt"]
    post = np.zeros(len(table))
    for top_ref, top_alt in DAMAGE_CLASSES.values():
        top = ((ref == top_ref) & (alt_base == top_alt)).to_numpy(dtype=bool)
        bottom = ((ref == _COMPLEMENT[top_ref]) & (alt_base == _COMPLEMENT[top_alt])).to_numpy(
            dtype=bool
        )
        damage = top | bottom
        if not damage.any():
            continue
        art_alt = np.where(top, f1r2, np.where(bottom, f2r1, 0.0))
        other = np.where(top, f2r1, np.where(bottom, f1r2, 0.0))
        prior = artifact_prior(damage, art_alt, other)
        rate = _damage_rate(damage, art_alt, other, alt, depth)
        post = np.where(damage, artifact_posterior(art_alt, other, alt, depth, prior, rate), post)
    return post


def score(
    c: Candidates,
    params: SomaticParams,
    pon: set[tuple[str, int, str, str]] | pd.DataFrame | None = None,
    orientation: pd.DataFrame | None = None,
    purity: float | None = None,
    germline_evidence: GermlineEvidence | None = None,
) -> pd.DataFrame:
    """Scores and FILTER per candidate: one row per site, ``filter`` is ``PASS`` or ``;``-joined.

    ``pon``: panel-of-normals alleles (a set of (chrom, pos, ref, alt) or a table with those
    columns); ``orientation``: per-site ``f1r2_alt``/``f2r1_alt`` counts (:mod:`orientation`);
    ``purity`` and ``germline_evidence`` (population AFs, copy-number segments) serve the
    tumor-only germline test.
    """
    t = c.table
    key = ["chrom", "pos", "ref", "alt"]
    depth = c.t_ref + c.t_alt
    vaf = np.where(depth > 0, c.t_alt / np.maximum(depth, 1), 0.0)
    err = _error_rate(c.t_alt, c.t_alt_qsum)
    zero = np.zeros_like(vaf)
    tlod = log10_binom_lik(c.t_alt, c.t_ref, vaf, err) - log10_binom_lik(
        c.t_alt, c.t_ref, zero, err
    )
    n_depth = c.n_ref + c.n_alt
    n_err = np.full_like(err, 1e-3)
    nlod = log10_binom_lik(c.n_alt, c.n_ref, zero, n_err) - log10_binom_lik(
        c.n_alt, c.n_ref, np.full_like(vaf, 0.5), n_err
    )
    mean_bq = np.where(c.t_alt > 0, c.t_alt_qsum / np.maximum(c.t_alt, 1), 0.0)
    is_indel = t["is_indel"].to_numpy(dtype=bool)
    chrom, pos = t["chrom"], t["pos"].to_numpy(dtype=np.int64)
    evidence = (tlod >= params.min_tlod) & (c.t_alt >= params.min_alt_count)

    art_post = np.zeros_like(vaf)
    f1r2 = np.zeros_like(vaf)
    f2r1 = np.zeros_like(vaf)
    if orientation is not None and len(orientation) and len(t):
        merged = t[key].merge(orientation, on=key, how="left")
        f1r2 = merged["f1r2_alt"].fillna(0).to_numpy(dtype=float)
        f2r1 = merged["f2r1_alt"].fillna(0).to_numpy(dtype=float)
        art_post = orientation_artifacts(t, f1r2, f2r1, c.t_alt, depth)

    if isinstance(pon, pd.DataFrame):
        pon_hit = _in_table(t, pon)
    elif pon:
        pon_hit = _in_table(t, pd.DataFrame(list(pon), columns=key))
    else:
        pon_hit = np.zeros(len(t), dtype=bool)

    if c.paired:
        low_depth = (depth < params.min_depth) | (n_depth < params.min_normal_depth)
    else:
        low_depth = depth < params.min_depth

    # damage artifacts are not events: an FFPE sample has one every few hundred bases
    evidence &= art_post <= params.max_artifact_posterior
    near_indel = (~is_indel) & (
        _neighbour_counts(chrom, pos, is_indel & evidence, params.indel_window) > 0
    )
    clustered = _neighbour_counts(chrom, pos, evidence, params.cluster_window) >= (
        params.max_cluster_events
    )
    checks = {
        "low_depth": low_depth,
        "low_alt_count": c.t_alt < params.min_alt_count,
        "weak_evidence": tlod < params.min_tlod,
        "strand_bias": _strand_p(c) < params.strand_bias_p,
        "low_base_quality": (~is_indel) & (mean_bq < params.min_alt_base_quality),
        "low_mapping_quality": t["mqbz"].to_numpy(dtype=float) < params.min_mqbz,
        "clustered_events": clustered,
        "near_indel": near_indel,
        "panel_of_normals": pon_hit,
        "orientation": art_post > params.max_artifact_posterior,
    }
    nan = np.full_like(vaf, np.nan)
    germline_lod, pop_af, total_cn, minor_cn = nan, nan, nan, nan
    if c.paired:
        germline = (nlod < params.min_nlod) | (
            (c.n_alt >= 2) & (c.n_alt > params.max_normal_alt_fraction * n_depth)
        )
    else:
        technical = ~np.logical_or.reduce(list(checks.values()))
        call = classify(
            c.t_alt,
            c.t_ref,
            err,
            chrom,
            pos,
            purity if purity and purity > 0 else params.tumor_only_purity,
            germline_evidence or GermlineEvidence(),
            technical,
        )
        germline_lod, pop_af = call.log10_odds, call.pop_af
        total_cn, minor_cn = call.total_cn, call.minor_cn
        germline = germline_lod > params.min_germline_lod
    checks = {**checks, "germline": germline}
    checks = {name: checks[name] for name in FILTERS}
    scores = pd.DataFrame(
        {
            "filter": filter_labels(checks),
            "tlod": np.round(tlod, 3),
            "nlod": np.round(nlod, 3) if c.paired else np.full_like(vaf, np.nan),
            "germline_lod": np.round(germline_lod, 3),
            "pop_af": pop_af,
            "total_cn": total_cn,
            "minor_cn": np.round(minor_cn, 2),
            "artifact_posterior": np.round(art_post, 4),
            "t_ref": c.t_ref,
            "t_alt": c.t_alt,
            "t_depth": depth,
            "n_ref": c.n_ref,
            "n_alt": c.n_alt,
            "n_depth": n_depth,
            "vaf": np.round(vaf, 4),
            "f1r2_alt": f1r2,
            "f2r1_alt": f2r1,
            "is_indel": is_indel,
        }
    )
    return pd.concat([t[key].reset_index(drop=True), scores], axis=1)


def genome_chunks(
    contigs: dict[str, int], n: int, targets: pd.DataFrame | None = None, pad: int = TARGET_PAD
) -> list[pd.DataFrame]:
    """Split the genome (or the padded capture targets) into ``n`` BED tables of equal size.

    The candidate pileup is one single-threaded ``bcftools mpileup``; chunks let it run on
    as many cores as there are. Chunks follow the contig order, so their outputs concatenate
    into a sorted file. Intervals are 0-based half-open.
    """
    if n < 1:
        raise InputError("the number of genome chunks must be at least 1")
    if targets is not None and len(targets):
        lengths = pd.Series(contigs)
        t = targets[targets["chrom"].isin(lengths.index)].copy()
        t["start"] = np.maximum(t["start"].to_numpy() - pad, 0)
        t["end"] = np.minimum(t["end"].to_numpy() + pad, lengths.loc[t["chrom"]].to_numpy())
        order = {c: i for i, c in enumerate(contigs)}
        t = t.assign(_o=t["chrom"].map(order)).sort_values(["_o", "start"])
        # merge overlaps per contig (targets are few enough for a cumulative-max merge)
        end_so_far = t.groupby("_o")["end"].cummax().shift(fill_value=-1)
        new_block = (t["start"] > end_so_far) | (t["_o"] != t["_o"].shift())
        t["block"] = new_block.cumsum()
        regions = t.groupby("block").agg(
            chrom=("chrom", "first"), start=("start", "min"), end=("end", "max")
        )
    else:
        regions = pd.DataFrame({"chrom": list(contigs), "start": 0, "end": list(contigs.values())})
    regions = regions[regions["end"] > regions["start"]].reset_index(drop=True)
    chrom = regions["chrom"].to_numpy(dtype=object)
    start = regions["start"].to_numpy(dtype=np.int64)
    end = regions["end"].to_numpy(dtype=np.int64)
    total = int((end - start).sum())
    n = max(1, min(n, total))
    cuts = (np.arange(1, n) * total) // n  # genome offsets where a new chunk begins
    offset = np.concatenate([[0], np.cumsum(end - start)])
    # split the intervals a cut falls inside, then give every piece its chunk number
    pieces_chrom, pieces_start, pieces_end = [], [], []
    for i in range(chrom.size):
        inside = cuts[(cuts > offset[i]) & (cuts < offset[i + 1])] - offset[i] + start[i]
        bounds = np.concatenate([[start[i]], inside, [end[i]]])
        pieces_chrom += [chrom[i]] * (bounds.size - 1)
        pieces_start.append(bounds[:-1])
        pieces_end.append(bounds[1:])
    pieces = pd.DataFrame(
        {
            "chrom": pieces_chrom,
            "start": np.concatenate(pieces_start),
            "end": np.concatenate(pieces_end),
        }
    )
    piece_offset = np.concatenate([[0], np.cumsum(pieces["end"] - pieces["start"])[:-1]])
    chunk = np.searchsorted(cuts, piece_offset, side="right")
    return [pieces[chunk == k].reset_index(drop=True) for k in range(n)]
