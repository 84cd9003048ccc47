"""The report says only what the data support: NA with its reason, TMB with its territory,
arms that could not be called, and LOH only where heterozygous SNPs back it."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd

from test_report import _build, _tsv, make_results


class _Text(HTMLParser):
    """The page's visible text (scripts and styles left out), whitespace collapsed."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())


def _tumor_text(page: str, tumor: str) -> str:
    """Visible text of one tumor's block in "Per sample"."""
    start = page.index(f'id="sample-{tumor}"')
    end = page.find('<h3 id="sample-', start + 1)
    return _text(page[start : end if end > 0 else page.index("</section>", start)])


def test_arms_that_could_not_be_called_are_not_read_as_unchanged(tmp_path: Path) -> None:
    results, samples = make_results(tmp_path, {"A1T": "A1", "B1T": "B1"})
    calls = pd.read_csv(results / "cnv/arm_calls.tsv", sep="\t")
    a1 = calls["sample"] == "A1T"
    calls.loc[a1, "call"] = np.nan
    calls.loc[a1, "log2"] = np.nan
    calls["reason"] = np.where(a1, "segments cover 1% of the arm", "")
    b1_8p = (calls["sample"] == "B1T") & (calls["arm"] == "8p")
    calls.loc[b1_8p, ["call", "reason"]] = [np.nan, "no segments on the arm"]
    _tsv(calls, results / "cnv/arm_calls.tsv")
    page, _ = _build(results, samples)
    a1_text = _tumor_text(page, "A1T")
    assert "no arm gained or lost" not in a1_text
    assert "no arm could be called" in a1_text
    assert "segments cover 1% of the arm (3p, 3q, 8p, 8q)" in a1_text
    b1_text = _tumor_text(page, "B1T")
    assert "Arm calls: 3p loss, 3q gain (3 of 4 arms callable)" in b1_text
    assert "8p — no segments on the arm" in b1_text


def test_closest_reference_na_is_shown_with_its_reason(tmp_path: Path) -> None:
    results, samples = make_results(tmp_path, {"A1T": "A1", "B1T": "B1"})
    sim = pd.read_csv(results / "compare/tumors.tsv", sep="\t")
    sim = sim.astype({"call": object, "reason": object})
    sim.loc[sim["sample"] == "A1T", ["call", "reason"]] = [np.nan, "12 SBS, fewer than 20"]
    sim.loc[sim["sample"] == "B1T", ["call", "reason"]] = [np.nan, np.nan]
    _tsv(sim, results / "compare/tumors.tsv")
    page, _ = _build(results, samples)
    text = _text(page)
    assert not re.search(r"\bnan\b", text, re.I)
    assert "SBS96 spectrum): NA (12 SBS, fewer than 20)" in _tumor_text(page, "A1T")
    assert "NA (compare/tumors.tsv gives no reason)" in _tumor_text(page, "B1T")
    summary = pd.read_csv(results / "report/tables/tumor_summary.tsv", sep="\t")
    closest = summary.set_index("sample")["closest reference"]
    assert closest["A1T"] == "NA (12 SBS, fewer than 20)"


def test_tmb_carries_its_territory_interval_and_warning(tmp_path: Path) -> None:
    results, samples = make_results(tmp_path, {"A1T": "A1", "B1T": "B1", "C1T": "C1"})
    tmb = pd.DataFrame(
        {
            "sample": ["A1T", "B1T", "C1T"],
            "n_snv": [32, 400, 0],
            "n_indel": [0, 20, 0],
            "callable_mb": [0.004, 35.0, 0.0],
            "territory_mb": [0.004, 35.0, 0.0],
            "tmb_per_mb": [7998.0, 12.0, np.nan],
            "tmb_ci_low": [5470.0, 10.9, np.nan],
            "tmb_ci_high": [11290.0, 13.2, np.nan],
            "warning": ["callable territory 0.004 Mb is below the 1 Mb minimum", "", ""],
            "reason": ["", "", "no callable territory"],
        }
    )
    _tsv(tmb, results / "somatic/tmb.tsv")
    page, _ = _build(results, samples)
    a1 = _tumor_text(page, "A1T")
    assert "TMB: 7998 mutations/Mb (Poisson 95% CI 5470–11290)" in a1
    assert "over 0.004 callable Mb" in a1
    assert "Caveat: callable territory 0.004 Mb is below the 1 Mb minimum" in a1
    b1 = _tumor_text(page, "B1T")
    assert "TMB: 12 mutations/Mb (Poisson 95% CI 10.9–13.2): 420 PASS" in b1
    assert "Caveat" not in b1.split("Driver genes")[0]
    assert "TMB: NA (no callable territory)" in _tumor_text(page, "C1T")
    summary = pd.read_csv(results / "report/tables/tumor_summary.tsv", sep="\t")
    assert list(summary["TMB 95% CI"].fillna("NA")) == ["5470–11290", "10.9–13.2", "NA"]


def test_tmb_without_interval_gets_a_territory_caveat(tmp_path: Path) -> None:
    results, samples = make_results(tmp_path, {"A1T": "A1", "B1T": "B1"})
    tmb = pd.DataFrame(
        {"sample": ["A1T", "B1T"], "n_snv": [32, 400], "n_indel": [0, 20],
         "callable_mb": [0.004, 35.0], "tmb_per_mb": [7998.0, 12.0]}
    )  # fmt: skip
    _tsv(tmb, results / "somatic/tmb.tsv")
    page, _ = _build(results, samples)
    a1 = _tumor_text(page, "A1T")
    assert "32 PASS SNVs and indels over 0.004 callable Mb" in a1
    assert "rests on 0.004 callable Mb, less than 1 Mb" in a1
    b1 = _tumor_text(page, "B1T")
    assert "less than 1 Mb" not in b1
    assert "gives no confidence interval" in b1


def _alleles(results: Path, tumor: str, rows: list[tuple[object, ...]]) -> None:
    """The CNV stage's allele table (cnv-alleles) for the tumor's three segments."""
    cols = ["major", "minor", "n_het", "allele_source", "reason"]
    seg = pd.read_csv(results / f"cnv/{tumor}.call.cns", sep="\t")
    table = seg[["chromosome", "start", "end", "log2", "cn"]].join(pd.DataFrame(rows, columns=cols))
    _tsv(table, results / f"cnv/{tumor}.alleles.tsv")


def test_loh_is_stated_only_with_heterozygous_snp_support(tmp_path: Path) -> None:
    results, samples = make_results(tmp_path, {"A1T": "A1", "B1T": "B1", "C1T": "C1", "D1T": "D1"})
    # segments: chr3:0-100k (cn 1), chr3:100k-200k (cn 3), chr8:0-150k (cn 2)
    too_few = "1 heterozygous SNPs (< 10): total only"
    _alleles(results, "A1T", [(1, 0, 0, "total", ""), (3, 0, 25, "baf", ""),
                              (np.nan, np.nan, 1, "NA", too_few)])  # fmt: skip
    _alleles(results, "B1T", [(1, 0, 0, "total", ""), (2, 1, 30, "baf", ""),
                              (1, 1, 12, "baf", "")])  # fmt: skip
    # C1T: CNVkit's cn1/cn2 alone (one SNP may have split them), no allele table
    seg = pd.read_csv(results / "cnv/C1T.call.cns", sep="\t").assign(cn1=[1, 3, 1], cn2=[0, 0, 1])
    _tsv(seg, results / "cnv/C1T.call.cns")
    page, _ = _build(results, samples)
    a1 = _tumor_text(page, "A1T")
    assert "LOH (one allele at zero copies" in a1
    assert "chr3:0–100,000 (one copy), chr3:100,000–200,000 (25 SNPs)" in a1
    assert "withheld on 0.15 Mb: 1 heterozygous SNPs (< 10): total only (1 segment)" in a1
    b1 = _tumor_text(page, "B1T")
    assert "chr3:0–100,000 (one copy)." in b1 and "100,000–200,000" not in b1
    c1 = _tumor_text(page, "C1T")
    assert "LOH: not assessed" in c1 and "may rest on a single SNP" in c1
    assert "LOH (" not in c1
    d1 = _tumor_text(page, "D1T")  # tumor-only style: total copy number only
    assert "LOH: not assessed — no allele-specific copy number for this tumor" in d1
