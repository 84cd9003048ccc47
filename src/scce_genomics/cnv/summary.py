"""Cohort copy-number summaries from CNVkit output: arm and gene calls, seg, CN48, summary.

CNVkit does the read-depth work (coverage, reference, segmentation, purity-adjusted ``call``);
this module turns its per-sample ``.call.cns`` (segments) and ``.cnr`` (bins, used to tell how
much territory was actually measured) into the cohort tables of the file contract. Wherever the
bins do not cover enough of an arm, a gene or the genome, the call is ``NA`` with a reason rather
than an interpolated guess.

Sex chromosomes are read against the sample's sex (``cnv.sex``): X arms are called on the log2
ratio relative to an unchanged X of that sex and reference, Y goes to its own table, and ploidy,
the fraction of genome altered, CN48 and the HRD score cover the autosomes only (X has its own
columns in the summary).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.cnv.alleles import ALLELE_COLUMNS, allele_segments
from scce_genomics.cnv.arms import ArmThresholds, arm_calls, arm_rows, overlap_weights, read_arms
from scce_genomics.cnv.cn48 import cn48_matrix
from scce_genomics.cnv.hrd import HRD_COLUMNS, HrdSettings, hrd_scores
from scce_genomics.cnv.sex import SexCall, autosomes, is_x, is_y, read_sex_call
from scce_genomics.errors import InputError
from scce_genomics.fileio import atomic_open, open_text, write_tsv

__all__ = [
    "DEFAULT_DRIVERS",
    "GeneThresholds",
    "SummaryConfig",
    "bin_territory",
    "check_segments",
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
    hrd: HrdSettings = field(default_factory=HrdSettings)


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
    return df


def check_segments(seg: pd.DataFrame, sample: str, path: str | Path) -> None:
    """Refuse segments with end <= start or overlapping another segment of the sample."""
    start = pd.to_numeric(seg["start"], errors="coerce")
    end = pd.to_numeric(seg["end"], errors="coerce")
    bad = seg.index[~(end > start)]
    if len(bad):
        r = seg.loc[bad[0]]
        raise InputError(
            f"segment {r['chromosome']}:{r['start']}-{r['end']} of {sample} has end <= start",
            path,
            int(bad[0]) + 2,
        )
    order = seg.assign(_s=start, _e=end).sort_values(["chromosome", "_s"])
    prev_end = order.groupby("chromosome")["_e"].shift()
    clash = order.index[(order["_s"] < prev_end).to_numpy()]
    if len(clash):
        r = order.loc[clash[0]]
        before = order[(order["chromosome"] == r["chromosome"]) & (order["_e"] > r["_s"])]
        other = before[before["_s"] < r["_s"]].iloc[-1]
        raise InputError(
            f"segments of {sample} overlap: {r['chromosome']}:{int(other['_s'])}-"
            f"{int(other['_e'])} and {r['chromosome']}:{int(r['_s'])}-{int(r['_e'])}",
            path,
        )


def read_genes(path: str | Path, names: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """Genes named in ``names`` (0-based half-open) from a GFF3 (``Name=``) or a gene BED.

    A BED (``.bed``/``.bed.gz``, e.g. the shipped resources/genome/genes_GRCh38.bed.gz) has
    chrom, start, end and the gene symbol in its fourth column.
    """
    wanted = set(names)
    empty = pd.DataFrame(columns=["gene", "chrom", "start", "end"])
    if re.search(r"\.bed(\.gz)?$", str(path)):
        try:
            with open_text(path) as handle:
                bed = pd.read_csv(
                    handle, sep="\t", comment="#", header=None, usecols=[0, 1, 2, 3], dtype=str
                )
        except (OSError, EOFError, pd.errors.ParserError, ValueError) as err:
            raise InputError(
                f"cannot read gene BED (chrom, start, end, name): {err}", path
            ) from None
        except pd.errors.EmptyDataError:
            return empty
        genes = pd.DataFrame(
            {
                "gene": bed[3],
                "chrom": bed[0],
                "start": pd.to_numeric(bed[1], errors="coerce"),
                "end": pd.to_numeric(bed[2], errors="coerce"),
            }
        )
        if genes[["start", "end"]].isna().any().any():
            raise InputError("gene BED with non-numeric start or end", path)
    else:
        try:
            gff = pd.read_csv(
                path, sep="\t", comment="#", header=None, usecols=[0, 2, 3, 4, 8], dtype=str
            )
        except (OSError, pd.errors.ParserError, ValueError) as err:
            raise InputError(f"cannot read GFF3: {err}", path) from None
        except pd.errors.EmptyDataError:
            return empty
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
    genes = genes[genes["gene"].isin(wanted)].drop_duplicates("gene")
    genes = genes.astype({"start": np.int64, "end": np.int64})
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


SEX_COLUMNS = (
    "sample", "chrom", "sex", "sex_source", "reference_sex", "expected_cn", "expected_log2",
    "log2", "log2_relative", "cn", "call", "covered_bp", "reason",
)  # fmt: skip


def _weighted(seg: pd.DataFrame, column: str) -> float:
    """Length-weighted mean of a column over segments with a finite value."""
    if column not in seg.columns or not len(seg):
        return math.nan
    v = pd.to_numeric(seg[column], errors="coerce").to_numpy(np.float64)
    w = (seg["end"] - seg["start"]).to_numpy(np.float64)
    ok = np.isfinite(v) & (w > 0)
    return float(np.average(v[ok], weights=w[ok])) if ok.any() else math.nan


def sex_arm_calls(
    seg: pd.DataFrame, arms: pd.DataFrame, sample: str, sex: SexCall | None,
    thresholds: ArmThresholds, ploidy: float,
) -> pd.DataFrame:  # fmt: skip
    """X-arm calls against the sex's expected X (NA with the reason when the sex is unknown)."""
    x_arms = arms.loc[arms["chrom"].astype(str).map(is_x).astype(bool)]
    if x_arms.empty:
        return pd.DataFrame()
    if sex is None or not sex.known:
        why = sex.reason if sex is not None else "no sex given"
        a = arm_calls(seg.iloc[0:0], x_arms, sample, thresholds, ploidy)
        a["reason"] = f"sample sex unknown: {why}"
        a["expected_cn"] = math.nan
        a["expected_log2"] = math.nan
        return a
    shifted = seg.assign(log2=seg["log2"] - sex.expected_log2_x)
    expected = sex.expected_cn_x * ploidy / 2
    a = arm_calls(shifted, x_arms, sample, thresholds, expected)
    a["expected_cn"] = sex.expected_cn_x
    a["expected_log2"] = round(sex.expected_log2_x, 4)
    return a


def sex_chromosome_rows(
    seg: pd.DataFrame, sample: str, sex: SexCall | None, thresholds: ArmThresholds
) -> list[dict[str, object]]:
    """One row for X and one for Y: mean ratio and copy number against what the sex expects."""
    rows = []
    for name, pick in (("X", is_x), ("Y", is_y)):
        part = seg.loc[seg["chromosome"].astype(str).map(pick).astype(bool)]
        if part.empty:
            continue
        chrom = str(part["chromosome"].iloc[0])
        log2, cn = _weighted(part, "log2"), _weighted(part, "cn")
        row: dict[str, object] = {
            "sample": sample, "chrom": chrom, "sex": sex.sex if sex else "NA",
            "sex_source": sex.source if sex else "NA",
            "reference_sex": sex.reference_sex if sex else "NA",
            "expected_cn": math.nan, "expected_log2": math.nan, "log2": log2,
            "log2_relative": math.nan, "cn": cn, "call": "NA",
            "covered_bp": int((part["end"] - part["start"]).sum()), "reason": "",
        }  # fmt: skip
        if sex is None or not sex.known:
            row["reason"] = f"sample sex unknown: {sex.reason if sex else 'no sex given'}"
        elif name == "X":
            rel = log2 - sex.expected_log2_x
            row.update(
                expected_cn=sex.expected_cn_x, expected_log2=sex.expected_log2_x, log2_relative=rel
            )
            row["call"] = (
                "gain" if rel > thresholds.log2 else "loss" if rel < -thresholds.log2 else "neutral"
            )
        elif sex.sex == "female":
            row.update(expected_cn=0.0, call="not expected", reason="a female has no Y")
        else:
            # CNVkit's reference holds one Y copy whatever its sex: an intact male Y reads 0
            row.update(expected_cn=1.0, expected_log2=0.0, log2_relative=log2)
            row["call"] = "loss" if (math.isfinite(cn) and cn < 0.5) or log2 < -1 else "present"
        rows.append(row)
    return rows


def _sample_inputs(
    calls: list[str], purities: list[str], sexes: list[str], alleles: list[str], bins: list[str]
) -> list[str]:
    """Sample names of the inputs, refusing mismatched list lengths and repeated names."""
    for name, extra in (("--cnr", bins), ("--purity", purities), ("--sex", sexes),
                        ("--alleles", alleles)):  # fmt: skip
        if extra and len(extra) != len(calls):
            raise InputError(f"give one {name} per --cns, in the same order")
    names: list[str] = []
    seen: dict[str, str] = {}
    for k, path in enumerate(calls):
        pur = _read_purity(purities[k] if purities else None)
        name = str(pur.get("sample", _sample_name(path)))
        if name in seen:
            raise InputError(
                f"two inputs name sample {name}: {seen[name]} and {path}; give each sample once"
            )
        seen[name] = path
        names.append(name)
    return names


def summarise_cohort(
    calls: list[str],
    arms_path: str,
    genes_path: str,
    out: dict[str, str],
    bins: list[str] | None = None,
    purities: list[str] | None = None,
    config: SummaryConfig | None = None,
    sexes: list[str] | None = None,
    alleles: list[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Write arm/gene calls, cohort seg, CN48, sex chromosomes, HRD and the summary.

    ``bins``, ``purities`` (``cnv-purity`` JSON), ``sexes`` (``cnv-sex`` JSON) and ``alleles``
    (``cnv-alleles`` TSV) are matched to ``calls`` by position. ``out`` maps arms, genes, seg,
    cn48, summary, sex and hrd to output paths (missing keys are not written).
    """
    cfg = config or SummaryConfig()
    arms = read_arms(arms_path)
    genes = read_genes(genes_path, cfg.drivers)
    bins, purities = bins or [], purities or []
    sexes, alleles = sexes or [], alleles or []
    names = _sample_inputs(calls, purities, sexes, alleles, bins)
    auto_arms = autosomes(arms, "chrom").reset_index(drop=True)
    x_arms = arms.loc[arms["chrom"].astype(str).map(is_x).astype(bool)]
    arm_tables, gene_tables, segs, cn_rows, summary = [], [], [], [], []
    sex_rows: list[dict[str, object]] = []
    hrd_rows: list[dict[str, object]] = []
    no_cn48: list[str] = []
    territory = float((auto_arms["end"] - auto_arms["start"]).sum())
    for k, path in enumerate(calls):
        sample = names[k]
        seg = read_cnvkit(path)
        check_segments(seg, sample, path)
        cnr = read_cnvkit(bins[k]) if bins else None
        pur = _read_purity(purities[k] if purities else None)
        sex = read_sex_call(sexes[k]) if sexes else None
        has_cn = "cn" in seg.columns
        chrom = seg["chromosome"].astype(str)
        auto = autosomes(seg)
        measured = (
            sum(bin_territory(cnr, c, lo, hi) for c, _, lo, hi in arm_rows(auto_arms))
            if cnr is not None
            else territory
        )
        enough = territory > 0 and measured >= cfg.min_genome_fraction * territory
        ploidy = _num(pur.get("ploidy"))
        if has_cn and len(auto):
            fitted = _weighted(auto, "cn")
            ploidy = fitted if math.isfinite(fitted) else ploidy
        arm_ploidy = ploidy if math.isfinite(ploidy) else 2.0
        a = arm_calls(auto, auto_arms, sample, cfg.arms, arm_ploidy)
        a["expected_cn"], a["expected_log2"] = 2.0, 0.0
        x = sex_arm_calls(seg, x_arms, sample, sex, cfg.arms, arm_ploidy)
        a = pd.concat([a, x], ignore_index=True) if len(x) else a
        if cnr is not None:
            for i, row in a.iterrows():
                lo, hi = arms.set_index(["chrom", "arm"]).loc[(row["chrom"], row["arm"])][
                    ["start", "end"]
                ]
                frac = bin_territory(cnr, str(row["chrom"]), int(lo), int(hi)) / (hi - lo)
                a.loc[i, "covered_fraction"] = frac
                if frac < cfg.arms.min_covered_fraction:
                    a.loc[i, ["log2", "cn"]] = math.nan
                    a.loc[i, "call"] = "NA"
                    a.loc[i, "reason"] = f"bins cover {frac:.0%} of the arm"
        arm_tables.append(a)
        gene_tables.append(gene_calls(seg, cnr, genes, sample, cfg.genes))
        segs.append(seg_table(seg, sample))
        sex_rows += sex_chromosome_rows(seg, sample, sex, cfg.arms)
        if alleles:
            allele = pd.read_csv(alleles[k], sep="\t", dtype={"chromosome": str})
            lacking = [c for c in ALLELE_COLUMNS if c not in allele.columns]
            if lacking:
                raise InputError(f"not a cnv-alleles table: lacks {lacking}", alleles[k])
        elif has_cn:
            allele = allele_segments(seg, None, _num(pur.get("purity")))
        else:
            allele = pd.DataFrame(columns=list(ALLELE_COLUMNS))
        allele = autosomes(allele)
        known = allele["major"].notna() & allele["minor"].notna()
        cn48_reason = ""
        if not has_cn:
            cn48_reason = "segments have no cn column (not from cnvkit.py call)"
        elif not known.any():
            cn48_reason = "no segment with allele-specific copy number"
        if cn48_reason:
            no_cn48.append(sample)
        else:
            cn_rows.append(
                pd.DataFrame(
                    {
                        "sample": sample,
                        "start": allele.loc[known, "start"].to_numpy(),
                        "end": allele.loc[known, "end"].to_numpy(),
                        "major": allele.loc[known, "major"].to_numpy(),
                        "minor": allele.loc[known, "minor"].to_numpy(),
                    }
                )
            )
        hrd = hrd_scores(allele, arms, sample, cfg.hrd)
        if not has_cn:
            hrd["reason"] = cn48_reason
        hrd_rows.append(hrd)
        x_seg = seg.loc[chrom.map(is_x).astype(bool)]
        x_altered = math.nan
        if sex is not None and sex.known and len(x_seg):
            x_altered = fraction_genome_altered(
                x_seg.assign(log2=x_seg["log2"] - sex.expected_log2_x), cfg.fga_log2
            )
        reason = "" if enough else f"bins measure {measured / max(territory, 1):.0%} of the arms"
        if not has_cn:
            reason = "; ".join(r for r in (reason, "no cn column: ploidy not computed") if r)
        summary.append(
            {
                "sample": sample,
                "purity": _num(pur.get("purity")),
                "purity_source": pur.get("source", "NA"),
                "ploidy": round(ploidy, 3)
                if enough and has_cn and math.isfinite(ploidy)
                else math.nan,
                "fraction_genome_altered": (
                    round(fraction_genome_altered(auto, cfg.fga_log2), 4) if enough else math.nan
                ),
                "allele_specific": bool(known.any()),
                "allele_specific_fraction": hrd["allele_specific_fraction"],
                "measured_bp": int(measured),
                "reason": reason,
                "sex": sex.sex if sex else "NA",
                "sex_source": sex.source if sex else "NA",
                "reference_sex": sex.reference_sex if sex else "NA",
                "x_expected_cn": sex.expected_cn_x if sex else math.nan,
                "x_cn": round(_weighted(x_seg, "cn"), 3) if has_cn else math.nan,
                "fraction_x_altered": round(x_altered, 4) if math.isfinite(x_altered) else math.nan,
                "cn48_segments": int(known.sum()),
                "cn48_total_only_segments": int((~known).sum()),
                "cn48_reason": cn48_reason,
            }
        )
    tables = {
        "arms": pd.concat(arm_tables, ignore_index=True) if arm_tables else pd.DataFrame(),
        "genes": pd.concat(gene_tables, ignore_index=True) if gene_tables else pd.DataFrame(),
        "seg": pd.concat(segs, ignore_index=True) if segs else pd.DataFrame(),
        "cn48": cn48_matrix(
            pd.concat(cn_rows, ignore_index=True)
            if cn_rows
            else pd.DataFrame(columns=["sample", "start", "end", "major", "minor"]),
            names,
            tuple(no_cn48),
        ),
        "summary": pd.DataFrame(summary),
        "sex": pd.DataFrame(sex_rows, columns=list(SEX_COLUMNS)),
        "hrd": pd.DataFrame(hrd_rows, columns=list(HRD_COLUMNS)),
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
