"""One checked reader for the tables this stage reads back (sites, counts, baseline, inputs).

A wrong or truncated file then fails in one way: a one-line error naming the file, what it
should have been and how to make it, never a KeyError deep inside a score.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from scce_genomics.errors import InputError

__all__ = ["read_checked"]


def read_checked(
    path: str | Path, what: str, columns: Sequence[str], hint: str = "", text: str = "chrom"
) -> pd.DataFrame:
    """A TSV with at least ``columns`` (the ``text`` column read as strings).

    ``what`` names the table in the message ("microsatellite sites"), ``hint`` says how to
    make a right one.
    """
    try:
        table = pd.read_csv(path, sep="\t", dtype={text: str})
    except (OSError, pd.errors.EmptyDataError, pd.errors.ParserError) as err:
        raise InputError(f"cannot read the {what} ({err})", path) from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        advice = f"; {hint}" if hint else ""
        raise InputError(f"the {what} lacks columns {', '.join(missing)}{advice}", path)
    return table
