"""Figures of the HTML report that no other stage draws (matplotlib, Agg, returned as Figures).

Drawn here: the compact genome-wide copy-number plot with arm calls, the oncoplot-style
driver matrix, side-by-side spectra and exposures of the cohort and the references, and the
forest and arm-frequency plots used when the comparison stage left tables but no figures.
Every plot has axis labels and a legend so it reads on its own in the report.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from scce_genomics.cosmic import SBS6_CHANNELS, SBS96_CHANNELS
from scce_genomics.spectra.plots import SBS6_COLOURS

__all__ = [
    "ALTERATION_COLOURS",
    "figure_to_data_uri",
    "plot_arm_frequencies",
    "plot_cnv_genome",
    "plot_exposure_bars",
    "plot_forest",
    "plot_oncoplot",
    "plot_spectra_profiles",
]

#: Oncoplot colours; copy-number events fill the cell, mutations are drawn inside it.
ALTERATION_COLOURS: dict[str, str] = {
    "Missense_Mutation": "#2CA02C",
    "Nonsense_Mutation": "#D62728",
    "Frame_Shift_Del": "#1F77B4",
    "Frame_Shift_Ins": "#9467BD",
    "In_Frame_Del": "#8C564B",
    "In_Frame_Ins": "#E377C2",
    "Splice_Site": "#FF7F0E",
    "Translation_Start_Site": "#BCBD22",
    "Nonstop_Mutation": "#17BECF",
    "Multi_Hit": "#000000",
    "amp": "#B2182B",
    "deep_del": "#2166AC",
}
_GAIN, _LOSS, _NEUTRAL = "#D6604D", "#4393C3", "#7F7F7F"


def figure_to_data_uri(fig: Figure, dpi: int = 100) -> str:
    """PNG ``data:`` URI of a figure (closes it), so the report carries its images inline."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _sbs96_plot_order() -> list[str]:
    return sorted(SBS96_CHANNELS, key=lambda c: (c[2:5], c[0], c[6]))


def plot_spectra_profiles(profiles: dict[str, pd.Series], note: str = "") -> Figure:
    """One SBS96 panel per profile (fractions, labels aligned by name), six-colour layout."""
    order = _sbs96_plot_order()
    colours = [SBS6_COLOURS[c[2:5]] for c in order]
    n = max(len(profiles), 1)
    fig, axes = plt.subplots(n, 1, figsize=(12, 1.9 * n + 0.9), squeeze=False, sharex=True)
    for ax, (name, prof) in zip(axes[:, 0], profiles.items(), strict=False):
        values = prof.reindex(order).fillna(0).to_numpy(dtype=float)
        total = values.sum()
        frac = values / total if total > 0 else values
        ax.bar(np.arange(96), frac, color=colours, width=0.8)
        top = max(frac.max(), 1e-9)
        ax.set_ylim(0, top * 1.2)
        for i, sub in enumerate(SBS6_CHANNELS):
            ax.axhspan(
                top * 1.1,
                top * 1.18,
                xmin=i / 6 + 0.002,
                xmax=(i + 1) / 6 - 0.002,
                color=SBS6_COLOURS[sub],
            )
        ax.set_xlim(-0.6, 95.6)
        ax.set_ylabel("fraction")
        ax.set_title(name, loc="left", fontsize=9)
        ax.spines[["top", "right"]].set_visible(False)
    bottom = axes[-1, 0]
    bottom.set_xticks(np.arange(96))
    bottom.set_xticklabels(
        [f"{c[0]}{c[2]}{c[6]}" for c in order], rotation=90, fontsize=5, family="monospace"
    )
    bottom.set_xlabel(
        "trinucleotide context, grouped by substitution" + (f" — {note}" if note else "")
    )
    handles = [Patch(color=SBS6_COLOURS[s], label=s) for s in SBS6_CHANNELS]
    fig.legend(
        handles=handles,
        ncol=6,
        loc="upper center",
        fontsize=8,
        frameon=False,
        bbox_to_anchor=(0.5, 1.0),
    )
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return fig


def _natural_key(chrom: str) -> tuple[int, str]:
    name = chrom.removeprefix("chr")
    if name.isdigit():
        return int(name), ""
    return {"X": 1000, "Y": 1001}.get(name, 2000), name


def plot_cnv_genome(
    segments: pd.DataFrame,
    bins: pd.DataFrame | None,
    arm_calls: pd.DataFrame | None,
    arms: pd.DataFrame | None,
    chrom_lengths: dict[str, int] | None,
    title: str,
    threshold: float = 0.2,
) -> Figure:
    """Genome-wide log2 ratios: bins as grey dots, segments coloured by call, arm calls below.

    ``segments`` has chromosome, start, end, log2 (and ``cn`` from ``.call.cns``); a segment is
    a gain when cn > 2 (or log2 > threshold without cn), a loss when cn < 2 (log2 < −threshold).
    """
    chroms = sorted(set(segments["chromosome"].astype(str)), key=_natural_key)
    ends = segments.groupby(segments["chromosome"].astype(str))["end"].max()
    lengths = {c: int((chrom_lengths or {}).get(c, ends.get(c, 0))) for c in chroms}
    offsets: dict[str, int] = {}
    pos = 0
    for c in chroms:
        offsets[c] = pos
        pos += lengths[c]
    total = max(pos, 1)
    fig, (ax, strip) = plt.subplots(
        2, 1, figsize=(12, 3.6), sharex=True, gridspec_kw={"height_ratios": [6, 1]}
    )
    if bins is not None and not bins.empty:
        b = bins[bins["chromosome"].astype(str).isin(offsets)]
        x = (b["start"] + b["end"]) / 2 + b["chromosome"].astype(str).map(offsets)
        ax.scatter(x, b["log2"].clip(-3, 3), s=2, color="#BBBBBB", linewidths=0, rasterized=True)
    seg = segments[segments["chromosome"].astype(str).isin(offsets)]
    log2 = seg["log2"].astype(float)
    if "cn" in seg.columns and seg["cn"].notna().any():
        cn = seg["cn"].astype(float)
        colour = np.where(cn > 2, _GAIN, np.where(cn < 2, _LOSS, _NEUTRAL))
    else:
        colour = np.where(log2 > threshold, _GAIN, np.where(log2 < -threshold, _LOSS, _NEUTRAL))
    off = seg["chromosome"].astype(str).map(offsets)
    ax.hlines(log2.clip(-3, 3), seg["start"] + off, seg["end"] + off, colors=colour, linewidth=3)
    for c in chroms[1:]:
        ax.axvline(offsets[c], color="#DDDDDD", linewidth=0.8)
        strip.axvline(offsets[c], color="#DDDDDD", linewidth=0.8)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_xlim(0, total)
    low = min(-1.2, float(log2.min()) - 0.2) if len(log2) else -1.2
    high = max(1.2, float(log2.max()) + 0.2) if len(log2) else 1.2
    ax.set_ylim(max(low, -3.2), min(high, 3.2))
    ax.set_ylabel("log2 copy ratio")
    ax.set_title(title, loc="left", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(
        handles=[
            Patch(color=_GAIN, label="gain segment"),
            Patch(color=_LOSS, label="loss segment"),
            Patch(color=_NEUTRAL, label="neutral segment"),
        ]
        + ([Patch(color="#BBBBBB", label="bins")] if bins is not None and not bins.empty else []),
        fontsize=7,
        ncol=4,
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        frameon=False,
    )
    # arm calls: coloured boxes where arm coordinates are known, text otherwise
    strip.set_yticks([])
    strip.set_ylabel("arms", rotation=0, ha="right", va="center", fontsize=8)
    strip.set_ylim(0, 1)
    if arm_calls is not None and not arm_calls.empty:
        calls = arm_calls.assign(chrom=arm_calls["chrom"].astype(str))
        coords = (
            arms.assign(chrom=arms["chrom"].astype(str)).set_index(["chrom", "arm"])
            if arms is not None
            else None
        )
        unplaced: dict[str, list[tuple[str, str]]] = {}
        for _, row in calls[calls["chrom"].isin(offsets)].iterrows():
            call = str(row["call"])
            col = {"gain": _GAIN, "loss": _LOSS, "neutral": "#EEEEEE"}.get(call, "white")
            key = (row["chrom"], row["arm"])
            if coords is not None and key in coords.index:
                start = int(coords.loc[key, "start"]) + offsets[str(row["chrom"])]
                end = int(coords.loc[key, "end"]) + offsets[str(row["chrom"])]
                strip.add_patch(Rectangle((start, 0.1), end - start, 0.8, fc=col, ec="#999999"))
                strip.text(
                    (start + end) / 2, 0.5, f"{row['arm']}", ha="center", va="center", fontsize=6
                )
            else:
                unplaced.setdefault(str(row["chrom"]), []).append((str(row["arm"]), call))
        # no arm coordinates: the chromosome's arm calls as text at its centre
        for chrom, items in unplaced.items():
            centre = offsets[chrom] + lengths[chrom] / 2
            for k, (arm, call) in enumerate(items):
                sign = {"gain": "+", "loss": "−", "neutral": "=", "NA": "?"}.get(call, "?")
                tint = {"gain": _GAIN, "loss": _LOSS}.get(call, "#555555")
                at = centre + (k - (len(items) - 1) / 2) * total * 0.03
                strip.text(
                    at,
                    0.5,
                    f"{arm}{sign}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color=tint,
                    fontweight="bold" if call in ("gain", "loss") else None,
                )
    strip.set_xticks([offsets[c] + lengths[c] / 2 for c in chroms])
    strip.set_xticklabels([c.removeprefix("chr") for c in chroms], fontsize=8)
    strip.set_xlabel("chromosome (arm calls: red gain, blue loss, grey neutral; white box or ? NA)")
    fig.tight_layout()
    return fig


def plot_exposure_bars(
    fractions: pd.DataFrame,
    title: str,
    xlabel: str = "fraction of mutations",
    max_signatures: int = 14,
) -> Figure:
    """Stacked horizontal bars of signature fractions: one row per sample or reference.

    The largest ``max_signatures - 1`` signatures (summed over rows) get their own colour, the
    rest are pooled as "other" (grey) so no two signatures share a colour.
    """
    table = fractions.fillna(0.0)
    table = table.loc[:, table.max(axis=0) > 0]
    order = list(table.sum(axis=0).sort_values(ascending=False).index)
    if len(order) > max_signatures:
        rest = order[max_signatures - 1 :]
        table = table[order[: max_signatures - 1]].assign(other=table[rest].sum(axis=1))
    else:
        table = table[order]
    cmap = plt.get_cmap("tab20")
    fig, ax = plt.subplots(figsize=(10, 0.42 * len(table) + 1.6))
    left = np.zeros(len(table))
    y = np.arange(len(table))[::-1]
    for k, sig in enumerate(table.columns):
        vals = table[sig].to_numpy(dtype=float)
        colour = "#BBBBBB" if sig == "other" else cmap((2 * k) % 20 + (2 * k) // 20)
        ax.barh(y, vals, left=left, color=colour, label=str(sig), height=0.7)
        left += vals
    ax.set_yticks(y)
    ax.set_yticklabels([str(i) for i in table.index], fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_xlim(0, max(1.0, float(left.max()) if len(left) else 1.0))
    ax.set_title(title, loc="left", fontsize=10)
    ax.legend(
        fontsize=7,
        ncol=1,
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
        frameon=False,
        title="signature",
        title_fontsize=8,
    )
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def plot_oncoplot(cells: pd.DataFrame, cnv: pd.DataFrame | None = None) -> Figure:
    """Genes × samples driver matrix: CN amp/deep_del fill the cell, mutations the inner bar.

    ``cells``: genes × samples of mutation classes ('' for none, ``Multi_Hit`` for several);
    ``cnv``: the same shape with ``amp``/``deep_del``/'' (other calls are not drawn).
    """
    genes, samples = list(cells.index), list(cells.columns)
    fig, ax = plt.subplots(figsize=(max(5.0, 0.55 * len(samples) + 3.5), 0.34 * len(genes) + 1.8))
    used: set[str] = set()
    for i, gene in enumerate(genes):
        y = len(genes) - 1 - i
        for j, sample in enumerate(samples):
            ax.add_patch(Rectangle((j + 0.05, y + 0.05), 0.9, 0.9, color="#EEEEEE"))
            cn = "" if cnv is None else str(cnv.loc[gene, sample] or "")
            if cn in ALTERATION_COLOURS:
                ax.add_patch(
                    Rectangle((j + 0.05, y + 0.05), 0.9, 0.9, color=ALTERATION_COLOURS[cn])
                )
                used.add(cn)
            mut = str(cells.loc[gene, sample] or "")
            if mut:
                colour = ALTERATION_COLOURS.get(mut, "#7F7F7F")
                ax.add_patch(Rectangle((j + 0.05, y + 0.3), 0.9, 0.4, color=colour))
                used.add(mut if mut in ALTERATION_COLOURS else "other non-silent")
        altered = sum(
            bool(cells.loc[gene, s]) or (cnv is not None and bool(cnv.loc[gene, s]))
            for s in samples
        )
        ax.text(
            len(samples) + 0.15,
            y + 0.5,
            f"{100 * altered / max(len(samples), 1):.0f}%",
            va="center",
            fontsize=8,
        )
    ax.set_xlim(0, len(samples) + 0.9)
    ax.set_ylim(0, len(genes))
    ax.set_yticks(np.arange(len(genes)) + 0.5)
    ax.set_yticklabels(genes[::-1], fontsize=8, style="italic")
    ax.set_xticks(np.arange(len(samples)) + 0.5)
    ax.set_xticklabels(samples, rotation=90, fontsize=8)
    ax.set_xlabel("tumor (right: % altered)")
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    labels = {"amp": "CN amplification", "deep_del": "CN deep deletion"}
    handles = [
        Patch(color=ALTERATION_COLOURS.get(k, "#7F7F7F"), label=labels.get(k, k.replace("_", " ")))
        for k in [*ALTERATION_COLOURS, "other non-silent"]
        if k in used
    ]
    if handles:
        ax.legend(
            handles=handles,
            fontsize=7,
            loc="center left",
            bbox_to_anchor=(1.06, 0.5),
            frameon=False,
            title="alteration",
            title_fontsize=8,
        )
    fig.tight_layout()
    return fig


def plot_forest(genes: pd.DataFrame, reference: str, fdr: float = 0.05, top: int = 30) -> Figure:
    """Per-gene odds ratios (log scale) with CIs; infinite bounds drawn to the axis edge."""
    table = genes[(genes["reference"] == reference) & genes["odds_ratio"].notna()]
    table = table.sort_values("p_value").head(top).iloc[::-1]
    est = table["odds_ratio"].astype(float).clip(1e-3, 1e3).to_numpy()
    lo = table["or_ci_low"].astype(float).fillna(1e-3).clip(1e-3, 1e3).to_numpy()
    hi = table["or_ci_high"].astype(float).fillna(1e3).clip(1e-3, 1e3).to_numpy()
    y = np.arange(len(table))
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(table) + 1.4))
    sig = table["fdr"].astype(float).fillna(1.0).to_numpy() < fdr
    ax.hlines(y, lo, hi, color="grey")
    ax.scatter(est, y, color=np.where(sig, "#D62728", "black"), zorder=3, s=18)
    ax.axvline(1, ls="--", color="grey", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlim(5e-4, 2e3)
    ax.set_yticks(y)
    ax.set_yticklabels(
        [
            f"{g} ({a}/{n} vs {c}/{m})"
            for g, a, n, c, m in zip(
                table["gene"],
                table["cohort_alt"],
                table["cohort_n"],
                table["ref_alt"],
                table["ref_n"],
                strict=True,
            )
        ],
        fontsize=7,
    )
    ax.set_xlabel(f"odds ratio, cohort vs {reference} (95% CI; red: FDR < {fdr:g})")
    ax.legend(
        handles=[
            Patch(color="#D62728", label=f"FDR < {fdr:g}"),
            Patch(color="black", label="n.s."),
        ],
        fontsize=7,
        loc="lower right",
    )
    fig.tight_layout()
    return fig


def plot_arm_frequencies(
    cohort: pd.DataFrame, reference: pd.DataFrame, cohort_name: str, reference_name: str
) -> Figure:
    """Gain (up) and loss (down) frequency per arm: cohort solid, reference pale, side by side.

    Both tables have ``arm``, ``gain_freq``, ``loss_freq``; arms come in the reference's order,
    then any the reference lacks.
    """
    arms = [a for a in reference["arm"] if a in set(cohort["arm"])]
    arms += [a for a in cohort["arm"] if a not in set(arms)]
    c = cohort.set_index("arm").reindex(arms)
    r = reference.set_index("arm").reindex(arms)
    x = np.arange(len(arms))
    w = 0.4
    fig, ax = plt.subplots(figsize=(max(7.0, 0.3 * len(arms) + 2), 3.8))
    ax.bar(x - w / 2, c["gain_freq"].fillna(0), w, color=_GAIN, label=f"{cohort_name} gain")
    ax.bar(x - w / 2, -c["loss_freq"].fillna(0), w, color=_LOSS, label=f"{cohort_name} loss")
    ax.bar(
        x + w / 2,
        r["gain_freq"].fillna(0),
        w,
        color=_GAIN,
        alpha=0.4,
        label=f"{reference_name} gain",
    )
    ax.bar(
        x + w / 2,
        -r["loss_freq"].fillna(0),
        w,
        color=_LOSS,
        alpha=0.4,
        label=f"{reference_name} loss",
    )
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_ylim(-1.05, 1.25)
    ax.set_xticks(x)
    ax.set_xticklabels(arms, rotation=90, fontsize=7)
    ax.set_xlabel("chromosome arm (left bar: cohort, right bar: reference)")
    ax.set_ylabel("fraction of samples\n(gain up, loss down)")
    ax.legend(fontsize=7, ncol=4, loc="upper right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig
