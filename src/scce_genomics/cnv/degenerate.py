"""CNVkit steps on degenerate input: no bins left after ``cnvkit.py fix``, no segments.

Real data can leave a tumor with nothing to segment (too little coverage or territory, every
bin dropped by ``fix``). CNVkit's ``scatter`` and ``diagram`` then stop with a traceback and
``call --vcf`` fails inside pandas on zero segments; ``cnv-tumor`` instead writes what it can
(a call table on depth alone, a figure saying "not computed" and why) and goes on.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from scce_genomics.fileio import atomic_path

__all__ = ["NO_BINS", "placeholder_figure", "table_rows"]

NO_BINS = (
    "no bins left after cnvkit fix (too little coverage or sequenced territory to measure "
    "copy number)"
)


def table_rows(path: str | Path) -> int:
    """Data rows of a CNVkit table (header excluded)."""
    with open(path) as handle:
        return max(0, sum(1 for line in handle if line.strip()) - 1)


def placeholder_figure(path: str | Path, title: str, reason: str) -> None:
    """A figure that says, where the plot would be, why it was not drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 2.5))
    ax.axis("off")
    ax.text(0.5, 0.62, title, ha="center", va="center", fontsize=13, weight="bold")
    text = "\n".join(textwrap.wrap(f"not computed: {reason}", 70))
    ax.text(0.5, 0.3, text, ha="center", va="center")
    suffix = Path(path).suffix
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=suffix.lstrip(".") or "png")
    plt.close(fig)
