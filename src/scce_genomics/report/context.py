"""What every section view reads through: the stages' tables, the config, and the issue list.

A view asks the context for a contract file (``ctx.read``) and gets the table or the notice
saying why it is absent (the stage did not run, the file is empty or malformed); every notice
is also collected for the report's "What could not be computed" section. Tables and figures
made here are written once: each table's full copy goes to ``tables/<name>.tsv`` beside the
page, each figure is embedded as a PNG data URI.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
from matplotlib.figure import Figure as MplFigure

from scce_genomics.compare.references import resources_dir
from scce_genomics.fileio import write_tsv
from scce_genomics.report.elements import (
    Figure,
    Notice,
    Table,
    hoist_constant_columns,
    slug,
    table_rows,
)
from scce_genomics.report.plots import figure_to_data_uri

__all__ = ["DEFAULT_DRIVERS", "Context"]

#: Genes shown in the driver tables and oncoplot unless the config's ``report.drivers`` says
#: otherwise: recurrent ESCC drivers (TCGA 2017) and the SCLC/neuroendocrine set.
DEFAULT_DRIVERS: tuple[str, ...] = (
    "TP53", "RB1", "NOTCH1", "NOTCH2", "NOTCH3", "CDKN2A", "PIK3CA", "NFE2L2", "KMT2D", "KMT2C",
    "FAT1", "ZNF750", "EP300", "CREBBP", "TP63", "SOX2", "CCND1", "EGFR", "ERBB2", "FGFR1", "MYC",
    "MYCL", "MYCN", "KRAS", "PTEN", "FHIT", "ATM", "BRCA2", "KEAP1", "ARID1A", "FBXW7", "SMAD4",
    "MDM2", "CCNE1",
)  # fmt: skip

_STAGE_OF = {
    "qc": "QC",
    "somatic": "somatic calling",
    "cnv": "copy-number",
    "spectra": "spectra",
    "signatures": "signatures (spectra stage)",
    "compare": "comparison",
    "report": "versions",
    "reference": "reference preparation",
}

T = TypeVar("T")


def _comment_lines(path: Path) -> int:
    """Leading ``#`` lines (a MAF's ``#version 2.4``), skipped before the header."""
    n = 0
    with open(path, errors="replace") as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            n += 1
    return n


class Context:
    """The run being reported, its settings, and everything the views have made so far."""

    def __init__(self, results: Path, out: Path, config: dict[str, Any]) -> None:
        self.results = results
        self.out = out
        self.config = config
        self.tables_dir = out.parent / "tables"
        self.issues: list[Notice] = []
        self.table_names: set[str] = set()
        report_cfg = config.get("report", {}) or {}
        self.drivers = [str(g) for g in report_cfg.get("drivers", DEFAULT_DRIVERS)]
        self.oncoplot_max = int(report_cfg.get("oncoplot_max_genes", 30))
        cmp = config.get("comparison", {}) or {}
        self.target = str(cmp.get("target", "ESCC"))
        self.fdr = float(cmp.get("fdr", 0.05))
        # the cohort: set by the builder from the sample sheet before any view runs
        self.sheet = pd.DataFrame(columns=["sample", "patient", "type", "tissue"])
        self.pairing = pd.Series(dtype=object)
        self._cache: dict[str, pd.DataFrame | None] = {}

    @property
    def tumors(self) -> list[str]:
        return self.sheet.loc[self.sheet["type"] == "tumor", "sample"].astype(str).tolist()

    # -- inputs ---------------------------------------------------------------------------
    def rel(self, path: Path) -> str:
        """A path as the reader knows it: relative to the results folder's parent."""
        try:
            return str(path.relative_to(self.results.parent))
        except ValueError:
            return str(path)

    def issue(self, section: str, item: str, status: str, reason: str) -> Notice:
        """Record something not computed; return the notice shown in its place."""
        notice = Notice(section, item, status, reason)
        self.issues.append(notice)
        return notice

    def read(
        self, rel: str, section: str, item: str, columns: Iterable[str] = ()
    ) -> tuple[pd.DataFrame | None, Notice | None]:
        """A contract table, or None and the notice saying why it is not there."""
        path = self.results / rel
        stage = _STAGE_OF.get(rel.split("/")[0], rel.split("/")[0])
        if not path.is_file():
            why = (
                f"{self.rel(path)} is missing (the {stage} stage did not run or has not finished)."
            )
            return None, self.issue(section, item, "not run", why)
        if path.stat().st_size == 0:
            return None, self.issue(
                section, item, "empty output", f"{self.rel(path)} is an empty file."
            )
        if rel not in self._cache:
            try:
                self._cache[rel] = pd.read_csv(
                    path, sep="\t", skiprows=_comment_lines(path), low_memory=False
                )
            except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
                self._cache[rel] = None
                reason = f"{self.rel(path)}: {err}".splitlines()[0]
                return None, self.issue(section, item, "unreadable", reason)
        table = self._cache[rel]
        if table is None:
            return None, self.issue(
                section, item, "unreadable", f"{self.rel(path)} failed to parse."
            )
        missing = [c for c in columns if c not in table.columns]
        if missing:
            why = f"{self.rel(path)} lacks column(s) {', '.join(missing)}."
            return None, self.issue(section, item, "unexpected format", why)
        return table, None

    @staticmethod
    def optional_table(path: Path, header: int | None = 0) -> pd.DataFrame | None:
        """A table that may legitimately be absent (no notice): None when missing or bad."""
        if not path.is_file() or path.stat().st_size == 0:
            return None
        try:
            return pd.read_csv(path, sep="\t", header=header)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
            return None

    def reference_dirs(self) -> list[Path]:
        """Configured reference folders; relative ones not found here are looked up in the
        project."""
        cmp = self.config.get("comparison", {}) or {}
        found = []
        for entry in cmp.get("references", []):
            path = Path(entry)
            project = resources_dir().parent / path
            shipped = not path.exists() and not path.is_absolute() and project.exists()
            found.append(project if shipped else path)
        return found

    # -- output pieces --------------------------------------------------------------------
    def table(
        self, df: pd.DataFrame, name: str, max_rows: int = 2000, tsv: pd.DataFrame | None = None
    ) -> Table:
        """A table to show; its full copy (or ``tsv``) is written to ``tables/<name>.tsv``."""
        name = slug(name)
        base, k = name, 2
        while name in self.table_names:
            name, k = f"{base}-{k}", k + 1
        self.table_names.add(name)
        path = self.tables_dir / f"{name}.tsv"
        write_tsv(df if tsv is None else tsv, path)
        shown, hoisted = hoist_constant_columns(df)
        return Table(
            name=name,
            href=os.path.relpath(path, self.out.parent),
            columns=[str(c) for c in shown.columns],
            rows=table_rows(shown, max_rows),
            n_rows=len(df),
            hoisted=hoisted,
        )

    @staticmethod
    def figure(fig: MplFigure, alt: str) -> Figure:
        """A matplotlib figure embedded as PNG (the figure is closed)."""
        return Figure(figure_to_data_uri(fig), alt)

    def png_file(self, rel: str, alt: str) -> Figure | None:
        """A stage's own PNG, embedded; None when it is absent or not a PNG."""
        path = self.results / rel
        if not path.is_file() or path.stat().st_size == 0:
            return None
        data = path.read_bytes()
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            return None
        return Figure("data:image/png;base64," + base64.b64encode(data).decode("ascii"), alt)

    def guarded(self, section: str, item: str, make: Callable[..., T], *args: Any) -> T | Notice:
        """Run one piece; a malformed input becomes a notice instead of a failed report."""
        try:
            return make(*args)
        except (KeyError, ValueError, TypeError, IndexError) as err:
            return self.issue(section, item, "could not be drawn", f"{type(err).__name__}: {err}")
