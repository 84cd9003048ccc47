"""Cohort copy-number summaries from CNVkit output: arm and gene calls, seg, CN48, summary.

CNVkit does the read-depth work (coverage, reference, segmentation, purity-adjusted ``call``);
this module turns its per-sample ``.call.cns`` (segments) and ``.cnr`` (bins, used to tell how
much territory was actually measured) into the cohort tables of the file contract. Wherever the
bins do not cover enough of an arm, a gene or the genome, the call is ``NA`` with a reason rather
than an interpolated guess.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.cnv.arms import ArmThresholds, arm_calls, arm_rows, overlap_weights, read_arms
from scce_genomics.cnv.cn48 import cn48_matrix, major_minor_from_cnvkit
from scce_genomics.errors import InputError
from scce_genomics.fileio import atomic_open, write_tsv

__all__ = [
    "DEFAULT_DRIVERS",
    "GeneThresholds",
    "SummaryConfig",
    "bin_territory",
    "fraction_genome_altered",
    "gene_calls",
    "read_cnvkit",
    "read_genes",
    "seg_table",
    "summarise_cohort",
    "write_purity_json",
]

DEFAULT_DRIVERS: tuple[str, ...] = (
    "CCND1", "SOX2", "MYC", "EGFR", "ERBB2", "CDKN2A", "RB1", "PTEN", "TP63", "PIK3CA",
    "FGFR1", "FHIT", "TP53", "NOTCH1", "ATM", "BRCA2", "KRAS", "MDM2", "CCNE1",
)  # fmt: skip

SEGMENT_COLUMNS = ("chromosome", "start", "end", "log2")


@dataclass(frozen=True)
class GeneThresholds:
    """Gene call cut-offs on log2 and on (purity-adjusted, rounded) absolute copy number."""

    by: str = "cn"  # "cn" or "log2"; cn falls back to log2 where CN is missing
    amp_log2: float = 1.0
    gain_log2: float = 0.3
    loss_log2: float = -0.3
    deep_del_log2: float = -1.1
    amp_min_cn: float = 5.0
    gain_min_cn: float = 3.0
    loss_max_cn: float = 1.0
    deep_del_max_cn: float = 0.0
    max_bin_distance: int = 50_000  # nearest measured bin to the gene, else NA


@dataclass(frozen=True)
class SummaryConfig:
    """Everything ``summarise_cohort`` needs besides the files."""

    arms: ArmThresholds = field(default_factory=ArmThresholds)
    genes: GeneThresholds = field(default_factory=GeneThresholds)
    drivers: tuple[str, ...] = DEFAULT_DRIVERS
    fga_log2: float = 0.2  # |log2| above which a segment counts as altered
    min_genome_fraction: float = 0.5  # of the arms' territory measured by bins, else NA


def read_cnvkit(path: str | Path) -> pd.DataFrame:
    """Read a CNVkit .cnr/.cns/.call.cns table (empty tables allowed)."""
    try:
        df = pd.read_csv(path, sep="\t", dtype={"chromosome": str})
    except (OSError, pd.errors.ParserError) as err:
        raise InputError(f"cannot read CNVkit table: {err}", path) from None
    except pd.errors.EmptyDataError:
        df = pd.DataFrame(columns=list(SEGMENT_COLUMNS))
    missing = [c for c in SEGMENT_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"not a CNVkit table: lacks columns {missing}", path)
    if df.empty:  # a header-only table (no bins left after cnvkit fix) reads as text columns
        df = df.astype({"start": np.int64, "end": np.int64, "log2": np.float64})
    return df


def read_genes(path: str | Path, names: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """Gene features of a GFF3 whose ``Name=`` is in ``names`` (0-based half-open)."""
    try:
        gff = pd.read_csv(
            path, sep="\t", comment="#", header=None, usecols=[0, 2, 3, 4, 8], dtype=str
        )
    except (OSError, pd.errors.ParserError) as err:
        raise InputError(f"cannot read GFF3: {err}", path) from None
    except pd.errors.EmptyDataError:
        return pd.DataFrame(columns=["gene", "chrom", "start", "end"])
    gff.columns = ["chrom", "type", "start", "end", "attr"]
    gff = gff[gff["type"] == "gene"]
    name = gff["attr"].str.extract(r"(?:^|;)Name=([^;]+)", expand=False)
    genes = pd.DataFrame(
        {
            "gene": name,
            "chrom": gff["chrom"],
            "start": pd.to_numeric(gff["start"]) - 1,
            "end": pd.to_numeric(gff["end"]),
        }
    )
    wanted = set(names)
    genes = genes[genes["gene"].isin(wanted)].drop_duplicates("gene")
    return genes.reset_index(drop=True)


def bin_territory(bins: pd.DataFrame, chrom: str, start: int, end: int) -> float:
    """Base pairs of [start, end) measured by bins (bins with finite log2)."""
    b = bins[(bins["chromosome"].astype(str) == chrom) & np.isfinite(bins["log2"])]
    return float(
        overlap_weights(
            b["start"].to_numpy(np.int64), b["end"].to_numpy(np.int64), start, end
        ).sum()
    )


def _gene_call(log2: float, cn: float, t: GeneThresholds) -> str:
    if t.by == "cn" and math.isfinite(cn):
        c = round(cn)
        if c <= t.deep_del_max_cn:
            return "deep_del"
        if c <= t.loss_max_cn:
            return "loss"
        if c >= t.amp_min_cn:
            return "amp"
        if c >= t.gain_min_cn:
            return "gain"
        return "neutral"
    if not math.isfinite(log2):
        return "NA"
    if log2 <= t.deep_del_log2:
        return "deep_del"
    if log2 <= t.loss_log2:
        return "loss"
    if log2 >= t.amp_log2:
        return "amp"
    if log2 >= t.gain_log2:
        return "gain"
    return "neutral"


def gene_calls(
    segments: pd.DataFrame,
    bins: pd.DataFrame | None,
    genes: pd.DataFrame,
    sample: str,
    thresholds: GeneThresholds | None = None,
) -> pd.DataFrame:
    """One row per gene: overlap-weighted log2 and copy number of the segments over it."""
    t = thresholds or GeneThresholds()
    rows = []
    for name, chrom, g_start, g_end in zip(
        genes["gene"].astype(str).tolist(),
        genes["chrom"].astype(str).tolist(),
        genes["start"].astype(np.int64).tolist(),
        genes["end"].astype(np.int64).tolist(),
        strict=True,
    ):
        seg = segments[segments["chromosome"].astype(str) == chrom]
        w = overlap_weights(
            seg["start"].to_numpy(np.int64), seg["end"].to_numpy(np.int64), g_start, g_end
        )
        log2 = cn = math.nan
        reason = ""
        near = (
            bin_territory(bins, chrom, g_start - t.max_bin_distance, g_end + t.max_bin_distance)
            if bins is not None
            else 1.0
        )
        if w.sum() == 0:
            reason = "no segment over the gene"
        elif near == 0:
            reason = f"no measured bin within {t.max_bin_distance} bp"
        else:
            log2 = float(np.average(seg["log2"].to_numpy(np.float64), weights=w))
            if "cn" in seg.columns:
                c = seg["cn"].to_numpy(np.float64)
                ok = np.isfinite(c) & (w > 0)
                if ok.any():
                    cn = float(np.average(c[ok], weights=w[ok]))
        call = "NA" if reason else _gene_call(log2, cn, t)
        rows.append(
            {
                "sample": sample,
                "gene": name,
                "chrom": chrom,
                "start": int(g_start),
                "end": int(g_end),
                "log2": log2,
                "cn": cn,
                "call": call,
                "reason": reason,
            }
        )
    return pd.DataFrame(
        rows,
        columns=["sample", "gene", "chrom", "start", "end", "log2", "cn", "call", "reason"],
    )


def fraction_genome_altered(segments: pd.DataFrame, log2_threshold: float) -> float:
    """Share of the segmented length in segments with |log2| above the threshold."""
    length = (segments["end"] - segments["start"]).to_numpy(np.float64)
    if length.sum() <= 0:
        return math.nan
    altered = np.abs(segments["log2"].to_numpy(np.float64)) > log2_threshold
    return float(length[altered].sum() / length.sum())


def seg_table(segments: pd.DataFrame, sample: str) -> pd.DataFrame:
    """IGV/GISTIC seg rows (1-based start) of one sample."""
    marks = segments["probes"] if "probes" in segments.columns else pd.Series(np.nan)
    return pd.DataFrame(
        {
            "ID": sample,
            "chrom": segments["chromosome"].astype(str),
            "loc.start": segments["start"].astype(np.int64) + 1,
            "loc.end": segments["end"].astype(np.int64),
            "num.mark": marks.to_numpy() if len(marks) == len(segments) else np.nan,
            "seg.mean": segments["log2"].round(4),
        }
    )


def _read_purity(path: str | Path | None) -> dict[str, object]:
    if not path:
        return {}
    try:
        with open(path) as handle:
            data: dict[str, object] = json.load(handle)
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(f"cannot read purity JSON: {err}", path) from None
    return data


def _num(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _sample_name(path: str | Path) -> str:
    return re.sub(r"(\.call)?\.cns$", "", Path(path).name)


def summarise_cohort(
    calls: list[str],
    arms_path: str,
    gff3: str,
    out: dict[str, str],
    bins: list[str] | None = None,
    purities: list[str] | None = None,
    config: SummaryConfig | None = None,
) -> dict[str, pd.DataFrame]:
    """Write arm/gene calls, cohort seg, CN48 and the summary for the samples' call.cns files.

    ``bins`` and ``purities`` (JSON from ``cnv-purity``) are matched to ``calls`` by position.
    ``out`` maps arms, genes, seg, cn48, summary to output paths.
    """
    cfg = config or SummaryConfig()
    arms = read_arms(arms_path)
    genes = read_genes(gff3, cfg.drivers)
    bins = bins or []
    purities = purities or []
    if bins and len(bins) != len(calls):
        raise InputError("give one --cnr per --cns, in the same order")
    if purities and len(purities) != len(calls):
        raise InputError("give one --purity per --cns, in the same order")
    arm_tables, gene_tables, segs, cn_rows, summary = [], [], [], [], []
    territory = float((arms["end"] - arms["start"]).sum())
    for k, path in enumerate(calls):
        sample = _sample_name(path)
        seg = read_cnvkit(path)
        cnr = read_cnvkit(bins[k]) if bins else None
        pur = _read_purity(purities[k] if purities else None)
        sample = str(pur.get("sample", sample))
        measured = (
            sum(bin_territory(cnr, c, lo, hi) for c, _, lo, hi in arm_rows(arms))
            if cnr is not None
            else territory
        )
        enough = territory > 0 and measured >= cfg.min_genome_fraction * territory
        ploidy = _num(pur.get("ploidy"))
        if "cn" in seg.columns and len(seg):
            length = (seg["end"] - seg["start"]).to_numpy(np.float64)
            cnv = seg["cn"].to_numpy(np.float64)
            ok = np.isfinite(cnv)
            if ok.any() and length[ok].sum() > 0:
                ploidy = float(np.average(cnv[ok], weights=length[ok]))
        a = arm_calls(seg, arms, sample, cfg.arms, ploidy if math.isfinite(ploidy) else 2.0)
        if cnr is not None:
            for i, (c, _, lo, hi) in enumerate(arm_rows(arms)):
                frac = bin_territory(cnr, c, lo, hi) / (hi - lo)
                a.loc[i, "covered_fraction"] = frac
                if frac < cfg.arms.min_covered_fraction:
                    a.loc[i, ["log2", "cn"]] = math.nan
                    a.loc[i, "call"] = "NA"
                    a.loc[i, "reason"] = f"bins cover {frac:.0%} of the arm"
        arm_tables.append(a)
        gene_tables.append(gene_calls(seg, cnr, genes, sample, cfg.genes))
        segs.append(seg_table(seg, sample))
        mm = major_minor_from_cnvkit(seg) if len(seg) else pd.DataFrame()
        if len(seg):
            cn_rows.append(
                pd.DataFrame(
                    {
                        "sample": sample,
                        "start": seg["start"].to_numpy(),
                        "end": seg["end"].to_numpy(),
                        "major": mm["major"].to_numpy(),
                        "minor": mm["minor"].to_numpy(),
                    }
                )
            )
        reason = "" if enough else f"bins measure {measured / max(territory, 1):.0%} of the arms"
        summary.append(
            {
                "sample": sample,
                "purity": _num(pur.get("purity")),
                "purity_source": pur.get("source", "NA"),
                "ploidy": round(ploidy, 3) if enough and math.isfinite(ploidy) else math.nan,
                "fraction_genome_altered": (
                    round(fraction_genome_altered(seg, cfg.fga_log2), 4) if enough else math.nan
                ),
                "allele_specific": bool(len(seg) and mm["allele_specific"].any()),
                "measured_bp": int(measured),
                "reason": reason,
            }
        )
    samples = [str(s["sample"]) for s in summary]
    tables = {
        "arms": pd.concat(arm_tables, ignore_index=True) if arm_tables else pd.DataFrame(),
        "genes": pd.concat(gene_tables, ignore_index=True) if gene_tables else pd.DataFrame(),
        "seg": pd.concat(segs, ignore_index=True) if segs else pd.DataFrame(),
        "cn48": cn48_matrix(
            pd.concat(cn_rows, ignore_index=True)
            if cn_rows
            else pd.DataFrame(columns=["sample", "start", "end", "major", "minor"]),
            samples,
        ),
        "summary": pd.DataFrame(summary),
    }
    for key, df in tables.items():
        if out.get(key):
            write_tsv(df.round(4) if key != "cn48" else df, out[key])
    return tables


def write_purity_json(path: str, payload: dict[str, object]) -> None:
    """Purity/ploidy fit as JSON (NaN written as null)."""
    clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in payload.items()}
    with atomic_open(path) as handle:
        json.dump(clean, handle, indent=2)
        handle.write("\n")
