"""TMB with its exact Poisson CI and territory warning, and the biomarker panel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import poisson

from scce_genomics.biomarkers.panel import PanelParams, build_panel, reference_tmb
from scce_genomics.cli import main
from scce_genomics.somatic.tmb import TMB_COLUMNS, garwood_interval, tmb_row

REPO = Path(__file__).resolve().parents[1]
ESCC = REPO / "resources/references/ESCC"


def maf(n_snv: int, n_indel: int, sample: str = "T1", start: int = 1000) -> pd.DataFrame:
    n = n_snv + n_indel
    return pd.DataFrame(
        {
            "Tumor_Sample_Barcode": sample,
            "Chromosome": "1",
            "Start_Position": start + np.arange(n) * 10,
            "Variant_Type": ["SNP"] * n_snv + ["DEL"] * n_indel,
        }
    )


@pytest.mark.parametrize("count", [0, 1, 5, 32, 300])
def test_garwood_interval_has_its_defining_tail_probabilities(count: int) -> None:
    low, high = garwood_interval(count)
    # exact interval: P(X >= k | low) = 2.5% and P(X <= k | high) = 2.5%
    if count:
        assert poisson.sf(count - 1, low) == pytest.approx(0.025, rel=1e-6)
    else:
        assert low == 0
    assert poisson.cdf(count, high) == pytest.approx(0.025, rel=1e-6)
    assert low <= count <= high


def test_tiny_territory_is_flagged_and_not_classified() -> None:
    # the case a report once printed without caveat: 32 mutations over 0.004 Mb = 7,998/Mb
    region = pd.DataFrame({"chrom": ["1"], "start": [900], "end": [4901]})
    row = tmb_row("T1", maf(30, 2), 4001, region, min_territory_mb=1.0)
    assert row["tmb_per_mb"] == pytest.approx(7998.0, abs=0.5)
    low, high = garwood_interval(32)
    assert row["tmb_ci_low"] == pytest.approx(low / 0.004001, rel=1e-3)
    assert row["tmb_ci_high"] == pytest.approx(high / 0.004001, rel=1e-3)
    assert "0.004 Mb is below the 1 Mb minimum" in str(row["warning"])
    assert set(row) == set(TMB_COLUMNS)


def test_enough_territory_has_no_warning_and_no_territory_no_number() -> None:
    row = tmb_row("T1", maf(40, 5), 30_000_000)
    assert row["warning"] == "" and row["tmb_per_mb"] == pytest.approx(1.5)
    assert row["snv_per_mb"] == pytest.approx(40 / 30, abs=1e-3)
    empty = tmb_row("T1", maf(4, 0), 0)
    assert np.isnan(float(empty["tmb_per_mb"])) and np.isnan(float(empty["tmb_ci_high"]))  # type: ignore[arg-type]
    assert str(empty["warning"]).startswith("not computed: no callable territory")


def _tmb_table(path: Path, rows: list[dict[str, object]]) -> Path:
    pd.DataFrame(rows, columns=TMB_COLUMNS).to_csv(path, sep="\t", index=False, na_rep="NA")
    return path


def test_panel_classifies_tmb_only_over_enough_territory(tmp_path: Path) -> None:
    rows = [
        tmb_row("HIGH", maf(600, 20, "HIGH"), 30_000_000),  # 20.7/Mb
        tmb_row("EDGE", maf(9, 0, "EDGE"), 1_000_000),  # 9/Mb, CI 4.1-17.1 spans 10
        tmb_row("TINY", maf(30, 2, "TINY"), 4_001),
        tmb_row("NONE", maf(3, 0, "NONE"), 0),
    ]
    tmb = _tmb_table(tmp_path / "tmb.tsv", rows)
    panel = build_panel(
        ["HIGH", "EDGE", "TINY", "NONE", "GONE"],
        str(tmb),
        [],
        "",
        reference_tmb(ESCC),
        PanelParams(10.0, 1.0),
    ).set_index("sample")
    assert panel.loc["HIGH", "tmb_status"] == "TMB-high"
    assert panel.loc["EDGE", "tmb_status"] == "TMB-low (95% CI spans 10/Mb)"
    assert panel.loc["TINY", "tmb_status"].startswith("not classified: callable territory 0.004")
    assert panel.loc["TINY", "tmb_per_mb"] == pytest.approx(7998.0, abs=0.5)
    assert np.isnan(panel.loc["TINY", "reference_percentile"])  # not placed in a reference
    assert panel.loc["NONE", "tmb_status"].startswith("not computed: no callable territory")
    assert np.isnan(panel.loc["NONE", "tmb_per_mb"])
    assert panel.loc["GONE", "tmb_status"].startswith("not computed: no row in")
    assert "Garwood" in panel.loc["HIGH", "tmb_from"]
    # no MSI result and no HRD table: reasons, never numbers
    assert panel["msi_status"].eq("not computed: no MSI result for this tumor").all()
    assert panel["hrd_status"].str.startswith("not computed: HRD score not available").all()
    assert panel[["msi_score", "hrd_score"]].isna().all().all()


def test_panel_reads_msi_and_hrd_and_places_tmb_in_the_escc_distribution(tmp_path: Path) -> None:
    tmb = _tmb_table(tmp_path / "tmb.tsv", [tmb_row("T1", maf(90, 10, "T1"), 30_000_000)])
    msi = tmp_path / "T1.msi.tsv"
    pd.DataFrame(
        [
            {
                "sample": "T1",
                "mode": "tumor-normal",
                "sites": 900,
                "sites_covered": 800,
                "sites_unstable": 120,
                "msi_score": 21.5,
                "msi_score_ci_low": 18.0,
                "msi_score_ci_high": 25.0,
                "msi_score_sites": 15.0,
                "msi_threshold": 3.5,
                "msi_status": "MSI-H",
                "test": "a test",
                "min_coverage": 15,
                "compared_with": "matched normal N1",
            }
        ]
    ).to_csv(msi, sep="\t", index=False)
    hrd = tmp_path / "hrd.tsv"
    pd.DataFrame(
        {
            "sample": ["T1", "T2"],
            "hrd_loh": [12, None],
            "tai": [15, None],
            "lst": [20, None],
            "hrd_sum": [47, None],
            "status": ["computed", "not computed"],
            "reason": ["", "allele-specific segments cover 0.2 of the autosomes"],
        }
    ).to_csv(hrd, sep="\t", index=False)
    reference = reference_tmb(ESCC)
    both = build_panel(["T1", "T2"], str(tmb), [str(msi)], str(hrd), reference)
    assert both.loc[1, "hrd_status"] == (
        "not computed: allele-specific segments cover 0.2 of the autosomes"
    )
    assert np.isnan(both.loc[1, "hrd_score"])
    panel = both.iloc[0]
    assert panel["msi_score"] == 21.5 and panel["msi_status"] == "MSI-H"
    assert "800 of 900 microsatellites" in panel["msi_from"]
    assert panel["hrd_score"] == 47
    assert panel["hrd_from"].endswith("/hrd.tsv: HRD-LOH 12, TAI 15, LST 20 (sum)")
    # independent: per-patient SNV totals of the shipped catalogues over its territory
    counts = pd.read_csv(ESCC / "sbs96_catalogues.tsv", sep="\t", index_col=0).sum(axis=0)
    territory = pd.read_csv(ESCC / "tmb.tsv", sep="\t").set_index("metric").loc["territory_mb"]
    per_mb = counts / float(territory["value"])
    assert panel["reference_snv_per_mb_median"] == pytest.approx(per_mb.median(), abs=1e-3)
    snv = 90 / 30
    expected = 100 * ((per_mb < snv).sum() + 0.5 * (per_mb == snv).sum()) / per_mb.size
    assert panel["reference_percentile"] == pytest.approx(expected, abs=0.05)
    assert "ESCC" in panel["reference_from"] and "95 patients" in panel["reference_from"]


def test_panel_command_writes_the_table_and_the_reference(tmp_path: Path) -> None:
    tmb = _tmb_table(tmp_path / "tmb.tsv", [tmb_row("T1", maf(11, 1, "T1"), 2_000_000)])
    out, ref = tmp_path / "panel.tsv", tmp_path / "reference_tmb.tsv"
    argv = [
        "biomarker-panel",
        "--tumors",
        "T1",
        "--tmb",
        str(tmb),
        "--reference",
        str(ESCC),
        "--out",
        str(out),
        "--out-reference",
        str(ref),
    ]
    assert main(argv) == 0
    panel = pd.read_csv(out, sep="\t")
    assert panel.loc[0, "tmb_per_mb"] == pytest.approx(6.0)  # CI 3.1-10.5
    assert panel.loc[0, "tmb_status"] == "TMB-low (95% CI spans 10/Mb)"
    assert len(pd.read_csv(ref, sep="\t")) == 95
    assert pd.read_csv(out, sep="\t").loc[0, "hrd_status"].startswith("not computed")
    assert main([*argv, "--hrd", str(tmp_path / "absent.tsv")]) == 2  # named but missing
