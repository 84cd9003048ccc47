"""Copy number of one tumor: the genome plot, which arms changed, and LOH where it was assessed.

In: ``cnv/<tumor>.call.cns`` (or ``.cns``), ``cnv/<tumor>.cnr``, ``cnv/arm_calls.tsv``,
``reference/arms.tsv`` and the FASTA index. Out: the data of ``templates/tumor/cnv.html.j2``.

Every statement says what the data support: arms the CNV stage could not call are listed with
its reason (never read as "unchanged"), and LOH is stated only from segments whose
allele-specific copy number the CNV stage vouched for with heterozygous SNPs.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from scce_genomics.report.context import Context
from scce_genomics.report.elements import is_missing, text_or_na
from scce_genomics.report.plots import plot_cnv_genome
from scce_genomics.report.sections.scars import scars_view

__all__ = ["ALLELES", "arm_statement", "loh_statement", "tumor_view"]

SECTION = "Per sample"
SEGMENT_COLUMNS = {"chromosome", "start", "end", "log2"}

#: The CNV stage's allele-specific segments (``scce-genomics cnv-alleles``): major/minor copy
#: number where a segment has enough heterozygous SNPs (``n_het``), else NA with a reason.
ALLELES = "cnv/{tumor}.alleles.tsv"
ALLELE_COLUMNS = {
    "chromosome",
    "start",
    "end",
    "n_het",
    "major",
    "minor",
    "allele_source",
    "reason",
}


def _segments(ctx: Context, tumor: str) -> tuple[pd.DataFrame | None, str]:
    for name in (f"cnv/{tumor}.call.cns", f"cnv/{tumor}.cns"):
        seg = ctx.optional_table(ctx.results / name)
        if seg is not None:
            return seg, name
    return None, f"cnv/{tumor}.call.cns"


def tumor_view(ctx: Context, tumor: str) -> dict[str, Any]:
    here = f"{SECTION}: {tumor}"
    arm_calls, arm_note = ctx.read(
        "cnv/arm_calls.tsv", SECTION, "arm calls", ["sample", "chrom", "arm", "call"]
    )
    mine = None if arm_calls is None else arm_calls[arm_calls["sample"].astype(str) == tumor]
    seg, seg_name = _segments(ctx, tumor)
    out: dict[str, Any] = {"arm_note": arm_note}
    if seg is None or seg.empty or not set(seg.columns) >= SEGMENT_COLUMNS:
        status = "not run" if not (ctx.results / "cnv").is_dir() else "not computed"
        out["plot_note"] = ctx.issue(
            here,
            "CNV genome plot",
            status,
            f"no segments in {ctx.rel(ctx.results / 'cnv')}/{tumor}.call.cns or {tumor}.cns.",
        )
    else:
        bins = ctx.optional_table(ctx.results / f"cnv/{tumor}.cnr")
        if bins is not None and not set(bins.columns) >= SEGMENT_COLUMNS:
            bins = None
        arms_ref = ctx.optional_table(ctx.results / "reference" / "arms.tsv")
        fai = ctx.optional_table(ctx.results / "reference" / "genome.fa.fai", header=None)
        lengths = (
            None if fai is None else dict(zip(fai[0].astype(str), fai[1].astype(int), strict=True))
        )
        fig = plot_cnv_genome(seg, bins, mine, arms_ref, lengths, f"{tumor}: log2 copy ratio")
        out["plot"] = ctx.figure(fig, f"copy-number plot of {tumor}")
        out["loh"] = loh_statement(ctx, tumor, seg, seg_name)
    if mine is not None:
        out["arms"] = arm_statement(mine)
    out["scars"] = scars_view(ctx, tumor)
    return out


def _by_reason(rows: pd.DataFrame, column: str, default: str) -> list[tuple[str, list[str]]]:
    """(reason, arms or regions) groups, in order of first appearance."""
    if column in rows.columns:
        reasons = [default if is_missing(r) else str(r) for r in rows[column]]
    else:
        reasons = [default] * len(rows)
    groups: dict[str, list[str]] = {}
    for label, reason in zip(rows["label"], reasons, strict=True):
        groups.setdefault(reason, []).append(str(label))
    return list(groups.items())


def arm_statement(calls: pd.DataFrame) -> dict[str, Any]:
    """Gained and lost arms, and the arms that could not be called with the stage's reason."""
    call = calls["call"].map(text_or_na)
    changed = calls[call.isin(["gain", "loss"])]
    uncallable = calls[call == "NA"].assign(label=lambda d: d["arm"].astype(str))
    return {
        "n": len(calls),
        "n_callable": len(calls) - len(uncallable),
        "changed": [f"{a} {c}" for a, c in zip(changed["arm"], changed["call"], strict=True)],
        "uncallable": _by_reason(uncallable, "reason", "cnv/arm_calls.tsv gives no reason"),
    }


def loh_statement(ctx: Context, tumor: str, seg: pd.DataFrame, seg_name: str) -> dict[str, Any]:
    """LOH segments (minor copy number 0) the CNV stage vouched for, or why LOH is not assessed.

    Only the CNV stage's allele table counts: a segment's major/minor copy number from enough
    heterozygous SNPs (``allele_source`` ``baf``) or from a total of one copy (``total``).
    CNVkit's own cn1/cn2 in ``.call.cns`` rest on however few SNPs a segment has, so they
    never make an LOH statement.
    """
    alleles = ctx.optional_table(ctx.results / ALLELES.format(tumor=tumor))
    if alleles is None or not set(alleles.columns) >= ALLELE_COLUMNS:
        if {"cn1", "cn2"} <= set(seg.columns):
            why = (
                f"{ALLELES.format(tumor=tumor)} (allele-specific copy number with its count of "
                f"heterozygous SNPs) is missing, and CNVkit's cn1/cn2 in {seg_name} may rest on "
                "a single SNP"
            )
        else:
            why = f"no allele-specific copy number for this tumor ({seg_name} has no cn1/cn2)"
        return {"reason": why}
    alleles = alleles.assign(
        label=alleles["chromosome"].astype(str)
        + ":"
        + alleles["start"].map("{:,}".format)
        + "–"
        + alleles["end"].map("{:,}".format),
        mb=(alleles["end"] - alleles["start"]) / 1e6,
    )
    major = pd.to_numeric(alleles["major"], errors="coerce")
    minor = pd.to_numeric(alleles["minor"], errors="coerce")
    source = alleles["allele_source"].astype(str)
    assessed = source.isin(["baf", "total"]) & major.notna() & minor.notna()
    loh = alleles[assessed & (minor == 0) & (major > 0)]
    withheld = alleles[~assessed]
    evidence = [
        f"{int(n)} SNPs" if src == "baf" else "one copy"
        for n, src in zip(loh["n_het"], loh["allele_source"].astype(str), strict=True)
    ]
    return {
        "assessed_mb": float(alleles.loc[assessed, "mb"].sum()),
        "n_assessed": int(assessed.sum()),
        "loh": list(zip(loh["label"], evidence, strict=True)),
        "loh_mb": float(loh["mb"].sum()),
        "withheld_mb": float(withheld["mb"].sum()),
        "withheld": _by_reason(withheld, "reason", "no reason given"),
    }
