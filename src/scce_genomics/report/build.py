"""One self-contained HTML report of a run, built from the stages' contract files.

The report is read by two people: a researcher who wants the answer (is the cohort ESCC-like,
which drivers, which signatures) and a reviewer who wants to check how it was reached. So it
embeds every figure (base64 PNG) and style, needs no network, writes every table it shows as a
TSV next to it, and says for every piece it could not compute what was missing and why (a stage
that did not run, an empty output, a tumor without mutations), instead of failing.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from string import Template
from typing import Any

import numpy as np
import pandas as pd
import yaml

from scce_genomics import __version__
from scce_genomics.compare.references import resources_dir
from scce_genomics.errors import InputError
from scce_genomics.fileio import atomic_open, write_tsv
from scce_genomics.report.plots import (
    figure_to_data_uri,
    plot_arm_frequencies,
    plot_cnv_genome,
    plot_exposure_bars,
    plot_forest,
    plot_oncoplot,
    plot_spectra_profiles,
)
from scce_genomics.samples import load_samples, tumor_normal_pairs
from scce_genomics.somatic.maf import NON_SILENT
from scce_genomics.spectra.plots import plot_exposures, plot_sbs96

__all__ = [
    "DEFAULT_DRIVERS",
    "NON_SILENT",
    "build_report",
    "load_config",
]

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

_STATISTICS_TEXT = """
<p><b>Signature exposures.</b> Each tumor's SBS96 catalogue is fitted by non-negative least
squares to COSMIC signatures chosen by forward/backward selection on the reconstruction cosine.
95% intervals come from a multinomial bootstrap of the tumor's own mutations, refitted with the
same signatures. Assumes mutations are independent draws from a mixture of the fitted
signatures; with few mutations (flag <code>low_mutation_count</code>) the intervals are wide and
exposures should not be read alone.</p>
<p><b>Spectrum and profile similarity.</b> Cosine similarity (spectra, signature groups) or
Pearson correlation (gene and copy-number frequency profiles) between the cohort and each
reference, with percentile bootstrap intervals (samples resampled). Reference exome spectra are
converted to the cohort's trinucleotide abundance first. <i>Typicality</i>
(<code>p_typical</code>) ranks the cohort's similarity among same-size pseudo-cohorts drawn
from the reference: it assumes the reference samples are exchangeable with the cohort's, which
sequencing assay, purity and caller differences can violate.</p>
<p><b>Per-feature tests.</b> Gene, arm and focal event frequencies and signature presence are
compared with two-sided Fisher exact tests (conditional maximum-likelihood odds ratio with exact
95% CI, as maftools <code>mafCompare</code>); signature fractions with two-sided Mann–Whitney U
and a bootstrap CI of the difference in means. P values are corrected by Benjamini–Hochberg
within each reference and family (FDR level in the config). Fisher tests assume independent
patients and a fixed margin; small cohorts give wide intervals and little power, so a
non-significant result is not evidence of similarity.</p>
<p><b>Verdict.</b> Symmetric by design: a family is "T-like" when the target reference T is the
closest with bootstrap support ≥ <code>min_support</code> and the cohort is typical of T
(<code>p_typical</code> ≥ <code>alpha</code>); "not T-like" when the support is
≤ 1 − <code>min_support</code> and <code>p_typical</code> &lt; <code>alpha</code>; otherwise
inconclusive. The overall verdict is T-like when at least one family is and none is not,
mirrored for "not T-like".</p>
<p><b>Copy number.</b> Segments from CNVkit (circular binary segmentation); arm calls are
length-weighted mean segment log2 per arm, compared with the reference at the reference's own
cut-off. TMB is the number of PASS somatic SNVs and indels per callable megabase.</p>
"""

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;color:#222;
line-height:1.45;background:#fafafa}
header{background:#1d3557;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:1.6em}
header p{margin:2px 0;opacity:.9}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;padding:6px 28px;z-index:5;
font-size:.92em}nav a{margin-right:14px;color:#1d3557;text-decoration:none}
main{padding:10px 28px 40px;max-width:1400px}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:6px 20px 16px;
margin:16px 0}
h2{color:#1d3557;border-bottom:2px solid #e3e3e3;padding-bottom:4px}h3{color:#264b73}
img{max-width:100%;height:auto;display:block;margin:8px 0}
figure{margin:10px 0}figcaption{font-size:.88em;color:#555;max-width:1000px}
.na{background:#fff4e5;border-left:4px solid #f0a030;padding:6px 10px;margin:8px 0;
font-size:.92em}
.verdict{font-size:1.25em;padding:10px 14px;border-radius:6px;display:inline-block;margin:8px 0}
.v-like{background:#d8f0d8}.v-not{background:#f9dada}.v-inc{background:#eee}
table.data{border-collapse:collapse;font-size:.84em;margin:6px 0 4px}
table.data th,table.data td{border:1px solid #ddd;padding:3px 7px;text-align:left;
vertical-align:top}
table.data th{background:#f0f3f7;cursor:pointer;user-select:none;position:sticky;top:0}
table.data th.asc:after{content:" \\25B2"}table.data th.desc:after{content:" \\25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.tbl{overflow-x:auto;max-height:560px;overflow-y:auto;margin-bottom:10px}
.tools{font-size:.85em;margin:4px 0}.tools input{padding:2px 6px;width:220px}
.s-pass,.s-ESCC-like,.s-ok{background:#d8f0d8}.s-warn,.s-inconclusive{background:#fff1c2}
.s-fail,.s-not-ESCC-like{background:#f9dada}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #ddd;border-radius:6px;
padding:6px 12px;background:#f7f9fc;min-width:120px}.card b{display:block;font-size:1.3em}
pre{background:#f4f4f4;padding:8px;overflow-x:auto;font-size:.8em;max-height:420px}
details{margin:6px 0}summary{cursor:pointer;color:#1d3557}
"""

# Runs first: records script errors, failed resources and console.error calls in the page.
_HEAD_JS = """
window.__reportErrors=[];
window.addEventListener('error',function(e){var t=e.target||{};
 window.__reportErrors.push(e.message?String(e.message):
  'resource failed: '+(t.src||t.href||t.tagName));
},true);
(function(){var ce=console.error;console.error=function(){
 window.__reportErrors.push(Array.prototype.map.call(arguments,String).join(' '));
 return ce.apply(console,arguments);};})();
"""

# Sortable/filterable tables, and the self-check the browser test reads back from the DOM.
_BODY_JS = """
(function(){
function val(td){var v=td.getAttribute('data-v');return v===null?td.textContent:v;}
function sortBy(th){var table=th.closest('table'),body=table.tBodies[0],
 idx=Array.prototype.indexOf.call(th.parentNode.children,th),asc=!th.classList.contains('asc');
 Array.prototype.forEach.call(th.parentNode.children,function(h){h.classList.remove('asc','desc');});
 th.classList.add(asc?'asc':'desc');
 var rows=Array.prototype.slice.call(body.rows);
 rows.sort(function(a,b){var x=val(a.cells[idx]),y=val(b.cells[idx]),
  nx=parseFloat(x),ny=parseFloat(y),c;
  if(!isNaN(nx)&&!isNaN(ny)&&String(nx)===x.trim()&&String(ny)===y.trim()){c=nx-ny;}
  else{c=x.localeCompare(y,undefined,{numeric:true});}
  return asc?c:-c;});
 rows.forEach(function(r){body.appendChild(r);});}
document.querySelectorAll('table.data th').forEach(function(th){
 th.addEventListener('click',function(){sortBy(th);});});
document.querySelectorAll('input.filter').forEach(function(inp){
 inp.addEventListener('input',function(){var q=inp.value.toLowerCase(),
  t=document.getElementById(inp.getAttribute('data-table'));
  Array.prototype.forEach.call(t.tBodies[0].rows,function(r){
   r.style.display=r.textContent.toLowerCase().indexOf(q)>=0?'':'none';});});});
window.addEventListener('load',function(){
 var imgs=document.images,broken=[];
 for(var i=0;i<imgs.length;i++){if(!imgs[i].complete||imgs[i].naturalWidth===0){
  broken.push(imgs[i].getAttribute('alt')||('image '+i));}}
 var s=document.getElementById('report-selfcheck');
 s.setAttribute('data-images',String(imgs.length));
 s.setAttribute('data-broken',String(broken.length));
 s.setAttribute('data-errors',String(window.__reportErrors.length));
 s.textContent=JSON.stringify({broken:broken,errors:window.__reportErrors});
 s.setAttribute('data-state','done');});
})();
"""

_PAGE = Template("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<script>$head_js</script>
<style>$css</style></head>
<body>
<header><h1>$title</h1><p>$subtitle</p></header>
<nav>$nav</nav>
<main>
$sections
</main>
<div id="report-selfcheck" hidden data-state="pending"></div>
<script>$body_js</script>
</body></html>
""")


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"


def _fmt(value: object) -> tuple[str, str | None]:
    """Display text and numeric sort key of one cell."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "NA", None
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)), None
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}" if abs(int(value)) >= 10000 else str(int(value)), str(int(value))
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if np.isinf(f):
            return ("∞" if f > 0 else "−∞"), ("1e308" if f > 0 else "-1e308")
        if f == int(f) and abs(f) < 1e7:
            return str(int(f)), repr(f)
        text = f"{f:.3g}" if abs(f) < 1e-3 or abs(f) >= 1e5 else f"{f:.3f}".rstrip("0")
        return text.rstrip("."), repr(f)
    return str(value), None


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


class _Builder:
    """Collects sections, figures, tables and the list of what could not be computed."""

    def __init__(self, results: Path, out: Path, config: dict[str, Any]) -> None:
        self.results = results
        self.out = out
        self.config = config
        self.tables_dir = out.parent / "tables"
        self.issues: list[dict[str, str]] = []
        self.table_names: set[str] = set()
        report_cfg = config.get("report", {}) or {}
        self.drivers = [str(g) for g in report_cfg.get("drivers", DEFAULT_DRIVERS)]
        self.oncoplot_max = int(report_cfg.get("oncoplot_max_genes", 30))
        cmp = config.get("comparison", {}) or {}
        self.target = str(cmp.get("target", "ESCC"))
        self.fdr = float(cmp.get("fdr", 0.05))
        self._cache: dict[str, pd.DataFrame | None] = {}

    # -- inputs ---------------------------------------------------------------------------
    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.results.parent))
        except ValueError:
            return str(path)

    def issue(self, section: str, item: str, status: str, reason: str) -> str:
        """Record something not computed; return the HTML notice shown in its place."""
        self.issues.append({"section": section, "item": item, "status": status, "reason": reason})
        return f'<p class="na"><b>{_esc(item)}: {_esc(status)}.</b> {_esc(reason)}</p>'

    def read(
        self, rel: str, section: str, item: str, columns: Iterable[str] = ()
    ) -> tuple[pd.DataFrame | None, str]:
        """A contract table, or None and the notice saying why it is not there."""
        path = self.results / rel
        stage = _STAGE_OF.get(rel.split("/")[0], rel.split("/")[0])
        if not path.is_file():
            return None, self.issue(
                section,
                item,
                "not run",
                f"{self.rel(path)} is missing (the {stage} stage did not run or has not finished).",
            )
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
                return None, self.issue(
                    section, item, "unreadable", f"{self.rel(path)}: {err}".splitlines()[0]
                )
        table = self._cache[rel]
        if table is None:
            return None, self.issue(
                section, item, "unreadable", f"{self.rel(path)} failed to parse."
            )
        missing = [c for c in columns if c not in table.columns]
        if missing:
            return None, self.issue(
                section,
                item,
                "unexpected format",
                f"{self.rel(path)} lacks column(s) {', '.join(missing)}.",
            )
        return table, ""

    # -- output pieces --------------------------------------------------------------------
    def table(
        self,
        df: pd.DataFrame,
        name: str,
        caption: str = "",
        max_rows: int = 2000,
        tsv: pd.DataFrame | None = None,
    ) -> str:
        """An HTML sortable/filterable table; the full table (or ``tsv``) goes to tables/."""
        name = _slug(name)
        base, k = name, 2
        while name in self.table_names:
            name, k = f"{base}-{k}", k + 1
        self.table_names.add(name)
        write_tsv(df if tsv is None else tsv, self.tables_dir / f"{name}.tsv")
        n_rows = len(df)
        # long text repeated on every row (test names, methods) is stated once under the table
        hoisted = []
        if len(df) > 1:
            for col in list(df.columns):
                values = df[col].dropna().astype(str).unique()
                if len(values) == 1 and len(values[0]) > 15 and df[col].notna().all():
                    hoisted.append((col, values[0]))
            df = df.drop(columns=[c for c, _ in hoisted])
        tsv_href = os.path.relpath(self.tables_dir / f"{name}.tsv", self.out.parent)
        head = "".join(f"<th>{_esc(c)}</th>" for c in df.columns)
        rows = []
        for record in df.head(max_rows).itertuples(index=False):
            cells = []
            for col, value in zip(df.columns, record, strict=True):
                text, key = _fmt(value)
                cls = []
                if key is not None:
                    cls.append("num")
                if col in ("verdict", "call", "flag", "sex_check") or str(col).endswith("verdict"):
                    cls.append("s-" + _slug(text))
                attr = f' class="{" ".join(cls)}"' if cls else ""
                data = f' data-v="{_esc(key)}"' if key is not None else ""
                if len(text) > 80:  # e.g. a frameshift's protein change: full text on hover
                    attr += f' title="{_esc(text)}"'
                    text = text[:77] + "…"
                cells.append(f"<td{attr}{data}>{_esc(text)}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        more = (
            f"<p class='tools'>Showing {max_rows} of {len(df)} rows; all rows in the TSV.</p>"
            if len(df) > max_rows
            else ""
        )
        more += "".join(
            f"<p class='tools'><b>{_esc(c)}</b> (every row): {_esc(v)}</p>" for c, v in hoisted
        )
        cap = f"<figcaption>{caption}</figcaption>" if caption else ""
        return (
            f'<div class="tools"><input class="filter" data-table="t-{name}" '
            f'placeholder="filter rows…" aria-label="filter {name}"> '
            f'<a href="{_esc(tsv_href)}">{_esc(name)}.tsv</a> ({n_rows} rows)</div>'
            f'<div class="tbl"><table class="data" id="t-{name}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>{more}{cap}"
        )

    @staticmethod
    def figure(uri: str, alt: str, caption: str = "") -> str:
        cap = f"<figcaption>{caption}</figcaption>" if caption else ""
        return f'<figure><img src="{uri}" alt="{_esc(alt)}">{cap}</figure>'

    def png_file(self, rel: str) -> str | None:
        """A stage's own PNG as a data URI, or None when it is absent or not a PNG."""
        path = self.results / rel
        if not path.is_file() or path.stat().st_size == 0:
            return None
        data = path.read_bytes()
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            return None
        return "data:image/png;base64," + base64.b64encode(data).decode("ascii")

    def guarded(self, section: str, item: str, draw: Callable[..., str], *args: Any) -> str:
        """Run one piece; a malformed input becomes a notice instead of a failed report."""
        try:
            return draw(*args)
        except (KeyError, ValueError, TypeError, IndexError) as err:
            return self.issue(section, item, "could not be drawn", f"{type(err).__name__}: {err}")


def _comment_lines(path: Path) -> int:
    """Leading ``#`` lines (a MAF's ``#version 2.4``), skipped before the header."""
    n = 0
    with open(path, errors="replace") as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            n += 1
    return n


def _sample_sheet(builder: _Builder, samples_path: str | Path | None) -> pd.DataFrame:
    """Samples from the sheet, else from the QC table, else empty (with a notice)."""
    if samples_path:
        sheet = load_samples(samples_path)
        cols = ["sample", "patient", "type", "tissue", "purity", "sex"]
        return sheet[[c for c in cols if c in sheet.columns]].reset_index(drop=True)
    qc, _ = builder.read("qc/qc_table.tsv", "Cohort overview", "sample list", ["sample"])
    if qc is None:
        return pd.DataFrame(columns=["sample", "patient", "type", "tissue"])
    builder.issue(
        "Cohort overview",
        "tumor–normal pairing",
        "not available",
        "no sample sheet was given (--samples): samples are taken from qc/qc_table.tsv and "
        "their patients are unknown.",
    )
    sheet = qc[[c for c in ("sample", "type", "tissue") if c in qc.columns]].copy()
    sheet["patient"] = ""
    if "type" not in sheet.columns:
        sheet["type"] = "tumor"
    return sheet


def _pairing(sheet: pd.DataFrame) -> pd.Series:
    """'tumor–normal (N)', 'tumor-only' or 'normal of T1, T2' per sample."""
    out = pd.Series("", index=sheet["sample"].astype(str), dtype=object)
    if sheet.empty:
        return out
    if (sheet["patient"].astype(str) == "").all():
        return pd.Series("unknown (no sample sheet)", index=out.index, dtype=object)
    pairs = tumor_normal_pairs(sheet)
    for tumor, normal in zip(pairs["tumor"], pairs["normal"], strict=True):
        out[tumor] = f"tumor–normal ({normal})" if normal else "tumor-only"
    for normal, group in pairs[pairs["normal"] != ""].groupby("normal"):
        out[str(normal)] = "normal of " + ", ".join(group["tumor"])
    for sample in sheet.loc[sheet["type"] == "normal", "sample"]:
        if not out[sample]:
            out[sample] = "normal without tumor"
    return out


def _tissue_qc_tables(builder: _Builder) -> list[tuple[str, pd.DataFrame]]:
    """Per-sample tables other QC steps left in qc/ (FFPE damage, identity, ...)."""
    found: list[tuple[str, pd.DataFrame]] = []
    qc_dir = builder.results / "qc"
    if not qc_dir.is_dir():
        return found
    for path in sorted(qc_dir.glob("*.tsv")) + sorted(qc_dir.glob("*/cohort.tsv")):
        if path.name == "qc_table.tsv" or path.stat().st_size == 0:
            continue
        try:
            table = pd.read_csv(path, sep="\t")
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
            builder.issue("Cohort overview", path.name, "unreadable", f"{builder.rel(path)}")
            continue
        if "sample" in table.columns or "tumor" in table.columns:
            found.append((str(path.relative_to(qc_dir).with_suffix("")), table))
    return found


def _overview(b: _Builder, sheet: pd.DataFrame, pairing: pd.Series) -> str:
    parts = ["<h2>Cohort overview</h2>"]
    tumors = sheet.loc[sheet["type"] == "tumor", "sample"].astype(str).tolist()
    n_to = sum(1 for t in tumors if pairing.get(t) == "tumor-only")
    n_pairs = sum(1 for t in tumors if str(pairing.get(t, "")).startswith("tumor–normal"))
    unknown = any(str(pairing.get(t, "")).startswith("unknown") for t in tumors)
    tissues = (
        ", ".join(f"{k}: {v}" for k, v in sheet["tissue"].astype(str).value_counts().items())
        if "tissue" in sheet.columns
        else "NA"
    )
    parts.append(
        '<div class="cards">'
        f"<div class='card'><b>{len(sheet)}</b>samples</div>"
        f"<div class='card'><b>{len(tumors)}</b>tumors</div>"
        f"<div class='card'><b>{'?' if unknown else n_pairs}</b>tumor–normal pairs</div>"
        f"<div class='card'><b>{'?' if unknown else n_to}</b>tumor-only</div>"
        f"<div class='card'><b>{_esc(tissues)}</b>tissue</div></div>"
    )
    if sheet.empty:
        parts.append(
            b.issue(
                "Cohort overview",
                "sample list",
                "not available",
                "no sample sheet given and no QC table found.",
            )
        )
    else:
        table = sheet.assign(pairing=sheet["sample"].astype(str).map(pairing))
        parts.append("<h3>Samples</h3>" + b.table(table, "samples"))
    parts.append("<h3>Quality control</h3>")
    qc, note = b.read("qc/qc_table.tsv", "Cohort overview", "QC table", ["sample"])
    if qc is None:
        parts.append(note)
    else:
        tissue = _tissue_qc_tables(b)
        merged = qc.copy()
        key_pattern = re.compile(
            r"ffpe|damage|artifact|orientation|identity|concord|swap|contam|sex_check|verdict", re.I
        )
        for _, extra in tissue:
            key = "sample" if "sample" in extra.columns else "tumor"
            cols = [
                c
                for c in extra.columns
                if key_pattern.search(str(c)) and c != key and c not in merged.columns
            ]
            if cols and not extra[key].duplicated().any():
                renamed = extra[[key, *cols]].rename(columns={key: "sample"})
                merged = merged.merge(renamed, on="sample", how="left")
        if "verdict" in merged.columns:
            counts = merged["verdict"].astype(str).value_counts()
            parts.append(
                "<p>QC verdicts: "
                + ", ".join(
                    f"<span class='s-{_esc(k)}'>&nbsp;{_esc(k)}: {v}&nbsp;</span>"
                    for k, v in counts.items()
                )
                + "</p>"
            )
        parts.append(
            b.table(
                merged,
                "qc_table",
                "Per-sample alignment QC from <code>qc/qc_table.tsv</code> (coverage, duplication, "
                "insert size, on-target fraction; verdict against the config's <code>qc</code> "
                "thresholds, <code>reasons</code> names the metric) joined with FFPE-damage and "
                "identity columns of any tissue-QC table in <code>qc/</code>.",
            )
        )
        if not tissue:
            parts.append(
                b.issue(
                    "Cohort overview",
                    "FFPE damage and tumor/normal identity",
                    "not run",
                    "no tissue-QC table (a qc/*.tsv with a sample column other than "
                    "qc_table.tsv) found.",
                )
            )
        for stem, extra in tissue:
            parts.append(f"<h4>qc/{_esc(stem)}.tsv</h4>" + b.table(extra, f"qc_{stem}"))
    mqc = b.results / "qc" / "multiqc" / "multiqc_report.html"
    if mqc.is_file():
        href = os.path.relpath(mqc, b.out.parent)
        parts.append(
            f'<p>Full QC detail: <a href="{_esc(href)}">MultiQC report</a> '
            f"(<code>{_esc(href)}</code>, relative to this file).</p>"
        )
    else:
        parts.append(
            b.issue("Cohort overview", "MultiQC report", "not run", f"{b.rel(mqc)} is missing.")
        )
    return "\n".join(parts)


def _non_silent(maf: pd.DataFrame) -> pd.DataFrame:
    return maf[maf["Variant_Classification"].astype(str).isin(NON_SILENT)]


def _sample_summary(
    b: _Builder,
    tumors: list[str],
    pairing: pd.Series,
    maf: pd.DataFrame | None,
    tmb: pd.DataFrame | None,
    cnv_summary: pd.DataFrame | None,
    exposures: pd.DataFrame | None,
    similarity: pd.DataFrame | None,
) -> pd.DataFrame:
    rows = []
    for t in tumors:
        row: dict[str, object] = {"sample": t, "pairing": pairing.get(t, "")}
        if maf is not None:
            mine = maf[maf["Tumor_Sample_Barcode"].astype(str) == t]
            vt = mine["Variant_Type"].astype(str)
            row["SNV"] = int((vt == "SNP").sum())
            row["DNP/ONP"] = int(vt.isin(["DNP", "TNP", "ONP"]).sum())
            row["indel"] = int(vt.isin(["INS", "DEL"]).sum())
            row["non-silent"] = len(_non_silent(mine))
            row["driver mutations"] = int(
                _non_silent(mine)["Hugo_Symbol"].astype(str).isin(b.drivers).sum()
            )
        if tmb is not None and "sample" in tmb.columns:
            hit = tmb[tmb["sample"].astype(str) == t]
            row["TMB (/Mb)"] = float(hit["tmb_per_mb"].iloc[0]) if len(hit) else np.nan
        if cnv_summary is not None and "sample" in cnv_summary.columns:
            hit = cnv_summary[cnv_summary["sample"].astype(str) == t]
            for col in ("purity", "ploidy", "fraction_genome_altered"):
                if col in hit.columns:
                    row[col] = float(hit[col].iloc[0]) if len(hit) else np.nan
        if exposures is not None:
            mine = exposures[exposures["sample"].astype(str) == t]
            mine = mine[mine["exposure"].astype(float) > 0]
            top = mine.sort_values("exposure", ascending=False)["signature"].head(3)
            row["top signatures"] = ", ".join(top.astype(str)) if len(top) else "none"
        if similarity is not None and "sample" in similarity.columns:
            hit = similarity[similarity["sample"].astype(str) == t]
            if "call" in hit.columns:
                row["closest reference (SBS96)"] = str(hit["call"].iloc[0]) if len(hit) else "NA"
        rows.append(row)
    return pd.DataFrame(rows)


def _per_sample(b: _Builder, sheet: pd.DataFrame, pairing: pd.Series) -> str:
    sec = "Per sample"
    parts = ["<h2>Per sample</h2>"]
    tumors = sheet.loc[sheet["type"] == "tumor", "sample"].astype(str).tolist()
    if not tumors:
        parts.append(b.issue(sec, "tumor results", "not available", "the cohort has no tumor."))
        return "\n".join(parts)
    maf_cols = ["Hugo_Symbol", "Variant_Classification", "Variant_Type", "Tumor_Sample_Barcode"]
    maf, maf_note = b.read("somatic/cohort.maf", sec, "somatic mutations", maf_cols)
    tmb, tmb_note = b.read("somatic/tmb.tsv", sec, "TMB", ["sample", "tmb_per_mb"])
    gene_calls, gene_note = b.read(
        "cnv/gene_calls.tsv", sec, "gene copy number", ["sample", "gene", "call"]
    )
    arm_calls, arm_note = b.read(
        "cnv/arm_calls.tsv", sec, "arm calls", ["sample", "chrom", "arm", "call"]
    )
    cnv_summary, _ = b.read("cnv/summary.tsv", sec, "purity/ploidy (CNV summary)", ["sample"])
    sbs96, sbs_note = b.read("spectra/SBS96.tsv", sec, "SBS96 spectra", ["MutationType"])
    exp_cols = ["sample", "signature", "exposure", "fraction", "ci_low", "ci_high"]
    exposures, exp_note = b.read(
        "signatures/SBS_exposures.tsv", sec, "signature exposures", exp_cols
    )
    similarity, sim_note = b.read(
        "compare/spectra_samples.tsv", sec, "similarity to references", ["sample"]
    )
    arms_ref = _optional_table(b.results / "reference" / "arms.tsv")
    fai = _optional_table(b.results / "reference" / "genome.fa.fai", header=None)
    lengths = (
        {str(c): int(n) for c, n in zip(fai[0], fai[1], strict=True)} if fai is not None else None
    )
    summary = _sample_summary(b, tumors, pairing, maf, tmb, cnv_summary, exposures, similarity)
    parts.append(
        b.table(
            summary,
            "tumor_summary",
            "One row per tumor: mutation counts from <code>somatic/cohort.maf</code>"
            ", TMB from <code>somatic/tmb.tsv</code>, purity/ploidy/fraction of "
            "genome altered from <code>cnv/summary.tsv</code>, the three largest "
            "signature exposures and the per-sample closest reference by SBS96 "
            "(<code>compare/spectra_samples.tsv</code>). Columns are absent when "
            "their stage did not run.",
        )
    )
    parts.append(
        "<p>Tumors: "
        + " · ".join(f'<a href="#sample-{_slug(t)}">{_esc(t)}</a>' for t in tumors)
        + "</p>"
    )
    for t in tumors:
        s = f"{sec}: {t}"
        parts.append(
            f'<h3 id="sample-{_slug(t)}">{_esc(t)} <small>({_esc(pairing.get(t, ""))})</small></h3>'
        )
        # mutations and TMB
        if maf is None:
            parts.append(maf_note)
            mine = None
        else:
            mine = maf[maf["Tumor_Sample_Barcode"].astype(str) == t]
            if mine.empty:
                parts.append(
                    b.issue(
                        s,
                        "somatic mutations",
                        "none found",
                        "no somatic mutation passed the filters in this tumor; "
                        "its spectrum and signature exposures cannot be computed.",
                    )
                )
            counts = mine["Variant_Classification"].astype(str).value_counts()
            parts.append(
                '<div class="cards">' + f"<div class='card'><b>{len(mine)}</b>"
                "somatic mutations</div>"
                + "".join(
                    f"<div class='card'><b>{v}</b>{_esc(str(k).replace('_', ' '))}</div>"
                    for k, v in counts.head(8).items()
                )
                + "</div>"
            )
        if tmb is None:
            parts.append(tmb_note)
        else:
            hit = tmb[tmb["sample"].astype(str) == t]
            if hit.empty:
                parts.append(b.issue(s, "TMB", "not computed", "no row in somatic/tmb.tsv."))
            else:
                parts.append(b.table(hit, f"tmb_{t}"))
        # drivers
        parts.append("<h4>Driver genes</h4>")
        parts.append(
            b.guarded(
                s,
                "driver table",
                _driver_table,
                b,
                t,
                mine,
                gene_calls,
                maf_note if maf is None else "",
                gene_note if gene_calls is None else "",
            )
        )
        # copy number
        parts.append("<h4>Copy number</h4>")
        parts.append(
            b.guarded(s, "CNV plot", _cnv_plot, b, t, arm_calls, arm_note, arms_ref, lengths)
        )
        # spectrum
        parts.append("<h4>SBS96 spectrum</h4>")
        if sbs96 is None:
            parts.append(sbs_note)
        elif t not in sbs96.columns:
            parts.append(
                b.issue(
                    s,
                    "SBS96 spectrum",
                    "not computed",
                    "the tumor has no column in spectra/SBS96.tsv.",
                )
            )
        elif float(pd.to_numeric(sbs96[t], errors="coerce").fillna(0).sum()) == 0:
            parts.append(
                b.issue(
                    s,
                    "SBS96 spectrum",
                    "not computed",
                    "no single-base substitution in this tumor.",
                )
            )
        else:
            matrix = sbs96.set_index("MutationType")[[t]].astype(float)
            parts.append(b.guarded(s, "SBS96 plot", _sample_sbs96, b, matrix, t))
        # exposures
        parts.append("<h4>Signature exposures</h4>")
        parts.append(
            b.guarded(s, "signature exposures", _sample_exposures, b, t, exposures, exp_note)
        )
        # similarity
        parts.append("<h4>Similarity to reference cohorts</h4>")
        parts.append(b.guarded(s, "similarity", _sample_similarity, b, t, similarity, sim_note))
    return "\n".join(parts)


def _sample_sbs96(b: _Builder, matrix: pd.DataFrame, sample: str) -> str:
    return b.figure(
        figure_to_data_uri(plot_sbs96(matrix, [sample], cohort=False)),
        f"SBS96 spectrum of {sample}",
        "Single-base substitutions by trinucleotide context (C>A blue, C>G black, C>T red, "
        "T>A grey, T>C green, T>G pink).",
    )


def _optional_table(path: Path, header: int | None = 0) -> pd.DataFrame | None:
    if not path.is_file() or path.stat().st_size == 0:
        return None
    try:
        return pd.read_csv(path, sep="\t", header=header)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        return None


def _driver_table(
    b: _Builder,
    sample: str,
    mine: pd.DataFrame | None,
    gene_calls: pd.DataFrame | None,
    maf_note: str,
    gene_note: str,
) -> str:
    rows: dict[str, dict[str, object]] = {}
    if mine is not None:
        hits = _non_silent(mine)
        hits = hits[hits["Hugo_Symbol"].astype(str).isin(b.drivers)]
        for gene, group in hits.groupby("Hugo_Symbol"):
            prot = None
            if "HGVSp_Short" in group:
                # long frameshift notations are cut; the MAF has them in full
                full = group["HGVSp_Short"].fillna("").astype(str)
                prot = full.where(full.str.len() <= 24, full.str.slice(0, 21) + "…")
            vaf = ""
            if {"t_alt_count", "t_depth"} <= set(group.columns):
                vafs = group["t_alt_count"].astype(float) / group["t_depth"].astype(float)
                vaf = ", ".join(f"{v:.2f}" for v in vafs)
            rows.setdefault(str(gene), {})["mutations"] = "; ".join(
                f"{c.replace('_', ' ')}{' ' + p if p else ''}"
                for c, p in zip(
                    group["Variant_Classification"].astype(str),
                    prot if prot is not None else [""] * len(group),
                    strict=True,
                )
            )
            rows[str(gene)]["VAF"] = vaf
    if gene_calls is not None:
        calls = gene_calls[
            (gene_calls["sample"].astype(str) == sample)
            & gene_calls["gene"].astype(str).isin(b.drivers)
        ]
        calls = calls[~calls["call"].astype(str).isin(["neutral", "NA", "nan"])]
        for _, row in calls.iterrows():
            entry = rows.setdefault(str(row["gene"]), {})
            entry["CN call"] = str(row["call"])
            if "log2" in row:
                entry["log2"] = row["log2"]
            if "cn" in row:
                entry["CN"] = row["cn"]
    notes = maf_note + gene_note
    if not rows:
        what = []
        if mine is not None:
            what.append("no non-silent mutation")
        if gene_calls is not None:
            what.append("no copy-number change")
        if not what:
            return notes
        return notes + (
            f"<p>{' and '.join(what).capitalize()} in the {len(b.drivers)} driver-list genes "
            "(config <code>report.drivers</code>).</p>"
        )
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("gene").reset_index()
    for col in ("mutations", "VAF", "CN call"):
        if col in table.columns:
            table[col] = table[col].fillna("")
    table = table.sort_values("gene")
    return notes + b.table(
        table,
        f"drivers_{sample}",
        "Non-silent mutations (maftools classes) and non-neutral gene copy-"
        "number calls in the driver list.",
    )


def _cnv_plot(
    b: _Builder,
    sample: str,
    arm_calls: pd.DataFrame | None,
    arm_note: str,
    arms_ref: pd.DataFrame | None,
    lengths: dict[str, int] | None,
) -> str:
    s = f"Per sample: {sample}"
    seg = None
    for name in (f"cnv/{sample}.call.cns", f"cnv/{sample}.cns"):
        seg = _optional_table(b.results / name)
        if seg is not None:
            break
    parts = []
    if seg is None or seg.empty or not {"chromosome", "start", "end", "log2"} <= set(seg.columns):
        status = "not run" if not (b.results / "cnv").is_dir() else "not computed"
        parts.append(
            b.issue(
                s,
                "CNV genome plot",
                status,
                f"no segments in {b.rel(b.results / 'cnv')}/{sample}.call.cns or {sample}.cns.",
            )
        )
    else:
        bins = _optional_table(b.results / f"cnv/{sample}.cnr")
        if bins is not None and not {"chromosome", "start", "end", "log2"} <= set(bins.columns):
            bins = None
        mine = None
        if arm_calls is not None:
            mine = arm_calls[arm_calls["sample"].astype(str) == sample]
        fig = plot_cnv_genome(seg, bins, mine, arms_ref, lengths, f"{sample}: log2 copy ratio")
        parts.append(
            b.figure(
                figure_to_data_uri(fig),
                f"copy-number plot of {sample}",
                "CNVkit segments (coloured by call: copy number from "
                "<code>.call.cns</code> when present) over bin log2 ratios "
                "(<code>.cnr</code>); the strip below shows the arm calls of "
                "<code>cnv/arm_calls.tsv</code>.",
            )
        )
    if arm_calls is None:
        parts.append(arm_note)
    else:
        mine = arm_calls[arm_calls["sample"].astype(str) == sample]
        changed = mine[mine["call"].astype(str).isin(["gain", "loss"])]
        text = ", ".join(f"{a} {c}" for a, c in zip(changed["arm"], changed["call"], strict=True))
        parts.append(f"<p>Arm calls: {_esc(text) or 'no arm gained or lost'}.</p>")
    return "\n".join(parts)


def _sample_exposures(b: _Builder, sample: str, exposures: pd.DataFrame | None, note: str) -> str:
    s = f"Per sample: {sample}"
    if exposures is None:
        return note
    mine = exposures[exposures["sample"].astype(str) == sample].copy()
    if mine.empty:
        return b.issue(
            s,
            "signature exposures",
            "not computed",
            "no row in signatures/SBS_exposures.tsv (no SBS to fit?).",
        )
    for col in ("exposure", "fraction", "ci_low", "ci_high"):
        mine[col] = pd.to_numeric(mine[col], errors="coerce")
    n_mut = pd.to_numeric(mine.get("n_mutations", pd.Series(dtype=float)), errors="coerce")
    if n_mut.notna().any() and float(n_mut.max()) == 0:
        return b.issue(s, "signature exposures", "not computed", "the tumor has no SBS to fit.")
    shown = mine[(mine["exposure"].fillna(0) > 0) | (mine["ci_high"].fillna(0) > 0)]
    if shown.empty:
        return b.issue(s, "signature exposures", "not computed", "every exposure is zero or NA.")
    parts = []
    flag = (
        str(mine["flag"].dropna().iloc[0]) if "flag" in mine and mine["flag"].notna().any() else ""
    )
    if flag and flag != "ok":
        parts.append(
            f'<p class="na">Fit flag: <b>{_esc(flag)}</b> — interpret exposures with care.</p>'
        )
    for col in ("n_mutations", "cosine", "flag"):
        if col not in shown.columns:
            shown = shown.assign(**{col: np.nan})
    fig = plot_exposures(shown)
    parts.append(
        b.figure(
            figure_to_data_uri(fig),
            f"signature exposures of {sample}",
            "Bars: NNLS exposure (mutations); whiskers: bootstrap 95% CI.",
        )
    )
    parts.append(b.table(shown.drop(columns=["sample"]), f"exposures_{sample}"))
    return "\n".join(parts)


def _sample_similarity(b: _Builder, sample: str, similarity: pd.DataFrame | None, note: str) -> str:
    s = f"Per sample: {sample}"
    if similarity is None:
        return note
    hit = similarity[similarity["sample"].astype(str) == sample]
    if hit.empty:
        return b.issue(
            s, "similarity to references", "not computed", "no row in compare/spectra_samples.tsv."
        )
    row = hit.iloc[0]
    refs = sorted({c.split("_", 1)[1] for c in hit.columns if c.startswith("cosine_")})
    long = pd.DataFrame(
        [
            {
                "reference": r,
                **{
                    m: row.get(f"{m}_{r}", np.nan)
                    for m in ("cosine", "percentile", "posterior", "support")
                },
            }
            for r in refs
        ]
    )
    parts = []
    call = row.get("call", "NA")
    reason = row.get("reason", "")
    reason = "" if pd.isna(reason) else f" ({reason})"
    parts.append(f"<p>Closest reference by SBS96: <b>{_esc(call)}</b>{_esc(reason)}.</p>")
    parts.append(
        b.table(
            long,
            f"similarity_{sample}",
            "Cosine of the tumor's SBS96 with each reference profile (converted to "
            "the cohort's trinucleotide abundance), its percentile among reference "
            "samples downsampled to the same count, the posterior of each reference "
            "and the bootstrap support. Method: " + _esc(row.get("method", "NA")),
        )
    )
    return "\n".join(parts)


def _reference_dirs(b: _Builder) -> list[Path]:
    """Configured reference folders; relative ones not found here are looked up in the project."""
    cmp = b.config.get("comparison", {}) or {}
    found = []
    for entry in cmp.get("references", []):
        path = Path(entry)
        project = resources_dir().parent / path
        found.append(
            project if not path.exists() and not path.is_absolute() and project.exists() else path
        )
    return found


def _comparison(b: _Builder, sheet: pd.DataFrame) -> str:
    sec = "Cohort comparison"
    parts = ["<h2>Cohort comparison with ESCC and contrast references</h2>"]
    summary, note = b.read(
        "compare/summary.tsv", sec, "verdict summary", ["family", "reference", "verdict"]
    )
    parts.append("<h3>Summary verdict</h3>")
    if summary is None:
        parts.append(note)
    else:
        overall = summary[summary["family"].astype(str) == "overall"]
        verdict = str(overall["verdict"].iloc[0]) if len(overall) else "NA"
        cls = "v-not" if verdict.startswith("not") else "v-like" if "like" in verdict else "v-inc"
        reason = ""
        if len(overall) and "verdict_reason" in overall and overall["verdict_reason"].notna().any():
            reason = str(overall["verdict_reason"].iloc[0])
        parts.append(
            f'<div class="verdict {cls}" id="overall-verdict">Overall: <b>'
            f"{_esc(verdict)}</b></div><p>Family verdicts — {_esc(reason)}</p>"
        )
        parts.append(b.guarded(sec, "verdict by family", _verdict_by_family, b, summary))
        long_cols = [
            c for c in ("ci_method", "typicality_method", "verdict_rule") if c in summary.columns
        ]
        shown = summary.drop(columns=long_cols)
        parts.append(
            b.table(
                shown,
                "compare_summary",
                tsv=summary,
                caption="One row per feature family × reference (<code>compare/summary.tsv"
                "</code>): similarity with CI, bootstrap support of each reference "
                "being the closest, typicality p, closest reference and the "
                "verdict. NA rows give their reason.",
            )
        )
        for col in long_cols:
            values = summary[col].dropna().astype(str).unique()
            if len(values):
                parts.append(
                    f"<p class='tools'><b>{_esc(col)}:</b> "
                    + "; ".join(_esc(v) for v in values)
                    + "</p>"
                )
    # spectra side by side
    parts.append("<h3>SBS96 spectra: cohort and references</h3>")
    parts.append(b.guarded(sec, "side-by-side spectra", lambda: _cohort_spectra(b)))
    parts.append("<h3>Signature exposures</h3>")
    parts.append(b.guarded(sec, "cohort exposures", lambda: _cohort_exposures(b)))
    parts.append("<h3>Driver alterations (oncoplot)</h3>")
    parts.append(b.guarded(sec, "oncoplot", lambda: _oncoplot(b, sheet)))
    parts.append("<h3>Gene mutation frequencies versus the target reference</h3>")
    parts.append(b.guarded(sec, "forest plot", lambda: _forest(b)))
    parts.append("<h3>Arm-level copy-number frequencies</h3>")
    parts.append(b.guarded(sec, "arm frequencies", lambda: _arm_frequencies(b)))
    parts.append("<h3>Focal copy-number events</h3>")
    focal, note = b.read("compare/focal.tsv", sec, "focal tests", ["reference", "gene"])
    parts.append(
        note
        if focal is None
        else b.table(
            focal,
            "compare_focal",
            "Per-gene focal events (amp, gain, loss, deep_del), cohort versus each "
            "reference: Fisher exact test, odds ratio with exact CI, BH FDR.",
        )
    )
    return "\n".join(parts)


def _verdict_by_family(b: _Builder, summary: pd.DataFrame) -> str:
    """One row per feature family: its verdict and the statistics of the target reference."""
    fam = summary[summary["family"].astype(str) != "overall"]
    target = fam[fam["reference"].astype(str) == b.target]
    if target.empty:
        return ""
    cols = {"family": "family", "verdict": "verdict", "closest": "closest reference",
            "closest_support": "support (closest)", "similarity": f"similarity to {b.target}",
            "ci_low": "CI low", "ci_high": "CI high", "p_typical": f"p_typical ({b.target})",
            "verdict_reason": "why", "reason": "note"}  # fmt: skip
    table = target[[c for c in cols if c in target.columns]].rename(columns=cols)
    return b.table(
        table,
        "verdict_by_family",
        f"The verdict of each feature family with the statistics behind it for {_esc(b.target)}: "
        "similarity with its bootstrap CI, the reference that is closest and how often the "
        "bootstrap agrees (support), and the typicality p value. The full table (every "
        "reference) follows.",
    )


def _cohort_spectra(b: _Builder) -> str:
    sec = "Cohort comparison"
    uri = b.png_file("compare/sbs96_spectra.png")
    if uri is not None:
        return b.figure(
            uri,
            "SBS96 spectra of the cohort and the references",
            "Drawn by the comparison stage: pooled cohort spectrum beside each "
            "reference's, references converted to the cohort's trinucleotide "
            "abundance (<code>compare/sbs96_spectra.png</code>).",
        )
    sbs96, note = b.read("spectra/SBS96.tsv", sec, "cohort spectrum", ["MutationType"])
    if sbs96 is None:
        return note
    matrix = sbs96.set_index("MutationType").apply(pd.to_numeric, errors="coerce").fillna(0)
    pooled = matrix.sum(axis=1)
    if float(pooled.sum()) == 0:
        return b.issue(
            sec,
            "side-by-side spectra",
            "not computed",
            "the cohort has no single-base substitution.",
        )
    profiles = {f"cohort (pooled, n = {int(pooled.sum()):,} SBS, {matrix.shape[1]} tumors)": pooled}
    missing = []
    for ref in _reference_dirs(b):
        prof = _optional_table(ref / "sbs96_profile.tsv")
        if prof is None or "pooled" not in prof.columns:
            missing.append(ref.name)
            continue
        profiles[f"{ref.name} reference (pooled, unconverted)"] = prof.set_index("MutationType")[
            "pooled"
        ].astype(float)
    text = b.issue(
        sec,
        "calibrated spectra figure",
        "not run",
        "compare/sbs96_spectra.png is missing: references are drawn as shipped, "
        "without conversion to the cohort's trinucleotide abundance.",
    )
    if missing:
        text += b.issue(
            sec,
            "reference spectra",
            "not available",
            f"no sbs96_profile.tsv for: {', '.join(missing)}.",
        )
    fig = plot_spectra_profiles(profiles, note="fraction of each profile's SBS")
    return text + b.figure(figure_to_data_uri(fig), "SBS96 spectra, cohort and references")


def _cohort_exposures(b: _Builder) -> str:
    sec = "Cohort comparison"
    exposures, note = b.read(
        "signatures/SBS_exposures.tsv",
        sec,
        "signature exposures",
        ["sample", "signature", "fraction"],
    )
    parts = []
    rows: dict[str, pd.Series] = {}
    if exposures is None:
        parts.append(note)
    else:
        frac = exposures.assign(fraction=pd.to_numeric(exposures["fraction"], errors="coerce"))
        wide = frac.pivot_table(
            index="sample", columns="signature", values="fraction", aggfunc="sum"
        )
        for sample, row in wide.iterrows():
            rows[str(sample)] = row
    cohort = _optional_table(b.results / "signatures/SBS_exposures_cohort.tsv")
    if cohort is not None and {"signature", "fraction"} <= set(cohort.columns):
        rows["cohort (pooled fit)"] = cohort.set_index("signature")["fraction"].astype(float)
    for ref in _reference_dirs(b):
        summ = _optional_table(ref / "signature_summary.tsv")
        if summ is not None and {"signature", "mean_fraction"} <= set(summ.columns):
            rows[f"{ref.name} reference (mean)"] = summ.set_index("signature")[
                "mean_fraction"
            ].astype(float)
    if rows and exposures is not None:
        table = pd.DataFrame(rows).T
        fig = plot_exposure_bars(
            table, "Signature fractions: tumors, pooled cohort and reference means"
        )
        parts.append(
            b.figure(
                figure_to_data_uri(fig),
                "signature fractions",
                "Fraction of each tumor's SBS attributed to each COSMIC "
                "signature, beside the mean fraction in each reference "
                "(reference attributions: SigProfiler, COSMIC v3.0 names).",
            )
        )
    sig_tests, note = b.read("compare/signatures.tsv", sec, "signature-group tests", ["reference"])
    parts.append(
        note
        if sig_tests is None
        else b.table(
            sig_tests,
            "compare_signatures",
            "Signature groups, cohort versus each reference: presence (Fisher exact, "
            "odds ratio with exact CI) and fraction (Mann–Whitney U, bootstrap CI of the "
            "mean difference), BH-corrected.",
        )
    )
    return "\n".join(parts)


def _oncoplot(b: _Builder, sheet: pd.DataFrame) -> str:
    sec = "Cohort comparison"
    tumors = sheet.loc[sheet["type"] == "tumor", "sample"].astype(str).tolist()
    maf, maf_note = b.read(
        "somatic/cohort.maf",
        sec,
        "oncoplot mutations",
        ["Hugo_Symbol", "Variant_Classification", "Tumor_Sample_Barcode"],
    )
    calls, cn_note = b.read(
        "cnv/gene_calls.tsv", sec, "oncoplot copy number", ["sample", "gene", "call"]
    )
    if maf is None and calls is None:
        return maf_note + cn_note
    genes = list(dict.fromkeys(b.drivers))
    cells = pd.DataFrame("", index=genes, columns=tumors, dtype=object)
    cnv = pd.DataFrame("", index=genes, columns=tumors, dtype=object)
    if maf is not None:
        hits = _non_silent(maf)
        hits = hits[
            hits["Hugo_Symbol"].astype(str).isin(genes)
            & hits["Tumor_Sample_Barcode"].astype(str).isin(tumors)
        ]
        for (gene, sample), group in hits.groupby(["Hugo_Symbol", "Tumor_Sample_Barcode"]):
            classes = group["Variant_Classification"].astype(str).unique()
            cells.loc[str(gene), str(sample)] = classes[0] if len(classes) == 1 else "Multi_Hit"
    if calls is not None:
        cn = calls[
            calls["gene"].astype(str).isin(genes)
            & calls["sample"].astype(str).isin(tumors)
            & calls["call"].astype(str).isin(["amp", "deep_del"])
        ]
        for gene, sample, call in zip(cn["gene"], cn["sample"], cn["call"], strict=True):
            cnv.loc[str(gene), str(sample)] = str(call)
    altered = ((cells != "") | (cnv != "")).sum(axis=1)
    ranked = altered[altered > 0].sort_values(ascending=False, kind="stable").index
    keep = [str(g) for g in ranked[: b.oncoplot_max]]
    text = maf_note + cn_note
    if not keep:
        return text + (
            f"<p>No gene of the driver list ({len(genes)} genes, config "
            "<code>report.drivers</code>) is mutated (non-silent) or amplified/deeply "
            "deleted in any tumor.</p>"
        )
    hit = ((cells != "") | (cnv != "")).loc[keep]
    # most altered genes first; tumors sorted by their alterations in that gene order
    order = sorted(tumors, key=lambda t: tuple(-hit[t].to_numpy(dtype=int)))
    fig = plot_oncoplot(cells.loc[keep, order], cnv.loc[keep, order])
    mut_arr = cells.loc[keep, order].to_numpy(dtype=str)
    cn_arr = cnv.loc[keep, order].to_numpy(dtype=str)
    both = (mut_arr != "") & (cn_arr != "")
    joined = np.char.add(np.char.add(mut_arr, np.where(both, "+", "")), cn_arr)
    matrix = pd.DataFrame(joined, index=keep, columns=order)
    return (
        text
        + b.figure(
            figure_to_data_uri(fig),
            "oncoplot of driver genes",
            "Genes of the driver list altered in at least one tumor: non-silent mutations "
            "(inner bar, by class; several in one gene: Multi_Hit) from "
            "<code>somatic/cohort.maf</code>, amplification and deep deletion (full cell) from "
            "<code>cnv/gene_calls.tsv</code>.",
        )
        + b.table(matrix.rename_axis("gene").reset_index(), "oncoplot_matrix")
    )


def _forest(b: _Builder) -> str:
    sec = "Cohort comparison"
    need = [
        "reference",
        "gene",
        "odds_ratio",
        "or_ci_low",
        "or_ci_high",
        "p_value",
        "fdr",
        "cohort_alt",
        "cohort_n",
        "ref_alt",
        "ref_n",
    ]
    genes, note = b.read("compare/genes.tsv", sec, "gene frequency tests", need)
    caption = (
        f"Per-gene odds ratio of non-silent mutation, cohort versus {_esc(b.target)}, "
        "with exact 95% CI (Fisher); labels give altered/total counts."
    )
    if genes is None:
        uri = b.png_file("compare/gene_forest.png")
        if uri is None:
            return note
        return note + b.figure(
            uri,
            "gene forest plot",
            caption + " Drawn by the comparison stage (<code>compare/gene_forest.png</code>).",
        )
    parts = []
    genes = genes.sort_values(["reference", "p_value"], kind="stable", na_position="last")
    mine = genes[(genes["reference"].astype(str) == b.target) & genes["odds_ratio"].notna()]
    fdr = pd.to_numeric(mine["fdr"], errors="coerce")
    always = mine["always_reported"].astype(str) == "True" if "always_reported" in mine else False
    shown = mine[mine["gene"].astype(str).isin(b.drivers) | (fdr < b.fdr) | always]
    if shown.empty:
        parts.append(
            b.issue(
                sec,
                "forest plot",
                "not computed",
                f"no driver-list or significant gene has an odds ratio versus "
                f"{b.target} (see the reason column of the table).",
            )
        )
    else:
        fig = plot_forest(shown, b.target, b.fdr)
        parts.append(
            b.figure(
                figure_to_data_uri(fig),
                "gene forest plot",
                caption + f" Shown: driver-list genes, genes always reported and genes "
                f"with FDR &lt; {b.fdr:g} ({len(shown)} of {len(mine)} tested; "
                "all in the table).",
            )
        )
    parts.append(
        b.table(
            genes,
            "compare_genes",
            "Per-gene tests (maftools mafCompare rule): Fisher exact, conditional MLE odds "
            "ratio with exact CI, BH FDR within each reference; sorted by p value.",
            max_rows=300,
        )
    )
    return "\n".join(parts)


def _arm_frequency_tables(b: _Builder) -> tuple[pd.DataFrame | None, pd.DataFrame | None, str]:
    """(cohort, reference) gain/loss frequencies per arm and a caption, from the best source."""
    sec = "Cohort comparison"
    tests, _ = b.read(
        "compare/arms.tsv",
        sec,
        "arm tests",
        ["reference", "arm", "event", "cohort_freq", "ref_freq"],
    )
    if tests is not None:
        mine = tests[tests["reference"].astype(str) == b.target]
        if not mine.empty:
            wide = mine.pivot_table(
                index="arm",
                columns="event",
                aggfunc="first",
                values=["cohort_freq", "ref_freq"],
                sort=False,
            )

            def pick(kind: str) -> pd.DataFrame:
                return pd.DataFrame(
                    {
                        "arm": wide.index,
                        "gain_freq": wide.get((kind, "gain"), pd.Series(np.nan, index=wide.index)),
                        "loss_freq": wide.get((kind, "loss"), pd.Series(np.nan, index=wide.index)),
                    }
                ).astype({"gain_freq": float, "loss_freq": float})

            return (
                pick("cohort_freq"),
                pick("ref_freq"),
                "from <code>compare/arms.tsv</code>: cohort calls re-derived at the "
                "reference's cut-off",
            )
    calls, cnote = b.read("cnv/arm_calls.tsv", sec, "cohort arm calls", ["sample", "arm", "call"])
    if calls is None:
        return None, None, cnote
    ref_dir = next((r for r in _reference_dirs(b) if r.name == b.target), None)
    ref = _optional_table(ref_dir / "arm_frequencies.tsv") if ref_dir else None
    if ref is None or not {"arm", "gain_freq", "loss_freq"} <= set(ref.columns):
        return (
            None,
            None,
            b.issue(
                sec,
                "arm-frequency plot",
                "not available",
                f"no arm_frequencies.tsv for the target reference {b.target}.",
            ),
        )
    valid = calls[calls["call"].astype(str).isin(["gain", "loss", "neutral"])]
    freq = (
        valid.groupby("arm", sort=False)["call"]
        .agg(
            gain_freq=lambda c: float((c == "gain").mean()),
            loss_freq=lambda c: float((c == "loss").mean()),
        )
        .reset_index()
    )
    return (
        freq,
        ref,
        (
            "from the CNV stage's <code>cnv/arm_calls.tsv</code> as called (not "
            "re-derived at the reference's cut-off: the comparison stage did not run)"
        ),
    )


def _arm_frequencies(b: _Builder) -> str:
    sec = "Cohort comparison"
    cohort, ref, source = _arm_frequency_tables(b)
    parts = []
    if cohort is None or ref is None:
        parts.append(source)
    else:
        fig = plot_arm_frequencies(cohort, ref, "SCCE cohort", b.target)
        parts.append(
            b.figure(
                figure_to_data_uri(fig),
                "arm frequencies",
                f"Fraction of samples with each arm gained (up) or lost (down), "
                f"cohort beside {_esc(b.target)}; {source}.",
            )
        )
    tests, note = b.read("compare/arms.tsv", sec, "arm tests", ["reference", "arm"])
    parts.append(
        note
        if tests is None
        else b.table(
            tests,
            "compare_arms",
            "Per-arm gain and loss frequencies, cohort versus each reference: Fisher exact "
            "test, odds ratio with exact CI, BH FDR.",
        )
    )
    return "\n".join(parts)


def _methods(b: _Builder) -> str:
    sec = "Methods"
    parts = ["<h2>Methods</h2>", "<h3>Software versions</h3>"]
    versions, note = b.read("report/versions.tsv", sec, "software versions", ["name", "version"])
    parts.append(
        note
        if versions is None
        else b.table(
            versions,
            "versions",
            "Versions reported by the installed programs and packages "
            "during this run (<code>scce-genomics versions</code>).",
        )
    )
    parts.append("<h3>Statistics and their assumptions</h3>" + _STATISTICS_TEXT)
    parts.append("<h3>Reference provenance</h3>")
    refs = _reference_dirs(b)
    if not refs:
        parts.append(
            b.issue(
                sec,
                "reference provenance",
                "not configured",
                "the config lists no comparison.references.",
            )
        )
    rows = []
    provenance: dict[Path, str] = {}
    for ref in refs:
        prof = ref / "profile.yaml"
        meta: dict[str, Any] = {}
        if prof.is_file():
            try:
                meta = yaml.safe_load(prof.read_text()) or {}
            except yaml.YAMLError:
                meta = {}
        else:
            b.issue(sec, f"reference {ref.name}", "not found", f"{prof} is missing.")
        n = meta.get("n_samples", {})
        rows.append(
            {
                "reference": meta.get("name", ref.name),
                "path": str(ref),
                "description": meta.get("description", "NA"),
                "build": meta.get("build", "NA"),
                "assay": meta.get("assay", "NA"),
                "samples": ", ".join(f"{k}: {v}" for k, v in n.items())
                if isinstance(n, dict)
                else n,
                "sources": ", ".join(map(str, meta.get("sources", []))),
            }
        )
        for cand in (ref / "PROVENANCE.md", ref.parent / "PROVENANCE.md"):
            if cand.is_file() and cand.resolve() not in provenance:
                provenance[cand.resolve()] = cand.read_text(errors="replace")
                break
    if rows:
        parts.append(
            b.table(
                pd.DataFrame(rows),
                "references",
                "Reference profiles used (from each folder's profile.yaml).",
            )
        )
    for path, text in provenance.items():
        parts.append(
            f"<details><summary>{_esc(path.name)} ({_esc(path.parent)})</summary>"
            f"<pre>{_esc(text)}</pre></details>"
        )
    parts.append("<h3>Configuration</h3>")
    if b.config:
        dumped = yaml.safe_dump(b.config, sort_keys=False, allow_unicode=True)
        parts.append(
            f"<details open><summary>config (YAML, as the run saw it)</summary>"
            f"<pre>{_esc(dumped)}</pre></details>"
        )
    else:
        parts.append(b.issue(sec, "configuration", "not given", "no --config was passed."))
    return "\n".join(parts)


def _not_computed(b: _Builder) -> str:
    parts = ["<h2>What could not be computed</h2>"]
    if not b.issues:
        parts.append("<p>Every section was computed from its inputs.</p>")
        write_tsv(
            pd.DataFrame(columns=["section", "item", "status", "reason"]),
            b.tables_dir / "not_computed.tsv",
        )
        return "\n".join(parts)
    table = pd.DataFrame(b.issues).drop_duplicates()
    parts.append(
        f"<p>{len(table)} item(s) are missing from this report; each is also marked "
        "where it would appear.</p>"
    )
    parts.append(b.table(table, "not_computed"))
    return "\n".join(parts)


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
    b = _Builder(results, out, config)
    sheet = _sample_sheet(b, samples)
    pairing = _pairing(sheet) if not sheet.empty else pd.Series(dtype=object)
    bodies = [
        ("overview", "Cohort overview", _overview(b, sheet, pairing)),
        ("samples", "Per sample", _per_sample(b, sheet, pairing)),
        ("comparison", "Cohort comparison", _comparison(b, sheet)),
        ("methods", "Methods", _methods(b)),
    ]
    bodies.insert(0, ("not-computed", "Not computed", _not_computed(b)))
    title = str((config.get("report", {}) or {}).get("title", "SCCE genomic profile"))
    stamp = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    subtitle = (
        f"scce-genomics {__version__} · results: {_esc(results)} · {len(sheet)} samples · "
        f"generated {stamp}"
    )
    nav = "".join(f'<a href="#{sid}">{_esc(name)}</a>' for sid, name, _ in bodies)
    sections = "\n".join(f'<section id="{sid}">{body}</section>' for sid, _, body in bodies)
    page = _PAGE.substitute(
        title=_esc(title),
        subtitle=subtitle,
        nav=nav,
        sections=sections,
        css=_CSS,
        head_js=_HEAD_JS,
        body_js=_BODY_JS,
    )
    with atomic_open(out) as handle:
        handle.write(page)
    return {
        "html": out,
        "tables": sorted(b.table_names | {"not_computed"}),
        "issues": pd.DataFrame(b.issues, columns=["section", "item", "status", "reason"]),
    }
