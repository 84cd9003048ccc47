"""What could not be computed: every notice the other views raised, in one table.

Built after every other section (it lists their notices) and shown first. Out: the data of
``templates/sections/not_computed.html.j2`` and ``tables/not_computed.tsv``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pandas as pd

from scce_genomics.fileio import write_tsv
from scce_genomics.report.context import Context

__all__ = ["COLUMNS", "issues_table", "view"]

COLUMNS = ["section", "item", "status", "reason"]


def issues_table(ctx: Context) -> pd.DataFrame:
    return pd.DataFrame([asdict(n) for n in ctx.issues], columns=[*COLUMNS, "kind"])[COLUMNS]


def view(ctx: Context) -> dict[str, Any]:
    table = issues_table(ctx).drop_duplicates()
    if table.empty:
        write_tsv(table, ctx.tables_dir / "not_computed.tsv")
        return {"n": 0}
    return {"n": len(table), "table": ctx.table(table, "not_computed")}
