"""Unit tests of the copy-number library: arms, genes, CN48, purity fit, degenerate input."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scce_genomics.cnv.arms import ArmThresholds, arm_calls
from scce_genomics.cnv.cn48 import CN48_CHANNELS, CN48_INDEX, classify_cn48, cn48_matrix
from scce_genomics.cnv.purity import center_shift, expected_log2, fit_purity_ploidy
from scce_genomics.cnv.summary import gene_calls, read_genes, summarise_cohort
from scce_genomics.errors import InputError

ARMS = pd.DataFrame(
    {"chrom": ["c1", "c1"], "arm": ["1p", "1q"], "start": [0, 60_000], "end": [50_000, 150_000]}
)


def seg(rows: list[tuple[str, int, int, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["chromosome", "start", "end", "log2", "cn"])


def test_segment_spanning_centromere_is_split_between_arms() -> None:
    # one segment from 0 to 100 kb crosses the centromere (50-60 kb): 1p all loss, 1q half loss
    s = seg([("c1", 0, 100_000, -1.0, 1), ("c1", 100_000, 150_000, 0.0, 2)])
    a = arm_calls(s, ARMS, "T").set_index("arm")
    assert a.loc["1p", "log2"] == pytest.approx(-1.0)
    assert a.loc["1q", "log2"] == pytest.approx((-1.0 * 40_000 + 0.0 * 50_000) / 90_000)
    assert a.loc["1p", "call"] == "loss"


def test_arm_call_directions_thresholds_and_focal_guard() -> None:
    s = seg([("c1", 0, 50_000, 0.15, 2), ("c1", 60_000, 150_000, 0.5, 3)])
    a = arm_calls(s, ARMS, "T", ArmThresholds(log2=0.2)).set_index("arm")["call"]
    assert list(a) == ["neutral", "gain"]
    lower = arm_calls(s, ARMS, "T", ArmThresholds(log2=0.1)).set_index("arm")["call"]
    assert lower["1p"] == "gain"
    # a focal amplification lifting the arm mean over the threshold is no arm gain
    focal = seg([("c1", 60_000, 80_000, 2.0, 9), ("c1", 80_000, 150_000, 0.0, 2)])
    assert arm_calls(focal, ARMS, "T").set_index("arm").loc["1q", "call"] == "neutral"


def test_arm_without_segments_is_na_with_reason() -> None:
    a = arm_calls(seg([("c1", 0, 50_000, -0.5, 1)]), ARMS, "T").set_index("arm")
    assert a.loc["1q", "call"] == "NA"
    assert "no segments" in a.loc["1q", "reason"]


def write_gff(path: Path) -> None:
    path.write_text(
        "##gff-version 3\n"
        "c1\tsim\tgene\t10001\t12000\t.\t+\t.\tID=gene:1;Name=CDKN2A\n"
        "c1\tsim\tgene\t70001\t72000\t.\t+\t.\tID=gene:2;Name=CCND1\n"
        "c1\tsim\tgene\t120001\t122000\t.\t+\t.\tID=gene:3;Name=MYC\n"
        "c1\tsim\tmRNA\t120001\t122000\t.\t+\t.\tID=t:3;Name=MYC-201\n"
    )


def test_gene_calls_amp_deep_del_neutral(tmp_path: Path) -> None:
    write_gff(tmp_path / "g.gff3")
    genes = read_genes(tmp_path / "g.gff3", ["CDKN2A", "CCND1", "MYC", "EGFR"])
    assert list(genes["gene"]) == ["CDKN2A", "CCND1", "MYC"]
    assert genes.loc[0, "start"] == 10_000
    s = seg(
        [("c1", 0, 20_000, -3.0, 0), ("c1", 20_000, 60_000, 0, 2), ("c1", 60_000, 80_000, 1.8, 7),
         ("c1", 80_000, 150_000, 0.02, 2)]
    )  # fmt: skip
    calls = gene_calls(s, None, genes, "T").set_index("gene")["call"]
    assert dict(calls) == {"CDKN2A": "deep_del", "CCND1": "amp", "MYC": "neutral"}


def test_gene_far_from_any_bin_is_na(tmp_path: Path) -> None:
    write_gff(tmp_path / "g.gff3")
    genes = read_genes(tmp_path / "g.gff3", ["MYC"])
    s = seg([("c1", 0, 150_000, 0.0, 2)])
    bins = seg([("c1", 0, 1000, 0.0, 2)])
    out = gene_calls(s, bins, genes, "T")
    assert out.loc[0, "call"] == "NA" and "no measured bin" in out.loc[0, "reason"]


SPMG = Path(
    pytest.importorskip("SigProfilerMatrixGenerator").__file__ or "."
).parent / "references" / "CNV"  # fmt: skip


def test_cn48_equals_sigprofiler_example() -> None:
    src = SPMG / "example_input" / "Battenberg_test.tsv"
    expected_path = SPMG / "example_output" / "BATTENBERG-TEST.CNV48.matrix.tsv"
    if not src.exists() or not expected_path.exists():
        pytest.skip("SigProfilerMatrixGenerator example files missing")
    df = pd.read_csv(src, sep="\t")
    cols = ["sample", "start", "end", "major", "minor"]
    parts = [
        df[["sample", "startpos", "endpos", f"nMaj{k}_A", f"nMin{k}_A"]]
        .dropna()
        .set_axis(cols, axis=1)
        for k in (1, 2)
    ]  # clonal and subclonal states both count, as in SPMG
    expected = pd.read_csv(expected_path, sep="\t", index_col=0)
    # the example's row labels repeat the channel name twice
    expected.index = [label[: len(label) // 2] for label in expected.index]
    ours = cn48_matrix(pd.concat(parts), list(expected.columns))
    # the first column is named as SigProfilerMatrixGenerator names it
    assert ours.columns[0] == CN48_INDEX == pd.read_csv(expected_path, sep="\t").columns[0]
    ours = ours.set_index(CN48_INDEX)
    assert list(expected.index) == list(CN48_CHANNELS)
    pd.testing.assert_frame_equal(
        ours.loc[expected.index], expected, check_names=False, check_dtype=False
    )


def test_cn48_classes() -> None:
    labels = classify_cn48(
        np.array([0, 1, 2, 2, 6]), np.array([0, 0, 0, 1, 3]),
        np.zeros(5), np.array([5e4, 2e6, 5e7, 2e7, 2e5]),
    )  # fmt: skip
    assert list(labels) == [
        "0:homdel:0-100kb", "1:LOH:1Mb-10Mb", "2:LOH:>40Mb", "3-4:het:10Mb-40Mb",
        "9+:het:100kb-1Mb",
    ]  # fmt: skip


@pytest.mark.parametrize("purity", [0.35, 0.6, 0.85])
def test_purity_fit_recovers_constructed_purity(purity: float) -> None:
    rng = np.random.default_rng(3)
    cn = np.array([1, 2, 3, 9, 2, 3, 1, 0, 1, 2, 2, 7, 2, 2, 1, 2])
    length = rng.integers(10_000, 100_000, len(cn)).astype(float)
    psi = float((cn * length).sum() / length.sum())
    log2 = expected_log2(cn, purity, psi) + rng.normal(0, 0.02, len(cn))
    fit = fit_purity_ploidy(log2, length)
    assert fit.source == "estimate"
    assert fit.purity == pytest.approx(purity, abs=0.05)
    assert fit.ploidy == pytest.approx(psi, abs=0.2)
    # the centre shift makes copy number 2 sit at log2 0 for CNVkit's call
    assert expected_log2(np.array([2]), fit.purity, fit.psi)[0] - center_shift(
        fit.purity, fit.psi
    ) == pytest.approx(0.0)


def test_flat_genome_purity_not_estimable() -> None:
    fit = fit_purity_ploidy(np.zeros(6) + 0.01, np.full(6, 1e4))
    assert math.isnan(fit.purity) and fit.source == "not_estimable" and fit.ploidy == 2.0
    given = fit_purity_ploidy(np.zeros(6), np.full(6, 1e4), purity=0.5)
    assert given.purity == 0.5 and given.source == "sheet"


def test_summarise_degenerate_inputs(tmp_path: Path) -> None:
    write_gff(tmp_path / "g.gff3")
    arms = tmp_path / "arms.tsv"
    pd.concat(
        [ARMS, pd.DataFrame({"chrom": ["c2"], "arm": ["2q"], "start": [0], "end": [100_000]})]
    ).to_csv(arms, sep="\t", index=False)
    cols = "chromosome\tstart\tend\tgene\tlog2\tcn\tprobes\tweight\n"
    flat = tmp_path / "FLAT.call.cns"
    flat.write_text(cols + "c1\t0\t150000\t-\t0.01\t2\t150\t150\n")
    panel = tmp_path / "PANEL.call.cns"  # a 2 kb panel: far too little territory
    panel.write_text(cols + "c1\t70000\t72000\t-\t1.5\t6\t8\t8\n")
    cnr_flat = tmp_path / "FLAT.cnr"
    cnr_flat.write_text(
        "chromosome\tstart\tend\tgene\tlog2\tdepth\tweight\n"
        + "".join(f"c1\t{i}\t{i + 1000}\t-\t0.0\t30\t1\n" for i in range(0, 150_000, 1000))
    )
    cnr_panel = tmp_path / "PANEL.cnr"
    cnr_panel.write_text(
        "chromosome\tstart\tend\tgene\tlog2\tdepth\tweight\nc1\t70000\t72000\tCCND1\t1.5\t90\t1\n"
    )
    outs = {k: str(tmp_path / f"out.{k}") for k in ("arms", "genes", "seg", "cn48", "summary")}
    t = summarise_cohort(
        [str(flat), str(panel)], str(arms), str(tmp_path / "g.gff3"), outs,
        bins=[str(cnr_flat), str(cnr_panel)],
    )  # fmt: skip
    a = t["arms"].set_index(["sample", "arm"])
    assert a.loc[("FLAT", "1p"), "call"] == "neutral"
    assert a.loc[("FLAT", "2q"), "call"] == "NA"  # chromosome without bins
    assert (a.loc["PANEL", "call"] == "NA").all()
    assert a.loc["PANEL", "reason"].str.len().gt(0).all()
    s = t["summary"].set_index("sample")
    assert s.loc["FLAT", "fraction_genome_altered"] == 0.0
    assert math.isnan(s.loc["PANEL", "fraction_genome_altered"]) and s.loc["PANEL", "reason"]
    g = t["genes"].set_index(["sample", "gene"])["call"]
    assert g[("PANEL", "CCND1")] == "amp" and g[("PANEL", "MYC")] == "NA"
    for path in outs.values():
        assert Path(path).stat().st_size > 0
    # without heterozygous SNPs a copy-number-2 segment has no CN48 class: NA, not zeros
    assert t["cn48"]["FLAT"].isna().all()
    assert "allele-specific" in t["summary"].set_index("sample").loc["FLAT", "cn48_reason"]


def write_inputs(tmp_path: Path) -> tuple[str, str]:
    write_gff(tmp_path / "g.gff3")
    arms = tmp_path / "arms.tsv"
    ARMS.to_csv(arms, sep="\t", index=False)
    return str(arms), str(tmp_path / "g.gff3")


CNS_HEAD = "chromosome\tstart\tend\tgene\tlog2\tcn\n"


def test_summarise_refuses_two_inputs_of_one_sample(tmp_path: Path) -> None:
    arms, gff = write_inputs(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for d in ("a", "b"):
        (tmp_path / d / "T1.call.cns").write_text(CNS_HEAD + "c1\t0\t150000\t-\t0\t2\n")
    paths = [str(tmp_path / d / "T1.call.cns") for d in ("a", "b")]
    with pytest.raises(InputError, match="two inputs name sample T1"):
        summarise_cohort(paths, arms, gff, {})


def test_summarise_refuses_overlapping_segments(tmp_path: Path) -> None:
    arms, gff = write_inputs(tmp_path)
    path = tmp_path / "T1.call.cns"
    path.write_text(CNS_HEAD + "c1\t0\t80000\t-\t0\t2\nc1\t70000\t150000\t-\t0.5\t3\n")
    with pytest.raises(InputError, match=r"segments of T1 overlap: c1:0-80000 and c1:70000-150000"):
        summarise_cohort([str(path)], arms, gff, {})


def test_cns_without_cn_gets_na_cn48_with_reason(tmp_path: Path) -> None:
    arms, gff = write_inputs(tmp_path)
    path = tmp_path / "T1.cns"
    path.write_text("chromosome\tstart\tend\tgene\tlog2\nc1\t0\t150000\t-\t-1.0\n")
    out = {"cn48": str(tmp_path / "cn48.tsv"), "summary": str(tmp_path / "s.tsv")}
    t = summarise_cohort([str(path)], arms, gff, out)
    assert t["cn48"]["T1"].isna().all()
    s = t["summary"].set_index("sample").loc["T1"]
    assert "no cn column" in s["cn48_reason"] and math.isnan(s["ploidy"])
    written = pd.read_csv(tmp_path / "cn48.tsv", sep="\t")
    assert written.columns[0] == "classification" and written["T1"].isna().all()
    # arms still come from log2
    assert t["arms"].set_index("arm").loc["1p", "call"] == "loss"


def test_shipped_gene_bed_is_accepted() -> None:
    bed = Path(__file__).resolve().parents[1] / "resources/genome/genes_GRCh38.bed.gz"
    genes = read_genes(bed, ["CCND1", "TP53", "NOT_A_GENE"]).set_index("gene")
    assert sorted(genes.index) == ["CCND1", "TP53"]
    assert genes.loc["TP53", "chrom"] == "chr17"
    assert 7_600_000 < genes.loc["TP53", "start"] < genes.loc["TP53", "end"] < 7_700_000
