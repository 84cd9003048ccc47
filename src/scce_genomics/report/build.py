"""One self-contained HTML report of a run, built from the stages' contract files.

The report is read by two people: a researcher who wants the answer (is the cohort ESCC-like,
which drivers, which signatures) and a reviewer who wants to check how it was reached. So it
embeds every figure (base64 PNG) and style, needs no network, writes every table it shows as a
TSV next to it, and says for every piece it could not compute what was missing and why (a stage
that did not run, an empty output, a tumor without mutations), instead of failing.

Each section is a view (``report/sections/``, data only) and a Jinja2 template
(``report/templates/``, markup only); this module runs the views and renders the page.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2
import yaml

from scce_genomics import __version__
from scce_genomics.errors import InputError
from scce_genomics.fileio import atomic_open
from scce_genomics.report.cohort import load_cohort
from scce_genomics.report.context import Context
from scce_genomics.report.elements import Notice, format_cell
from scce_genomics.report.sections import SECTIONS, Section
from scce_genomics.report.sections import not_computed as _not_computed

__all__ = ["NOT_COMPUTED", "build_report", "load_config", "render_page"]

#: Built after every other section (it lists their notices), shown first.
NOT_COMPUTED = Section(
    "not-computed", "Not computed", "What could not be computed", _not_computed.view
)


def load_config(paths: Iterable[str | Path] = (), inline: str | None = None) -> dict[str, Any]:
    """Merge YAML/JSON config files (later ones win, nested keys merged), then inline JSON."""

    def merge(base: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        for key, value in new.items():
            if isinstance(value, dict) and isinstance(base.get(key), dict):
                merge(base[key], value)
            else:
                base[key] = value
        return base

    config: dict[str, Any] = {}
    for path in paths:
        try:
            data = yaml.safe_load(Path(path).read_text())
        except (OSError, yaml.YAMLError) as err:
            raise InputError(f"cannot read the config: {err}", path) from None
        if data is not None and not isinstance(data, dict):
            raise InputError("the config must be a YAML mapping", path)
        merge(config, data or {})
    if inline:
        try:
            data = json.loads(inline)
        except json.JSONDecodeError as err:
            raise InputError(f"--config-json is not valid JSON: {err}") from None
        if not isinstance(data, dict):
            raise InputError("--config-json must be a JSON object")
        merge(config, data)
    return config


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("scce_genomics.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.tests["notice"] = lambda value: isinstance(value, Notice)
    env.filters["fmt"] = lambda value: format_cell(value)[0]
    return env


def _run(ctx: Context, section: Section) -> dict[str, Any]:
    """A section's view data and, for per-tumor sections, each tumor's panels (all guarded)."""
    data = ctx.guarded(section.nav, section.title, section.view, ctx)
    tumors = {
        tumor: {
            p.id: ctx.guarded(f"Per sample: {tumor}", p.title or p.id, p.view, ctx, tumor)
            for p in section.panels
        }
        for tumor in (ctx.tumors if section.panels else [])
    }
    return {"section": section, "v": data, "tumors": tumors}


def render_page(sections: list[dict[str, Any]], **page: Any) -> str:
    """The HTML page of run sections (see ``_run``); ``page`` fills the header."""
    return _environment().get_template("page.html.j2").render(sections=sections, **page)


def build_report(
    results: str | Path,
    out: str | Path,
    config: dict[str, Any] | None = None,
    samples: str | Path | None = None,
) -> dict[str, Any]:
    """Write the HTML report and its tables; return what was built and what was not.

    ``results`` is the run's output folder (the file contract's root); ``out`` the HTML path,
    whose ``tables/`` sibling receives every table as TSV. Missing inputs never raise: they are
    listed in the "What could not be computed" section and in ``tables/not_computed.tsv``.
    """
    results, out = Path(results), Path(out)
    config = dict(config or {})
    ctx = Context(results, out, config)
    load_cohort(ctx, samples)
    sections = [_run(ctx, section) for section in SECTIONS]
    sections.insert(0, _run(ctx, NOT_COMPUTED))
    page = render_page(
        sections,
        title=str((config.get("report", {}) or {}).get("title", "SCCE genomic profile")),
        version=__version__,
        results=str(results),
        n_samples=len(ctx.sheet),
        stamp=_dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    )
    with atomic_open(out) as handle:
        handle.write(page)
    return {
        "html": out,
        "tables": sorted(ctx.table_names | {"not_computed"}),
        "issues": _not_computed.issues_table(ctx),
    }
