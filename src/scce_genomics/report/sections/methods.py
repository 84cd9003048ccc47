"""Methods: software versions, the statistics and their assumptions, references, the config.

In: ``report/versions.tsv``, each configured reference's ``profile.yaml`` and PROVENANCE.md,
the run's config. Out: the data of ``templates/sections/methods.html.j2`` (the statistics are
prose in the template).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from scce_genomics.report.context import Context

__all__ = ["view"]

SECTION = "Methods"


def view(ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {}
    versions, out["versions_note"] = ctx.read(
        "report/versions.tsv", SECTION, "software versions", ["name", "version"]
    )
    if versions is not None:
        out["versions"] = ctx.table(versions, "versions")
    refs = ctx.reference_dirs()
    if not refs:
        out["references_note"] = ctx.issue(
            SECTION,
            "reference provenance",
            "not configured",
            "the config lists no comparison.references.",
        )
    rows = []
    provenance: dict[Path, str] = {}
    for ref in refs:
        rows.append(_reference_row(ctx, ref))
        for cand in (ref / "PROVENANCE.md", ref.parent / "PROVENANCE.md"):
            if cand.is_file() and cand.resolve() not in provenance:
                provenance[cand.resolve()] = cand.read_text(errors="replace")
                break
    if rows:
        out["references"] = ctx.table(pd.DataFrame(rows), "references")
    out["provenance"] = [(p.name, str(p.parent), text) for p, text in provenance.items()]
    if ctx.config:
        out["config"] = yaml.safe_dump(ctx.config, sort_keys=False, allow_unicode=True)
    else:
        out["config_note"] = ctx.issue(
            SECTION, "configuration", "not given", "no --config was passed."
        )
    return out


def _reference_row(ctx: Context, ref: Path) -> dict[str, object]:
    prof = ref / "profile.yaml"
    meta: dict[str, Any] = {}
    if prof.is_file():
        try:
            meta = yaml.safe_load(prof.read_text()) or {}
        except yaml.YAMLError:
            meta = {}
    else:
        ctx.issue(SECTION, f"reference {ref.name}", "not found", f"{prof} is missing.")
    n = meta.get("n_samples", {})
    return {
        "reference": meta.get("name", ref.name),
        "path": str(ref),
        "description": meta.get("description", "NA"),
        "build": meta.get("build", "NA"),
        "assay": meta.get("assay", "NA"),
        "samples": ", ".join(f"{k}: {v}" for k, v in n.items()) if isinstance(n, dict) else n,
        "sources": ", ".join(map(str, meta.get("sources", []))),
    }
