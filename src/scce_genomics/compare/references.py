"""Reference cohort profiles (ESCC, EAC, SBS contrasts) and the builder that makes them.

A profile is a folder of small TSVs plus ``profile.yaml`` (format: resources/references/README.md)
holding per-sample data where the sources have them (SBS96 catalogues, signature attributions,
mutated genes, arm and focal copy-number calls) and aggregate frequencies where they do not
(EAC arms). Keeping per-sample data lets the comparison resample references at the cohort's own
size and mutation counts instead of judging a 40-mutation biopsy against a pooled profile.

The same :class:`CohortData` holds a user cohort read from the workflow's contract files, so a
second cohort can stand in for a reference (cohort-versus-cohort mode).

Spectra from different assays (exome vs genome, or a synthetic genome) differ by trinucleotide
abundance; :func:`opportunity_weights` converts them before any comparison.
"""

from __future__ import annotations

import gzip
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from scce_genomics.cosmic import SBS96_CHANNELS
from scce_genomics.errors import InputError
from scce_genomics.fileio import atomic_open, write_tsv
from scce_genomics.somatic.maf import NON_SILENT

__all__ = [
    "ARM_CALLS",
    "DEFAULT_THRESHOLDS",
    "FAMILY_KEYS",
    "FOCAL_CALLS",
    "FOCAL_GENES",
    "NON_SILENT",
    "OPPORTUNITY_KEYS",
    "CohortData",
    "arm_frequencies",
    "build_reference",
    "calls_from_segments",
    "count_trinucleotides",
    "focal_frequencies",
    "gene_frequencies",
    "load_reference",
    "opportunity",
    "opportunity_weights",
    "patient_id",
    "read_arms",
    "read_gene_spans",
    "read_maf_mutations",
    "read_sbs96",
    "resources_dir",
    "subset_cohort",
    "write_reference",
]


#: Focal genes tracked in every profile (amplified oncogenes and deleted suppressors of ESCC,
#: EAC and SCLC); the same 29 genes as the source's focal table.
FOCAL_GENES: tuple[str, ...] = (
    "CCND1", "SOX2", "TP63", "PIK3CA", "EGFR", "MYC", "FGFR1", "ERBB2", "KRAS", "MDM2",
    "CDK6", "CDK4", "TERT", "YAP1", "BIRC2", "CDKN2A", "CDKN2B", "PTEN", "RB1", "SMAD4",
    "LRP1B", "FHIT", "WWOX", "PTPRD", "CSMD1", "PDE4D", "MYCL", "MYCN", "NKX2-1",
)  # fmt: skip

ARM_CALLS = ("gain", "loss", "neutral")
FOCAL_CALLS = ("amp", "gain", "neutral", "loss", "deep_del")

#: log2-ratio cut-offs of the source's derivation (no purity/ploidy correction): arm gain/loss
#: at |mean log2| > 0.2; gene amp > 0.9, gain > 0.3, loss < -0.3, deep deletion < -1.0.
DEFAULT_THRESHOLDS: dict[str, float] = {
    "arm_log2": 0.2,
    "amp": 0.9,
    "gain": 0.3,
    "loss": -0.3,
    "deep_del": -1.0,
}

#: Per-patient data families of a profile (``per_sample`` and ``unavailable`` in profile.yaml).
FAMILY_KEYS = ("sbs96", "signatures", "genes", "arm_cnv", "focal_cnv")

OPPORTUNITY_KEYS = ("GRCh37_genome", "GRCh37_exome", "GRCh38_genome", "GRCh38_exome")
_TRINUC = tuple(a + m + b for a in "ACGT" for m in "CT" for b in "ACGT")
_COMP = str.maketrans("ACGT", "TGCA")


def resources_dir() -> Path:
    """The project's ``resources/`` folder (``SCCE_RESOURCES`` overrides it)."""
    env = os.environ.get("SCCE_RESOURCES")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "resources"


@dataclass
class CohortData:
    """One cohort (user cohort or reference), per sample where available.

    ``sbs96``: channels × samples counts in ``SBS96_CHANNELS`` order; ``exposures``: samples ×
    signatures (counts or fractions); ``mutated``: long (sample, gene) non-silent pairs with
    ``mutation_samples`` the full denominator (samples without mutations are absent from a MAF);
    ``arm_calls``/``focal_calls``: long (sample, arm|gene, log2, call); ``arm_freq``: aggregate
    (arm, n, n_gain, n_loss) when no per-sample calls exist; ``other_spectra``: ID83/DBS78
    count matrices (channels × samples) by name.
    """

    name: str
    sbs96: pd.DataFrame | None = None
    opportunity: pd.Series | None = None
    opportunity_label: str = "unknown"
    exposures: pd.DataFrame | None = None
    mutated: pd.DataFrame | None = None
    mutation_samples: list[str] | None = None
    arm_calls: pd.DataFrame | None = None
    focal_calls: pd.DataFrame | None = None
    arm_freq: pd.DataFrame | None = None
    other_spectra: dict[str, pd.DataFrame] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def samples(self) -> list[str]:
        """All sample names seen in any data family."""
        names: list[str] = []
        for part in (
            [] if self.sbs96 is None else list(self.sbs96.columns),
            [] if self.exposures is None else list(self.exposures.index),
            self.mutation_samples or [],
            [] if self.arm_calls is None else list(self.arm_calls["sample"].unique()),
            [] if self.focal_calls is None else list(self.focal_calls["sample"].unique()),
        ):
            names += [n for n in part if n not in names]
        return names


def patient_id(name: str) -> str:
    """Drop a ``PROJECT::`` prefix; TCGA barcodes become the 12-character patient id."""
    name = str(name).split("::")[-1]
    if re.match(r"^TCGA-[A-Z0-9]{2}-[A-Z0-9]{4}", name):
        return name[:12]
    return name


# ----------------------------------------------------------------------------- opportunity


def opportunity(spec: str | Path) -> pd.Series:
    """Trinucleotide counts (32 pyrimidine-centred contexts) for a build/assay key or a TSV.

    Keys: ``GRCh37_genome``, ``GRCh37_exome``, ``GRCh38_genome``, ``GRCh38_exome`` (tables from
    SigProfilerMatrixGenerator in resources/genome/trinucleotide_counts/); otherwise a TSV with
    columns ``context``, ``count`` such as ``scce-genomics reference trinucleotides`` writes.
    """
    spec = str(spec)
    if spec in OPPORTUNITY_KEYS:
        build, assay = spec.split("_")
        suffix = "_exome" if assay == "exome" else ""
        path = resources_dir() / "genome" / "trinucleotide_counts"
        path = path / f"context_counts_{build}_96{suffix}.csv"
        table = pd.read_csv(path, index_col=0)
        counts = table.sum(axis=1).astype(float)
    else:
        path = Path(spec)
        if not path.is_file():
            raise InputError(
                f"opportunity must be one of {', '.join(OPPORTUNITY_KEYS)} or a TSV "
                "(context, count); file not found",
                path,
            )
        table = pd.read_csv(path, sep="\t")
        if not {"context", "count"} <= set(table.columns):
            raise InputError("trinucleotide table needs columns context, count", path)
        counts = table.set_index("context")["count"].astype(float)
    missing = set(_TRINUC) - set(counts.index)
    if missing:
        raise InputError(f"trinucleotide table lacks {len(missing)} contexts", spec)
    counts = counts.loc[list(_TRINUC)]
    counts.name = spec
    return counts


def count_trinucleotides(fasta: str | Path, bed: str | Path | None = None) -> pd.Series:
    """Count pyrimidine-centred trinucleotides of a FASTA (optionally inside BED intervals).

    Used for custom (synthetic) genomes where no published table exists. Contexts with an N or
    a soft-masked base are counted (case is ignored); those with N are skipped.
    """
    fasta = Path(fasta)
    opener: Any = gzip.open if fasta.suffix == ".gz" else open
    seqs: dict[str, list[bytes]] = {}
    current: list[bytes] | None = None
    try:
        with opener(fasta, "rb") as handle:
            for line in handle:
                if line.startswith(b">"):
                    current = seqs.setdefault(line[1:].split()[0].decode(), [])
                elif current is not None:
                    current.append(line.strip())
    except OSError as err:
        raise InputError(f"cannot read FASTA ({err})", fasta) from None
    if not seqs:
        raise InputError("no sequence in FASTA", fasta)
    intervals: pd.DataFrame | None = None
    if bed:
        intervals = pd.read_csv(
            bed, sep="\t", header=None, usecols=[0, 1, 2], names=["chrom", "start", "end"],
            comment="#", dtype={"chrom": str},
        )  # fmt: skip
    lut = np.full(256, 4, dtype=np.int64)
    for i, base in enumerate(b"ACGT"):
        lut[base] = i
        lut[base + 32] = i  # lower case
    total = np.zeros(64, dtype=np.int64)
    for name, parts in seqs.items():
        codes = lut[np.frombuffer(b"".join(parts), dtype=np.uint8)]
        if codes.size < 3:
            continue
        a, m, b = codes[:-2], codes[1:-1], codes[2:]
        ok = (a < 4) & (m < 4) & (b < 4)
        if intervals is not None:
            # one slot past the end: a BED end equal to the contig length is valid
            mask = np.zeros(codes.size + 1, dtype=np.int64)
            rows = intervals[intervals["chrom"] == name]
            np.add.at(mask, np.clip(rows["start"].to_numpy(), 0, codes.size), 1)
            np.add.at(mask, np.clip(rows["end"].to_numpy(), 0, codes.size), -1)
            inside = np.cumsum(mask)[1 : codes.size - 1] > 0  # centre base of each window
            ok &= inside
        idx = 16 * a[ok] + 4 * m[ok] + b[ok]
        total += np.bincount(idx, minlength=64)
    names = ["ACGT"[i // 16] + "ACGT"[(i // 4) % 4] + "ACGT"[i % 4] for i in range(64)]
    counts = pd.Series(total, index=names, dtype=float)
    folded = pd.Series(0.0, index=list(_TRINUC))
    for ctx_name, value in counts.items():
        ctx = str(ctx_name)
        key = ctx if ctx[1] in "CT" else ctx.translate(_COMP)[::-1]
        folded[key] += value
    folded.name = str(fasta)
    return folded


def opportunity_weights(source: pd.Series | None, target: pd.Series | None) -> np.ndarray:
    """Per-SBS96-channel factors turning a spectrum of ``source`` abundance into ``target``'s.

    ``counts_target[c] ∝ counts_source[c] × target[tri(c)] / source[tri(c)]``; None on either side
    (unknown assay) means no conversion.
    """
    if source is None or target is None:
        return np.ones(len(SBS96_CHANNELS))
    src = source / source.sum()
    tgt = target / target.sum()
    tri = [ch[0] + ch[2] + ch[6] for ch in SBS96_CHANNELS]
    ratio = tgt.loc[tri].to_numpy() / np.maximum(src.loc[tri].to_numpy(), 1e-300)
    return np.asarray(ratio / ratio.mean(), dtype=float)


# ----------------------------------------------------------------------------- readers


def read_sbs96(path: str | Path) -> pd.DataFrame:
    """A SigProfiler-style matrix (``MutationType`` + one column per sample), SBS96 order."""
    try:
        table = pd.read_csv(path, sep="\t", index_col=0)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"cannot read SBS96 matrix ({err})", path) from None
    missing = set(SBS96_CHANNELS) - set(table.index.astype(str))
    if missing:
        raise InputError(
            f"not an SBS96 matrix: {len(missing)} of 96 channels missing (first column must be "
            "MutationType with labels like A[C>A]A)",
            path,
        )
    table = table.loc[list(SBS96_CHANNELS)].apply(pd.to_numeric, errors="coerce")
    if table.isna().to_numpy().any() or (table.to_numpy() < 0).any():
        raise InputError("SBS96 matrix has missing or negative counts", path)
    table.index.name = "MutationType"
    table.columns = [str(c) for c in table.columns]
    return table.astype(float)


def read_maf_mutations(
    path: str | Path, pass_only: bool = False, ids: bool = True
) -> tuple[pd.DataFrame, list[str]]:
    """Non-silent (sample, gene) pairs of a MAF, and every sample seen in it.

    ``ids`` maps barcodes to patient ids (:func:`patient_id`), counting each patient once.
    """
    need = ["Hugo_Symbol", "Variant_Classification", "Tumor_Sample_Barcode"]
    try:
        maf = pd.read_csv(path, sep="\t", comment="#", dtype=str, low_memory=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"cannot read MAF ({err})", path) from None
    missing = set(need) - set(maf.columns)
    if missing:
        raise InputError(f"MAF lacks column(s) {', '.join(sorted(missing))}", path)
    if pass_only and "FILTER" in maf.columns:
        maf = maf[maf["FILTER"].fillna("PASS").isin(["PASS", "."])]
    sample = maf["Tumor_Sample_Barcode"].map(patient_id) if ids else maf["Tumor_Sample_Barcode"]
    seen = list(dict.fromkeys(sample))
    keep = maf["Variant_Classification"].isin(NON_SILENT).to_numpy()
    pairs = pd.DataFrame({"sample": sample[keep], "gene": maf["Hugo_Symbol"][keep]})
    pairs = pairs.drop_duplicates().sort_values(["sample", "gene"]).reset_index(drop=True)
    return pairs, seen


def read_arms(build: str) -> pd.DataFrame:
    """Chromosome arms of a build (0-based half-open), without acrocentric p arms and chrY."""
    path = resources_dir() / "genome" / f"chromosome_arms_{build}.tsv"
    if not path.is_file():
        raise InputError(f"no arm table for build {build!r}; use GRCh37 or GRCh38", path)
    arms = pd.read_csv(path, sep="\t")
    acro = arms["acrocentric"].astype(str).str.upper() == "TRUE"
    keep = ~(acro & arms["arm"].str.endswith("p")) & (arms["chrom"] != "chrY")
    return arms.loc[keep, ["chrom", "arm", "start", "end"]].reset_index(drop=True)


def read_gene_spans(build: str, genes: tuple[str, ...] = FOCAL_GENES) -> pd.DataFrame:
    """Gene spans (chrom, start, end; BED 0-based) of ``genes`` from the packaged Ensembl BED."""
    path = resources_dir() / "genome" / f"genes_{build}.bed.gz"
    bed = pd.read_csv(
        path, sep="\t", header=None, usecols=[0, 1, 2, 3],
        names=["chrom", "start", "end", "gene"], dtype={"chrom": str},
    )  # fmt: skip
    bed = bed[bed["gene"].isin(genes)].drop_duplicates("gene")
    return bed.reset_index(drop=True)


def _harmonise_chrom(values: pd.Series) -> pd.Series:
    text = values.astype(str).str.replace("^chr", "", regex=True)
    text = text.replace({"23": "X", "24": "Y"})
    return "chr" + text


def _weighted_log2(seg: pd.DataFrame, regions: pd.DataFrame, key: str) -> pd.DataFrame:
    """Overlap-length-weighted mean segment log2 per (sample, region)."""
    merged = seg.merge(regions, on="chrom", suffixes=("", "_r"))
    overlap = np.minimum(merged["end"].to_numpy(), merged["end_r"].to_numpy()) - np.maximum(
        merged["start"].to_numpy(), merged["start_r"].to_numpy()
    )
    merged = merged.assign(w=np.maximum(overlap, 0))
    merged = merged[merged["w"] > 0]
    merged = merged.assign(wx=merged["w"] * merged["log2"])
    grouped = merged.groupby(["sample", key], sort=False)[["wx", "w"]].sum()
    out = (grouped["wx"] / grouped["w"]).rename("log2").reset_index()
    samples = seg["sample"].unique()
    full = pd.MultiIndex.from_product([samples, regions[key]], names=["sample", key])
    return out.set_index(["sample", key]).reindex(full).reset_index()


def calls_from_segments(
    seg_path: str | Path,
    build: str,
    thresholds: dict[str, float] | None = None,
    genes: tuple[str, ...] = FOCAL_GENES,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Arm and focal-gene calls from a TCGA/GDC segment file (1-based inclusive coordinates).

    Columns are matched by position after the header: ID/Sample, chrom, loc.start, loc.end,
    num.mark, seg.mean. Arm log2 is the length-weighted segment mean over the arm; gene log2 over
    the gene span; calls use ``thresholds`` (default :data:`DEFAULT_THRESHOLDS`).
    """
    thr = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    try:
        raw = pd.read_csv(seg_path, sep="\t", dtype={1: str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"cannot read segment file ({err})", seg_path) from None
    if raw.shape[1] < 6:
        raise InputError(
            "segment file needs 6 columns: ID, chrom, loc.start, loc.end, num.mark, seg.mean",
            seg_path,
        )
    seg = pd.DataFrame(
        {
            "sample": raw.iloc[:, 0].map(patient_id),
            "chrom": _harmonise_chrom(raw.iloc[:, 1]),
            "start": pd.to_numeric(raw.iloc[:, 2], errors="coerce") - 1,
            "end": pd.to_numeric(raw.iloc[:, 3], errors="coerce"),
            "log2": pd.to_numeric(raw.iloc[:, 5], errors="coerce"),
        }
    ).dropna()
    arms = _weighted_log2(seg, read_arms(build), "arm")
    t = thr["arm_log2"]
    arms["call"] = np.select(
        [arms["log2"] > t, arms["log2"] < -t, arms["log2"].notna()],
        ["gain", "loss", "neutral"],
        default="NA",
    )
    focal = _weighted_log2(seg, read_gene_spans(build, genes), "gene")
    x = focal["log2"]
    focal["call"] = np.select(
        [x > thr["amp"], x > thr["gain"], x < thr["deep_del"], x < thr["loss"], x.notna()],
        ["amp", "gain", "deep_del", "loss", "neutral"],
        default="NA",
    )
    focal.loc[focal["log2"].isna(), "call"] = "NA"
    arms.loc[arms["log2"].isna(), "call"] = "NA"
    return arms, focal


# ----------------------------------------------------------------------------- frequencies


def arm_frequencies(data: CohortData) -> pd.DataFrame:
    """Per arm: n samples with a call, n_gain, n_loss and the two frequencies."""
    if data.arm_calls is not None:
        calls = data.arm_calls[data.arm_calls["call"].isin(ARM_CALLS)]
        order = list(dict.fromkeys(data.arm_calls["arm"]))
        tab = pd.crosstab(calls["arm"], calls["call"]).reindex(order).fillna(0)
        table = pd.DataFrame(
            {
                "arm": order,
                "n": tab.sum(axis=1).astype(int).to_numpy(),
                "n_gain": tab.get("gain", pd.Series(0, index=tab.index)).astype(int).to_numpy(),
                "n_loss": tab.get("loss", pd.Series(0, index=tab.index)).astype(int).to_numpy(),
            }
        )
    elif data.arm_freq is not None:
        table = data.arm_freq[["arm", "n", "n_gain", "n_loss"]].copy()
    else:
        return pd.DataFrame(columns=["arm", "n", "n_gain", "n_loss", "gain_freq", "loss_freq"])
    n = table["n"].where(table["n"] > 0)
    table["gain_freq"] = table["n_gain"] / n
    table["loss_freq"] = table["n_loss"] / n
    return table.reset_index(drop=True)


def focal_frequencies(data: CohortData) -> pd.DataFrame:
    """Per gene: n samples with a call and counts/frequencies of each focal call."""
    cols = ["gene", "n"] + [f"n_{c}" for c in FOCAL_CALLS] + [f"{c}_freq" for c in FOCAL_CALLS]
    if data.focal_calls is None:
        return pd.DataFrame(columns=cols)
    calls = data.focal_calls[data.focal_calls["call"].isin(FOCAL_CALLS)]
    order = list(dict.fromkeys(data.focal_calls["gene"]))
    tab = pd.crosstab(calls["gene"], calls["call"]).reindex(order).fillna(0)
    tab = tab.reindex(columns=list(FOCAL_CALLS), fill_value=0).astype(int)
    out = pd.DataFrame({"gene": order, "n": tab.sum(axis=1).to_numpy()})
    for c in FOCAL_CALLS:
        out[f"n_{c}"] = tab[c].to_numpy()
    n = out["n"].where(out["n"] > 0)
    for c in FOCAL_CALLS:
        out[f"{c}_freq"] = out[f"n_{c}"] / n
    return out[cols]


def gene_frequencies(data: CohortData) -> pd.DataFrame:
    """Per gene: patients with ≥1 non-silent mutation, the denominator and the frequency."""
    if data.mutated is None or not data.mutation_samples:
        return pd.DataFrame(columns=["gene", "n_mutated", "n_samples", "frequency"])
    n = len(data.mutation_samples)
    counts = data.mutated.groupby("gene")["sample"].nunique()
    out = counts.rename("n_mutated").reset_index()
    out["n_samples"] = n
    out["frequency"] = out["n_mutated"] / n
    return out.sort_values(["n_mutated", "gene"], ascending=[False, True]).reset_index(drop=True)


# ----------------------------------------------------------------------------- builder


def _read_exposures(path: str | Path, prefix: str | None, keep: list[str] | None) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, sep="\t")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"cannot read exposure table ({err})", path) from None
    if {"sample", "signature", "exposure"} <= set(table.columns):  # contract long format
        wide = table.pivot_table(
            index="sample", columns="signature", values="exposure", aggfunc="sum"
        ).fillna(0.0)
    else:
        wide = table.set_index(table.columns[0])
    raw_ids = wide.index.astype(str)
    if prefix:
        wide = wide[raw_ids.str.startswith(prefix)]
    wide.index = [patient_id(i) for i in wide.index.astype(str)]
    if keep is not None:
        wide = wide[wide.index.isin(keep)]
    if wide.empty:
        raise InputError("no exposure row matches the selected samples", path)
    wide = wide.apply(pd.to_numeric, errors="coerce").fillna(0.0)
    wide.index.name = "sample"
    return wide.astype(float)


def build_reference(
    name: str,
    *,
    build: str,
    assay: str,
    maf: str | Path | None = None,
    seg: str | Path | None = None,
    sbs96: str | Path | None = None,
    exposures: str | Path | None = None,
    arm_frequency_table: str | Path | None = None,
    sample_prefix: str | None = None,
    pass_only: bool = False,
    thresholds: dict[str, float] | None = None,
    meta: dict[str, Any] | None = None,
    common_patients: bool = False,
    unavailable: dict[str, str] | None = None,
) -> CohortData:
    """Build a reference profile from cohort files.

    ``sbs96``: SBS96 count matrix (samples as columns; ``sample_prefix`` selects columns and
    exposure rows such as ``TCGA_ESCC::``); ``exposures``: signature attribution table (samples
    as rows) or the contract's long format; ``maf``: MC3-style MAF (non-silent per patient);
    ``seg``: TCGA/GDC segment file (arm and focal calls); ``arm_frequency_table``: aggregate
    ``arm, n, gain_pct, loss_pct`` when no segments are available. ``common_patients`` keeps
    only patients present in every per-patient source given, so that each reference patient
    has every family (and patients a data provider kept back from one source stay out of all).
    ``unavailable`` maps a family (``sbs96``, ``signatures``, ``genes``, ``arm_cnv``,
    ``focal_cnv``) the sources lack to the reason, stored in ``profile.yaml``.
    """
    unknown = set(unavailable or {}) - set(FAMILY_KEYS)
    if unknown:
        raise InputError(
            f"unknown family {', '.join(sorted(unknown))}; use {', '.join(FAMILY_KEYS)}"
        )
    if assay not in ("exome", "genome"):
        raise InputError(f"assay must be exome or genome, not {assay!r}")
    thr = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    data = CohortData(name=name)
    data.meta = {
        "name": name,
        "build": build,
        "assay": assay,
        "thresholds": thr,
        "mutation_filter": "PASS only" if pass_only else "all FILTER values",
        "non_silent_classes": list(NON_SILENT),
        **(meta or {}),
    }
    if build in ("GRCh37", "GRCh38"):
        data.opportunity_label = f"{build}_{assay}"
        data.opportunity = opportunity(data.opportunity_label)
    if sbs96:
        cat = read_sbs96(sbs96)
        if sample_prefix:
            cat = cat.loc[:, [c.startswith(sample_prefix) for c in cat.columns]]
        if cat.shape[1] == 0:
            raise InputError(f"no SBS96 column starts with {sample_prefix!r}", sbs96)
        cat.columns = [patient_id(c) for c in cat.columns]
        cat = cat.T.groupby(level=0, sort=False).sum().T
        data.sbs96 = cat
    if exposures:
        keep = list(data.sbs96.columns) if data.sbs96 is not None else None
        data.exposures = _read_exposures(exposures, sample_prefix, keep)
    if maf:
        data.mutated, data.mutation_samples = read_maf_mutations(maf, pass_only=pass_only)
    if seg:
        if build not in ("GRCh37", "GRCh38"):
            raise InputError("segment files can be summarised only for GRCh37 or GRCh38", seg)
        data.arm_calls, data.focal_calls = calls_from_segments(seg, build, thr)
    elif arm_frequency_table:
        table = pd.read_csv(arm_frequency_table, sep="\t")
        need = {"arm", "n", "gain_pct", "loss_pct"}
        if not need <= set(table.columns):
            raise InputError(
                "arm frequency table needs columns arm, n, gain_pct, loss_pct",
                arm_frequency_table,
            )
        table["n_gain"] = np.rint(table["n"] * table["gain_pct"] / 100).astype(int)
        table["n_loss"] = np.rint(table["n"] * table["loss_pct"] / 100).astype(int)
        data.arm_freq = table[["arm", "n", "n_gain", "n_loss"]]
    if common_patients:
        data = _common_patients(data)
        data.meta["patients"] = "only patients present in every per-patient source"
    if unavailable:
        data.meta["unavailable"] = dict(unavailable)
    return data


def _common_patients(data: CohortData) -> CohortData:
    """``data`` restricted to the patients every per-patient family has."""
    sets = [
        set(part)
        for part in (
            None if data.sbs96 is None else data.sbs96.columns,
            None if data.exposures is None else data.exposures.index,
            data.mutation_samples,
            None if data.arm_calls is None else data.arm_calls["sample"],
            None if data.focal_calls is None else data.focal_calls["sample"],
        )
        if part is not None
    ]
    if not sets:
        return data
    keep = set.intersection(*sets)
    if not keep:
        raise InputError(f"reference {data.name}: no patient is present in every source")
    out = subset_cohort(data, keep)
    if out.mutated is not None:
        out.mutated = out.mutated.reset_index(drop=True)
    for key in ("arm_calls", "focal_calls"):
        calls = getattr(out, key)
        if calls is not None:
            setattr(out, key, calls.reset_index(drop=True))
    return out


def _tmb(data: CohortData) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    if data.sbs96 is not None and data.sbs96.shape[1]:
        n = data.sbs96.sum(axis=0)
        rows += [
            {"metric": "n_samples", "value": int(n.size)},
            {"metric": "snv_median", "value": float(n.median())},
            {"metric": "snv_q1", "value": float(n.quantile(0.25))},
            {"metric": "snv_q3", "value": float(n.quantile(0.75))},
        ]
        if data.opportunity is not None:
            mb = float(data.opportunity.sum()) / 1e6
            rows += [
                {"metric": "territory_mb", "value": round(mb, 3)},
                {"metric": "snv_per_mb_median", "value": round(float(n.median()) / mb, 4)},
            ]
    return pd.DataFrame(rows, columns=["metric", "value"])


def _signature_summary(exposures: pd.DataFrame) -> pd.DataFrame:
    totals = exposures.sum(axis=1)
    frac = exposures.div(totals.where(totals > 0), axis=0)
    out = pd.DataFrame(
        {
            "signature": exposures.columns,
            "n_samples": len(exposures),
            "n_present": (exposures > 0).sum(axis=0).to_numpy(),
            "mean_fraction": frac.mean(axis=0).to_numpy(),
            "pooled_fraction": (exposures.sum(axis=0) / totals.sum()).to_numpy(),
        }
    )
    out["present_fraction"] = out["n_present"] / out["n_samples"]
    return out


def write_reference(data: CohortData, outdir: str | Path) -> dict[str, Path]:
    """Write a profile folder (per-sample and summary TSVs + ``profile.yaml``)."""
    outdir = Path(outdir)
    files: dict[str, Path] = {}

    def put(key: str, df: pd.DataFrame, index: bool = False) -> None:
        path = outdir / f"{key}.tsv"
        write_tsv(df.round(6), path, index=index)
        files[key] = path

    counts: dict[str, int] = {}
    if data.sbs96 is not None:
        put("sbs96_catalogues", data.sbs96.astype(int), index=True)
        totals = data.sbs96.sum(axis=0)
        profile = pd.DataFrame(
            {
                "MutationType": list(SBS96_CHANNELS),
                "pooled": (data.sbs96.sum(axis=1) / totals.sum()).to_numpy(),
                "mean_of_samples": data.sbs96.div(totals.where(totals > 0), axis=1)
                .mean(axis=1)
                .to_numpy(),
            }
        )
        put("sbs96_profile", profile)
        counts["sbs96"] = int(data.sbs96.shape[1])
    if data.exposures is not None:
        put("signature_exposures", data.exposures, index=True)
        put("signature_summary", _signature_summary(data.exposures))
        counts["signatures"] = len(data.exposures)
    if data.mutated is not None and data.mutation_samples is not None:
        put("gene_mutations", data.mutated)
        put("mutation_samples", pd.DataFrame({"sample": data.mutation_samples}))
        put("gene_frequencies", gene_frequencies(data))
        counts["mutations"] = len(data.mutation_samples)
    if data.arm_calls is not None:
        put("arm_calls", data.arm_calls)
    if data.arm_calls is not None or data.arm_freq is not None:
        freq = arm_frequencies(data)
        put("arm_frequencies", freq)
        counts["arm_cnv"] = int(freq["n"].max()) if len(freq) else 0
    if data.focal_calls is not None:
        put("focal_calls", data.focal_calls)
        freq = focal_frequencies(data)
        put("focal_frequencies", freq)
        counts["focal_cnv"] = int(freq["n"].max()) if len(freq) else 0
    tmb = _tmb(data)
    if len(tmb):
        put("tmb", tmb)
    meta = dict(data.meta)
    meta["name"] = data.name
    meta["opportunity"] = data.opportunity_label
    meta["n_samples"] = counts
    meta["files"] = {k: p.name for k, p in files.items()}
    meta["per_sample"] = {
        "sbs96": data.sbs96 is not None,
        "signatures": data.exposures is not None,
        "genes": data.mutated is not None,
        "arm_cnv": data.arm_calls is not None,
        "focal_cnv": data.focal_calls is not None,
    }
    with atomic_open(outdir / "profile.yaml") as handle:
        yaml.safe_dump(meta, handle, sort_keys=False, allow_unicode=True)
    files["profile"] = outdir / "profile.yaml"
    return files


def load_reference(path: str | Path) -> CohortData:
    """Read a profile folder written by :func:`write_reference`."""
    folder = Path(path)
    meta_path = folder / "profile.yaml"
    if not meta_path.is_file():
        raise InputError("not a reference profile: profile.yaml missing", folder)
    with open(meta_path) as handle:
        meta = yaml.safe_load(handle) or {}
    data = CohortData(name=str(meta.get("name", folder.name)), meta=meta)
    label = str(meta.get("opportunity", "unknown"))
    data.opportunity_label = label
    if label in OPPORTUNITY_KEYS:
        data.opportunity = opportunity(label)

    def get(key: str, **kw: Any) -> pd.DataFrame | None:
        p = folder / f"{key}.tsv"
        return pd.read_csv(p, sep="\t", **kw) if p.is_file() else None

    cat = get("sbs96_catalogues", index_col=0)
    if cat is not None:
        data.sbs96 = cat.loc[list(SBS96_CHANNELS)].astype(float)
    exp = get("signature_exposures", index_col=0)
    if exp is not None:
        exp.index = exp.index.astype(str)
        data.exposures = exp.astype(float)
    mutated = get("gene_mutations", dtype=str)
    samples = get("mutation_samples", dtype=str)
    if mutated is not None and samples is not None:
        data.mutated = mutated
        data.mutation_samples = list(samples["sample"])
    data.arm_calls = get("arm_calls", dtype={"sample": str}, keep_default_na=False)
    data.focal_calls = get("focal_calls", dtype={"sample": str}, keep_default_na=False)
    for calls in (data.arm_calls, data.focal_calls):
        if calls is not None:
            calls["log2"] = pd.to_numeric(calls["log2"], errors="coerce")
    if data.arm_calls is None:
        data.arm_freq = get("arm_frequencies")
    return data


def subset_cohort(
    data: CohortData, samples: set[str] | list[str], name: str | None = None
) -> CohortData:
    """The same cohort restricted to ``samples`` in every per-sample family (leave-out checks).

    Aggregate-only parts (``arm_freq``) are kept as they are: they cannot be split.
    """
    keep = set(samples)
    out = CohortData(
        name=name or data.name,
        opportunity=data.opportunity,
        opportunity_label=data.opportunity_label,
        arm_freq=data.arm_freq,
        meta=dict(data.meta),
    )
    if data.sbs96 is not None:
        out.sbs96 = data.sbs96.loc[:, [c for c in data.sbs96.columns if c in keep]]
    if data.exposures is not None:
        out.exposures = data.exposures[data.exposures.index.isin(keep)]
    if data.mutated is not None and data.mutation_samples is not None:
        out.mutation_samples = [s for s in data.mutation_samples if s in keep]
        out.mutated = data.mutated[data.mutated["sample"].isin(keep)]
    if data.arm_calls is not None:
        out.arm_calls = data.arm_calls[data.arm_calls["sample"].isin(keep)]
    if data.focal_calls is not None:
        out.focal_calls = data.focal_calls[data.focal_calls["sample"].isin(keep)]
    out.other_spectra = {
        k: v.loc[:, [c for c in v.columns if c in keep]] for k, v in data.other_spectra.items()
    }
    return out
