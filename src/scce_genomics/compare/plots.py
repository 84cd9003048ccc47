"""Comparison figures (matplotlib, Agg): spectra, gene forest plot, arm frequencies, reliability."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from scce_genomics.cosmic import SBS6_CHANNELS, SBS96_CHANNELS
from scce_genomics.fileio import atomic_path

__all__ = ["plot_arm_frequencies", "plot_gene_forest", "plot_reliability", "plot_spectra"]

_COLOURS = ("#03bcee", "#010101", "#e32926", "#cac9c9", "#a1ce63", "#ebc6c4")


def _save(fig: plt.Figure, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)


def _empty(path: str | Path, message: str) -> None:
    fig, ax = plt.subplots(figsize=(6, 1.5))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center")
    _save(fig, path)


def plot_spectra(profiles: dict[str, np.ndarray], path: str | Path) -> None:
    """One SBS96 panel per profile (fractions), cohort first, references converted to its assay."""
    if not profiles:
        _empty(path, "no SBS96 spectrum to plot")
        return
    order = sorted(range(96), key=lambda i: (SBS96_CHANNELS[i][2:5], SBS96_CHANNELS[i]))
    colours = [_COLOURS[SBS6_CHANNELS.index(SBS96_CHANNELS[i][2:5])] for i in order]
    fig, axes = plt.subplots(len(profiles), 1, figsize=(12, 1.8 * len(profiles)), sharex=True)
    axes = np.atleast_1d(axes)
    for ax, (name, prof) in zip(axes, profiles.items(), strict=True):
        total = float(np.sum(prof))
        frac = np.asarray(prof)[order] / total if total > 0 else np.zeros(96)
        ax.bar(range(96), frac, color=colours, width=0.8)
        ax.set_ylabel("fraction")
        ax.set_title(name, loc="left", fontsize=9)
    axes[-1].set_xticks(range(96))
    axes[-1].set_xticklabels([SBS96_CHANNELS[i] for i in order], rotation=90, fontsize=5)
    _save(fig, path)


def plot_gene_forest(genes: pd.DataFrame, reference: str, path: str | Path, top: int = 30) -> None:
    """Odds ratios (log scale) with exact CIs for the most significant genes vs ``reference``."""
    table = genes[(genes["reference"] == reference) & genes["odds_ratio"].notna()]
    if table.empty:
        _empty(path, f"no gene comparison with {reference}")
        return
    table = table.sort_values("p_value").head(top).iloc[::-1]
    est = table["odds_ratio"].astype(float).clip(1e-3, 1e3).to_numpy()
    lo = table["or_ci_low"].astype(float).clip(1e-3, 1e3).to_numpy()
    hi = table["or_ci_high"].astype(float).clip(1e-3, 1e3).to_numpy()
    y = np.arange(len(table))
    fig, ax = plt.subplots(figsize=(6, 0.3 * len(table) + 1.2))
    ax.hlines(y, lo, hi, color="grey")
    ax.scatter(est, y, color=np.where(table["fdr"] < 0.05, "#e32926", "black"), zorder=3)
    ax.axvline(1, ls="--", color="grey")
    ax.set_xscale("log")
    ax.set_yticks(y)
    ax.set_yticklabels(
        [f"{g} ({a}/{n} vs {c}/{m})" for g, a, n, c, m in zip(
            table["gene"], table["cohort_alt"], table["cohort_n"], table["ref_alt"],
            table["ref_n"], strict=True)],
        fontsize=7,
    )  # fmt: skip
    ax.set_xlabel(f"odds ratio, cohort vs {reference} (exact 95% CI; red: FDR < 0.05)")
    _save(fig, path)


def plot_arm_frequencies(
    cohort: pd.DataFrame, reference: pd.DataFrame, reference_name: str, path: str | Path
) -> None:
    """Gain (up) and loss (down) frequency per arm, cohort beside the reference."""
    arms = [a for a in reference["arm"] if a in set(cohort["arm"])]
    if not arms:
        _empty(path, f"no arm shared with {reference_name}")
        return
    c = cohort.set_index("arm").reindex(arms)
    r = reference.set_index("arm").reindex(arms)
    x = np.arange(len(arms))
    fig, ax = plt.subplots(figsize=(max(6, 0.3 * len(arms) + 2), 3.5))
    w = 0.4
    ax.bar(x - w / 2, c["gain_freq"], w, color="#e32926", label="cohort gain")
    ax.bar(x - w / 2, -c["loss_freq"], w, color="#03bcee", label="cohort loss")
    ax.bar(x + w / 2, r["gain_freq"], w, color="#e32926", alpha=0.4, label=f"{reference_name} gain")
    ax.bar(
        x + w / 2, -r["loss_freq"], w, color="#03bcee", alpha=0.4, label=f"{reference_name} loss"
    )
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xticks(x)
    ax.set_xticklabels(arms, rotation=90, fontsize=7)
    ax.set_ylabel("frequency (loss below 0)")
    ax.legend(fontsize=6, ncol=4, loc="upper right")
    _save(fig, path)


def plot_reliability(table: pd.DataFrame, title: str, path: str | Path) -> None:
    """Reliability diagram: observed accuracy against mean confidence per bin, with counts."""
    used = table[table["n"] > 0]
    if used.empty:
        _empty(path, "no out-of-fold prediction to draw")
        return
    fig, (ax, bx) = plt.subplots(
        2, 1, figsize=(4.5, 5.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfect calibration")
    centres = (used["bin_low"] + used["bin_high"]) / 2
    ax.bar(centres, used["accuracy"], width=0.09, color="#03bcee", alpha=0.6, label="accuracy")
    ax.plot(used["mean_confidence"], used["accuracy"], "o-", color="#010101", label="bins")
    ax.set_ylabel("observed accuracy")
    ax.set_ylim(0, 1)
    ax.set_title(title, fontsize=8, loc="left")
    ax.legend(fontsize=7, loc="upper left")
    bx.bar(centres, used["n"], width=0.09, color="grey")
    bx.set_xlabel("largest predicted probability (confidence)")
    bx.set_ylabel("tumors")
    bx.set_xlim(0, 1)
    _save(fig, path)
