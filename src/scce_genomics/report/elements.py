"""What a section view hands its template: notices, tables and figures as plain data.

Views never write HTML; the templates' macros (``templates/macros.html.j2``) turn these into
markup. Keeping the formatting of a cell (thousands separators, ``NA``, sort keys) here means
every table of the report reads numbers the same way.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "STATUS_COLUMNS",
    "Cell",
    "Figure",
    "Notice",
    "Table",
    "format_cell",
    "hoist_constant_columns",
    "is_missing",
    "slug",
    "table_rows",
    "text_or_na",
]

#: Columns whose values are statuses coloured by the stylesheet (``s-<value>`` classes).
STATUS_COLUMNS = frozenset({"verdict", "call", "flag", "sex_check"})


@dataclass(frozen=True)
class Notice:
    """Something the report could not compute, shown where it would have been."""

    section: str
    item: str
    status: str
    reason: str
    kind: str = "notice"


@dataclass(frozen=True)
class Figure:
    """An embedded PNG (``data:`` URI) and its alternative text."""

    uri: str
    alt: str
    kind: str = "figure"


@dataclass(frozen=True)
class Cell:
    text: str
    key: str | None = None  # numeric sort key; None for text
    status: str | None = None  # slug of a status value (pass, gain, ESCC-like, ...)
    title: str | None = None  # full text of a cell cut for display


@dataclass(frozen=True)
class Table:
    """A sortable, filterable table whose full copy was written as ``href`` (TSV)."""

    name: str
    href: str
    columns: list[str]
    rows: list[list[Cell]]
    n_rows: int
    hoisted: list[tuple[str, str]] = field(default_factory=list)
    kind: str = "table"

    @property
    def truncated(self) -> bool:
        return self.n_rows > len(self.rows)


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"


def is_missing(value: object) -> bool:
    """NA in any of the forms a TSV read by pandas gives it (None, NaN, pd.NA, "NA", "nan")."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(float(value))
    return isinstance(value, str) and value.strip() in ("", "NA", "nan", "NaN")


def text_or_na(value: object) -> str:
    return "NA" if is_missing(value) else str(value)


def format_cell(value: object) -> tuple[str, str | None]:
    """Display text and numeric sort key of one cell."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "NA", None
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)), None
    if isinstance(value, (int, np.integer)):
        number = int(value)
        return (f"{number:,}" if abs(number) >= 10000 else str(number)), str(number)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if math.isnan(f):
            return "NA", None
        if math.isinf(f):
            return ("∞" if f > 0 else "−∞"), ("1e308" if f > 0 else "-1e308")
        if f == int(f) and abs(f) < 1e7:
            return str(int(f)), repr(f)
        text = f"{f:.3g}" if abs(f) < 1e-3 or abs(f) >= 1e5 else f"{f:.3f}".rstrip("0")
        return text.rstrip("."), repr(f)
    return str(value), None


def table_rows(df: pd.DataFrame, max_rows: int) -> list[list[Cell]]:
    """Display cells of the first ``max_rows`` rows: long text cut (full text kept as title)."""
    status_cols = [c in STATUS_COLUMNS or str(c).endswith("verdict") for c in df.columns]
    rows = []
    for record in df.head(max_rows).itertuples(index=False):
        cells = []
        for is_status, value in zip(status_cols, record, strict=True):
            text, key = format_cell(value)
            title = None
            status = slug(text) if is_status else None
            if len(text) > 80:  # e.g. a frameshift's protein change: full text on hover
                title, text = text, text[:77] + "…"
            cells.append(Cell(text, key, status, title))
        rows.append(cells)
    return rows


def hoist_constant_columns(df: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Long text repeated on every row (test names, methods) is stated once under the table."""
    hoisted: list[tuple[str, str]] = []
    if len(df) > 1:
        for col in df.columns:
            values = df[col].dropna().astype(str).unique()
            if len(values) == 1 and len(values[0]) > 15 and df[col].notna().all():
                hoisted.append((str(col), values[0]))
    return df.drop(columns=[c for c, _ in hoisted]), hoisted
