"""The report opened in a real headless browser: every section renders, no broken image, no error.

Chromium runs the report's own inline self-check after load (image ``naturalWidth``, recorded
``window.onerror``/``console.error``) and ``--dump-dom`` hands the result back; a screenshot is
kept under ``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image
import pytest

from scce_genomics.report.build import build_report
from test_report import REPO, make_results

pytestmark = pytest.mark.browser

CHROMIUM = next(
    (p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p and Path(p).exists()),
    None,
)
ARTIFACTS = REPO / "test-artifacts"
SECTIONS = ("not-computed", "overview", "samples", "comparison", "methods")


def _chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--hide-scrollbars",
        "--virtual-time-budget=15000",
        *args,
        page.resolve().as_uri(),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


class _Dom(HTMLParser):
    """Section ids with their heading and text length, and the self-check element."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, dict[str, int]] = {}
        self.check: dict[str, str | None] = {}
        self.check_text = ""
        self._section: str | None = None
        self._in_check = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("id"):
            self._section = str(a["id"])
            self.sections[self._section] = {"h2": 0, "text": 0, "img": 0, "table": 0}
        elif self._section and tag in ("h2", "img", "table"):
            self.sections[self._section][tag] += 1
        if a.get("id") == "report-selfcheck":
            self.check, self._in_check = a, True

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self._section = None
        if tag == "div":
            self._in_check = False

    def handle_data(self, data: str) -> None:
        if self._section:
            self.sections[self._section]["text"] += len(data.strip())
        if self._in_check:
            self.check_text += data


def _open(report: Path, tmp_path: Path, screenshot: Path) -> _Dom:
    proc = _chromium(report, tmp_path / "profile-dom", "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-3000:]
    dom = _Dom()
    dom.feed(proc.stdout)
    assert dom.check.get("data-state") == "done", "the page's load handler did not run"
    found = json.loads(dom.check_text or "{}")
    assert dom.check.get("data-errors") == "0", found.get("errors")
    assert dom.check.get("data-broken") == "0", found.get("broken")
    for sid in SECTIONS:
        assert sid in dom.sections, f"section {sid} missing"
        assert dom.sections[sid]["h2"] == 1 and dom.sections[sid]["text"] > 40, sid
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    shot = _chromium(
        report, tmp_path / "profile-shot", f"--screenshot={screenshot}", "--window-size=1400,9000"
    )
    assert shot.returncode == 0 and screenshot.is_file(), shot.stderr[-3000:]
    pixels = matplotlib.image.imread(str(screenshot))
    assert pixels.std() > 0.05  # not a blank page
    return dom


def test_report_renders_in_a_browser(tmp_path: Path) -> None:
    results, samples = make_results(
        tmp_path, {"P1T": "P1", "P2T": "P2", "P3T": "P3"}, normals=("P1N", "P2N"), zero=("P3T",)
    )
    report = results / "report" / "report.html"
    cfg = {
        "comparison": {
            "references": [str(REPO / f"resources/references/{r}") for r in ("ESCC", "EAC", "SCLC")]
        }
    }
    build_report(results, report, config=cfg, samples=samples)
    dom = _open(report, tmp_path, ARTIFACTS / "report_handmade.png")
    images = int(dom.check["data-images"] or 0)
    assert images >= 10  # two tumors × 3 per-sample plots, cohort plots
    assert dom.sections["samples"]["img"] >= 6
    assert dom.sections["comparison"]["img"] >= 4
    assert dom.sections["comparison"]["table"] >= 3


@pytest.mark.workflow
def test_workflow_report_renders_in_a_browser(workflow_run: Path, tmp_path: Path) -> None:
    report = workflow_run / "report" / "report.html"
    assert report.is_file(), "the workflow did not produce the report"
    tables = {p.stem for p in (workflow_run / "report/tables").glob("*.tsv")}
    assert {"samples", "qc_table", "not_computed"} <= tables
    versions = (workflow_run / "report/versions.tsv").read_text()
    assert "samtools" in versions and "snakemake" in versions
    _open(report, tmp_path, ARTIFACTS / "report.png")


def test_self_check_catches_broken_images_and_errors(tmp_path: Path) -> None:
    results, samples = make_results(tmp_path, {"P1T": "P1"}, stages=())
    report = results / "report" / "report.html"
    build_report(results, report, samples=samples)
    page = report.read_text()
    broken = page.replace(
        "</main>", '<img src="data:image/png;base64,AAAA" alt="bad"><script>nope();</script></main>'
    )
    report.write_text(broken)
    proc = _chromium(report, tmp_path / "profile", "--dump-dom")
    dom = _Dom()
    dom.feed(proc.stdout)
    assert dom.check.get("data-broken") == "1"
    assert dom.check.get("data-errors") == "2"  # the failed image load and the script error
    assert "nope" in dom.check_text and "bad" in dom.check_text


def test_tables_sort_and_filter(tmp_path: Path) -> None:
    results, samples = make_results(tmp_path, {"B1T": "B1", "A1T": "A1", "C1T": "C1"}, stages=())
    report = results / "report" / "report.html"
    build_report(results, report, samples=samples)
    probe = """<script>window.addEventListener('load',function(){
      var t=document.getElementById('t-samples'),th=t.tHead.rows[0].cells[0],out=[];
      th.click();out.push(t.tBodies[0].rows[0].cells[0].textContent);
      th.click();out.push(t.tBodies[0].rows[0].cells[0].textContent);
      var f=document.querySelector('input[data-table="t-samples"]');f.value='a1t';
      f.dispatchEvent(new Event('input'));
      out.push(String(Array.prototype.filter.call(t.tBodies[0].rows,
        function(r){return r.style.display!=='none';}).length));
      document.getElementById('report-selfcheck').setAttribute('data-probe',out.join(','));
    });</script></body>"""
    report.write_text(report.read_text().replace("</body>", probe))
    proc = _chromium(report, tmp_path / "profile", "--dump-dom")
    dom = _Dom()
    dom.feed(proc.stdout)
    assert dom.check.get("data-probe") == "A1T,C1T,1"
    assert dom.check.get("data-errors") == "0"
