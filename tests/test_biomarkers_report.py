"""The report's biomarker section on a hand-made run with the panel the biomarkers stage writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.biomarkers.panel import build_panel, reference_tmb
from scce_genomics.report.build import build_report
from scce_genomics.somatic.tmb import TMB_COLUMNS, tmb_row
from test_report import REPO, make_results

ESCC = REPO / "resources/references/ESCC"


def _maf(sample: str, n_snv: int, n_indel: int) -> pd.DataFrame:
    n = n_snv + n_indel
    return pd.DataFrame(
        {
            "Tumor_Sample_Barcode": sample,
            "Chromosome": "chr3",
            "Start_Position": 1000 + np.arange(n),
            "Variant_Type": ["SNP"] * n_snv + ["INS"] * n_indel,
        }
    )


def test_biomarker_section_shows_values_statuses_and_reasons(tmp_path: Path) -> None:
    results, samples = make_results(tmp_path, {"P1T": "P1", "P2T": "P2"}, normals=("P1N",))
    tmb = results / "somatic/tmb_panel_input.tsv"
    rows = [
        tmb_row("P1T", _maf("P1T", 700, 300), 40_000_000),
        tmb_row("P2T", _maf("P2T", 9, 0), 4_001),
    ]
    pd.DataFrame(rows, columns=TMB_COLUMNS).to_csv(tmb, sep="\t", index=False, na_rep="NA")
    msi = results / "biomarkers/msi/P1T.tsv"
    msi.parent.mkdir(parents=True)
    pd.DataFrame(
        [
            {
                "sample": "P1T",
                "mode": "tumor-normal",
                "sites": 900,
                "sites_covered": 800,
                "sites_unstable": 120,
                "msi_score": 31.2,
                "msi_score_ci_low": 27.0,
                "msi_score_ci_high": 35.1,
                "msi_score_sites": 15.0,
                "msi_threshold": 3.5,
                "msi_status": "MSI-H",
                "test": "Fisher",
                "min_coverage": 15,
                "compared_with": "matched normal P1N",
            }
        ]
    ).to_csv(msi, sep="\t", index=False)
    reference = reference_tmb(ESCC)
    panel = build_panel(["P1T", "P2T"], str(tmb), [str(msi)], "", reference)
    panel.to_csv(results / "biomarkers/panel.tsv", sep="\t", index=False, na_rep="NA")
    reference.values.rename("snv_per_mb").reset_index().to_csv(
        results / "biomarkers/reference_tmb.tsv", sep="\t", index=False
    )
    out = results / "report/report.html"
    built = build_report(results, out, samples=samples)
    page = out.read_text()
    assert '<section id="biomarkers">' in page
    assert "25 (23.5–26.6)" in page  # P1T: 1,000 mutations over 40 Mb, with the CI
    assert "TMB-high" in page and "MSI-H" in page and "31.2 (27–35.1)" in page
    assert "not classified: callable territory 0.004" in page  # P2T: tiny territory
    assert 'alt="SNVs per Mb of each tumor beside ESCC"' in page
    # the TSV keeps every column, with what each value was computed from
    full = pd.read_csv(results / "report/tables/biomarkers.tsv", sep="\t")
    assert {"msi_from", "tmb_from", "hrd_from", "reference_percentile"} <= set(full.columns)
    issues = built["issues"]
    hrd = issues[issues["item"] == "HRD of P1T, P2T"]
    assert list(hrd["reason"]) == ["HRD score not available (no copy-number HRD table)"]
    assert "MSI of P2T" in set(issues["item"])


def test_without_the_biomarkers_stage_the_section_says_so(tmp_path: Path) -> None:
    results, samples = make_results(tmp_path, {"T1": "P9"}, stages=("somatic",))
    out = results / "report/report.html"
    built = build_report(results, out, samples=samples)
    issues = built["issues"]
    row = issues[issues["item"] == "biomarker panel"].iloc[0]
    assert row["status"] == "not run" and "biomarkers/panel.tsv is missing" in row["reason"]
