"""CNVkit steps on degenerate input: no bins left after ``cnvkit.py fix``, no segments.

Real data can leave a tumor with nothing to segment (too little coverage or territory, every
bin dropped by ``fix``). CNVkit's ``scatter`` and ``diagram`` then stop with a traceback and
``call --vcf`` fails inside pandas on zero segments; the workflow instead writes what it can
(an empty call table, a figure saying "not computed" and why) and goes on to the report.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from scce_genomics.fileio import atomic_path

__all__ = ["NO_BINS", "placeholder_figure", "run_cnvkit", "table_rows"]

NO_BINS = (
    "no bins left after cnvkit fix (too little coverage or sequenced territory to measure "
    "copy number)"
)
#: cnvkit options that take a value, per name (the parts of a command line we need to read).
_VALUED = {"-s", "--segment", "-o", "--output", "-v", "--vcf", "-i", "--sample-id", "-n"}
_VALUED |= {"--normal-id", "--title", "-m", "--method", "--min-variant-depth", "--purity"}
_VALUED |= {"--center-at", "--sample-sex", "-x", "--ploidy", "-t", "--thresholds"}


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


def _options(argv: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """Positional arguments and valued options of a cnvkit command line."""
    positional: list[str] = []
    options: dict[str, str] = {}
    items = iter(argv)
    for item in items:
        if item in _VALUED:
            options[item] = next(items, "")
        elif not item.startswith("-"):
            positional.append(item)
    return positional, options


def _without(argv: Sequence[str], drop: set[str]) -> list[str]:
    kept: list[str] = []
    items = iter(argv)
    for item in items:
        if item in drop:
            next(items, None)
        else:
            kept.append(item)
    return kept


def run_cnvkit(command: str, argv: Sequence[str]) -> int:
    """Run ``cnvkit.py command argv``, or handle the degenerate input CNVkit cannot.

    ``call`` on zero segments runs without the B-allele VCF; ``scatter`` and ``diagram`` on
    zero bins or segments write a "not computed" figure. Each case leaves a note in the log.
    """
    positional, options = _options(argv)
    table = positional[0] if positional else ""
    argv = list(argv)
    if command == "call" and table and table_rows(table) == 0:
        if {"-v", "--vcf"} & set(options):
            print(f"note: {table}: {NO_BINS}; called without B-allele frequencies", file=sys.stderr)
            argv = _without(argv, {"-v", "--vcf", "-i", "--sample-id", "-n", "--normal-id"})
    elif command in ("scatter", "diagram"):
        segments = options.get("-s", options.get("--segment", ""))
        empty = any(path and table_rows(path) == 0 for path in (table, segments))
        output = options.get("-o", options.get("--output", ""))
        if empty and output:
            title = options.get("--title") or Path(table).name.split(".")[0]
            print(f"note: {table}: {NO_BINS}; {command} not drawn", file=sys.stderr)
            placeholder_figure(output, title, NO_BINS)
            return 0
    return subprocess.run(["cnvkit.py", command, *argv], check=False).returncode
