"""SBS96 spectrum and signature-exposure figures (matplotlib, headless).

Functions return the ``Figure`` so the report stage can embed it; ``save_figure`` writes a PNG.
Colours follow the usual six-class SBS layout so readers recognise the spectra at a glance.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from scce_genomics.cosmic import SBS6_CHANNELS, SBS96_CHANNELS
from scce_genomics.fileio import atomic_path

__all__ = ["SBS6_COLOURS", "plot_exposures", "plot_sbs96", "save_figure"]

#: C>A blue, C>G black, C>T red, T>A grey, T>C green, T>G pink.
SBS6_COLOURS: dict[str, str] = {
    "C>A": "#1EBFF0",
    "C>G": "#050708",
    "C>T": "#E62725",
    "T>A": "#CBCACB",
    "T>C": "#A1CF64",
    "T>G": "#EDC8C5",
}


def _sbs96_order() -> list[str]:
    """Channels grouped by substitution class (plot order), 5' then 3' base within a class."""
    return sorted(SBS96_CHANNELS, key=lambda c: (c[2:5], c[0], c[6]))


def plot_sbs96(
    matrix: pd.DataFrame,
    samples: list[str] | None = None,
    cohort: bool = True,
    fraction: bool = False,
) -> Figure:
    """One SBS96 bar panel per sample (and the pooled cohort), six-colour layout."""
    matrix = matrix.reindex(list(SBS96_CHANNELS)).fillna(0)
    columns = list(samples) if samples is not None else [str(c) for c in matrix.columns]
    panels = [(c, matrix[c]) for c in columns]
    if cohort and len(columns) > 1:
        panels.append(("cohort (pooled)", matrix[columns].sum(axis=1)))
    if not panels:
        panels = [("no samples", pd.Series(0.0, index=matrix.index))]
    order = _sbs96_order()
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(12, 2.2 * len(panels) + 0.6), squeeze=False, sharex=True
    )
    x = np.arange(96)
    colours = [SBS6_COLOURS[c[2:5]] for c in order]
    for ax, (name, counts) in zip(axes[:, 0], panels, strict=True):
        values = counts.reindex(order).to_numpy(dtype=float)
        total = values.sum()
        if fraction and total > 0:
            values = values / total
        ax.bar(x, values, color=colours, width=0.8, edgecolor="none")
        ax.set_xlim(-0.6, 95.6)
        ax.set_ylabel("fraction" if fraction else "mutations")
        ax.set_title(f"{name}  (n = {int(total):,} SBS)", loc="left", fontsize=9, pad=14)
        top = values.max() if values.max() > 0 else 1.0
        ax.set_ylim(0, top * 1.18)
        for i, sub in enumerate(SBS6_CHANNELS):
            ax.axhspan(
                top * 1.08,
                top * 1.16,
                xmin=(i * 16) / 96,
                xmax=(i * 16 + 15.6) / 96,
                color=SBS6_COLOURS[sub],
            )
            ax.text(i * 16 + 7.5, top * 1.17, sub, ha="center", va="bottom", fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
    bottom = axes[-1, 0]
    bottom.set_xticks(x)
    bottom.set_xticklabels(
        [f"{c[0]}{c[2]}{c[6]}" for c in order], rotation=90, fontsize=5, family="monospace"
    )
    bottom.set_xlabel("trinucleotide context (pyrimidine reference), grouped by substitution")
    fig.tight_layout()
    return fig


def plot_exposures(exposures: pd.DataFrame, min_fraction: float = 0.0) -> Figure:
    """Exposure bars with bootstrap 95% CIs, one panel per sample (the long exposures table)."""
    table = exposures.copy()
    keep = table.groupby("signature")["fraction"].transform("max") > min_fraction
    keep |= table.groupby("signature")["ci_high"].transform("max") > 0
    table = table[keep]
    samples = list(dict.fromkeys(table["sample"]))
    n = max(len(samples), 1)
    fig, axes = plt.subplots(n, 1, figsize=(10, 2.0 * n + 0.8), squeeze=False, sharex=True)
    signatures = list(dict.fromkeys(table["signature"]))
    x = np.arange(len(signatures))
    for ax, sample in zip(axes[:, 0], samples or ["no samples"], strict=True):
        rows = table[table["sample"] == sample].set_index("signature").reindex(signatures)
        exp = rows["exposure"].fillna(0).to_numpy(dtype=float)
        lo = rows["ci_low"].fillna(0).to_numpy(dtype=float)
        hi = rows["ci_high"].fillna(0).to_numpy(dtype=float)
        err = np.vstack([np.clip(exp - lo, 0, None), np.clip(hi - exp, 0, None)])
        ax.bar(x, exp, color="#4477AA", width=0.7)
        ax.errorbar(x, exp, yerr=err, fmt="none", ecolor="black", capsize=2, linewidth=0.8)
        flag = str(rows["flag"].dropna().iloc[0]) if rows["flag"].notna().any() else ""
        n_mut = (
            int(rows["n_mutations"].dropna().iloc[0]) if rows["n_mutations"].notna().any() else 0
        )
        cos = float(rows["cosine"].dropna().iloc[0]) if rows["cosine"].notna().any() else 0.0
        note = f"{sample}  n = {n_mut:,}, cosine {cos:.3f}" + (
            "" if flag in ("ok", "") else f" [{flag}]"
        )
        ax.set_title(note, loc="left", fontsize=9)
        ax.set_ylabel("mutations")
        ax.spines[["top", "right"]].set_visible(False)
    axes[-1, 0].set_xticks(x)
    axes[-1, 0].set_xticklabels(signatures, rotation=90, fontsize=8)
    axes[-1, 0].set_xlabel("COSMIC signature (bars: NNLS exposure; whiskers: bootstrap 95% CI)")
    fig.tight_layout()
    return fig


def save_figure(fig: Figure, path: str | Path, dpi: int = 120) -> None:
    """Write a PNG atomically and release the figure."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    plt.close(fig)
