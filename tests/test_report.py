"""The HTML report on small hand-made stage outputs: complete, partial and degenerate runs."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scce_genomics.cli import main
from scce_genomics.cosmic import SBS96_CHANNELS
from scce_genomics.report.build import build_report, load_config
from scce_genomics.report.versions import collect_versions

REPO = Path(__file__).resolve().parents[1]
ALL_STAGES = ("somatic", "cnv", "spectra", "compare")
ARMS = [
    ("chr3", "3p", 0, 90_000),
    ("chr3", "3q", 100_000, 200_000),
    ("chr8", "8p", 0, 45_000),
    ("chr8", "8q", 55_000, 150_000),
]


def _tsv(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, sep="\t", index=False, na_rep="NA")


def make_results(
    root: Path,
    tumors: dict[str, str],
    normals: tuple[str, ...] = (),
    zero: tuple[str, ...] = (),
    stages: tuple[str, ...] = ALL_STAGES,
    seed: int = 0,
) -> tuple[Path, Path]:
    """A results folder in the stages' contract formats; returns (results, samples.tsv).

    ``tumors`` maps tumor → patient; a normal ``<patient>N`` in ``normals`` pairs it. Tumors in
    ``zero`` have no somatic mutation. Only the ``stages`` listed leave outputs.
    """
    rng = np.random.default_rng(seed)
    results = root / "results"
    rows = [
        dict(sample=t, patient=p, type="tumor", tissue="ffpe", purity=0.6, sex="female")
        for t, p in tumors.items()
    ]
    rows += [
        dict(sample=n, patient=n[:-1], type="normal", tissue="blood", purity="", sex="female")
        for n in normals
    ]
    sheet = pd.DataFrame(rows)
    samples = root / "samples.tsv"
    _tsv(sheet, samples)
    qc = sheet[["sample", "type", "tissue"]].assign(
        total_reads=200_000,
        mapped_fraction=0.99,
        duplication_rate=0.01,
        insert_size_mean=320.0,
        mean_coverage=30.0,
        on_target_fraction=np.nan,
        verdict="pass",
        reasons="",
    )
    _tsv(qc, results / "qc/qc_table.tsv")
    _tsv(
        pd.DataFrame(
            {
                "chrom": [a[0] for a in ARMS],
                "arm": [a[1] for a in ARMS],
                "start": [a[2] for a in ARMS],
                "end": [a[3] for a in ARMS],
            }
        ),
        results / "reference/arms.tsv",
    )
    names = list(tumors)
    counts = {t: (0 if t in zero else 40 + 10 * k) for k, t in enumerate(names)}
    if "somatic" in stages:
        maf = []
        for t in names:
            for k in range(counts[t]):
                cls = "Missense_Mutation" if k < 2 else "Silent" if k % 3 else "IGR"
                gene = ("TP53", "PIK3CA")[k] if k < 2 else "GENE{k}"
                maf.append(
                    dict(
                        Hugo_Symbol=gene,
                        Chromosome="chr3",
                        Start_Position=1000 + k,
                        End_Position=1000 + k,
                        Reference_Allele="C",
                        Tumor_Seq_Allele2="T",
                        Variant_Classification=cls,
                        Variant_Type="SNP",
                        Tumor_Sample_Barcode=t,
                        t_depth=30,
                        t_alt_count=9,
                        n_depth=20,
                        n_alt_count=0,
                        HGVSp_Short="p.R175H" if k == 0 else "",
                    )
                )
        cols = [
            "Hugo_Symbol",
            "Chromosome",
            "Start_Position",
            "End_Position",
            "Reference_Allele",
            "Tumor_Seq_Allele2",
            "Variant_Classification",
            "Variant_Type",
            "Tumor_Sample_Barcode",
            "t_depth",
            "t_alt_count",
            "n_depth",
            "n_alt_count",
            "HGVSp_Short",
        ]
        _tsv(pd.DataFrame(maf, columns=cols), results / "somatic/cohort.maf")
        _tsv(
            pd.DataFrame(
                {
                    "sample": names,
                    "n_snv": [counts[t] for t in names],
                    "n_indel": 0,
                    "callable_mb": 0.5,
                    "tmb_per_mb": [counts[t] / 0.5 for t in names],
                }
            ),
            results / "somatic/tmb.tsv",
        )
    if "cnv" in stages:
        arm_rows, gene_rows = [], []
        for t in names:
            seg = pd.DataFrame(
                {
                    "chromosome": ["chr3", "chr3", "chr8"],
                    "start": [0, 100_000, 0],
                    "end": [100_000, 200_000, 150_000],
                    "gene": "-",
                    "log2": [-0.6, 0.45, 0.0],
                    "cn": [1, 3, 2],
                }
            )
            _tsv(seg, results / f"cnv/{t}.call.cns")
            _tsv(seg.drop(columns="cn"), results / f"cnv/{t}.cns")
            for chrom, arm, _, _ in ARMS:
                call = {"3p": "loss", "3q": "gain"}.get(arm, "neutral")
                arm_rows.append(dict(sample=t, chrom=chrom, arm=arm, log2=0.0, cn=2, call=call))
            gene_rows.append(
                dict(
                    sample=t,
                    gene="SOX2",
                    chrom="chr3",
                    start=150_000,
                    end=152_000,
                    log2=1.2,
                    cn=6,
                    call="amp",
                )
            )
            gene_rows.append(
                dict(
                    sample=t,
                    gene="MYC",
                    chrom="chr8",
                    start=130_000,
                    end=131_000,
                    log2=0.0,
                    cn=2,
                    call="neutral",
                )
            )
        _tsv(pd.DataFrame(arm_rows), results / "cnv/arm_calls.tsv")
        _tsv(pd.DataFrame(gene_rows), results / "cnv/gene_calls.tsv")
        _tsv(
            pd.DataFrame(
                {"sample": names, "purity": 0.6, "ploidy": 2.0, "fraction_genome_altered": 0.3}
            ),
            results / "cnv/summary.tsv",
        )
    if "spectra" in stages:
        matrix = pd.DataFrame({"MutationType": list(SBS96_CHANNELS)})
        for t in names:
            matrix[t] = rng.multinomial(counts[t], np.full(96, 1 / 96)) if counts[t] else 0
        _tsv(matrix, results / "spectra/SBS96.tsv")
        exp = []
        for t in names:
            n = counts[t]
            for sig, frac in (("SBS1", 0.3), ("SBS5", 0.7), ("SBS13", 0.0)):
                exp.append(
                    dict(
                        sample=t,
                        signature=sig,
                        exposure=frac * n,
                        fraction=frac if n else 0,
                        ci_low=0.5 * frac * n,
                        ci_high=min(n, 1.5 * frac * n),
                        n_mutations=n,
                        cosine=0.9 if n else np.nan,
                        flag="ok" if n >= 50 else "low_mutation_count",
                    )
                )
        _tsv(pd.DataFrame(exp), results / "signatures/SBS_exposures.tsv")
    if "compare" in stages:
        n = len(names)
        summary = pd.DataFrame(
            [
                dict(
                    family="SBS96 spectrum",
                    reference="ESCC",
                    metric="cosine",
                    n_cohort=n,
                    n_reference=95,
                    similarity=0.8,
                    ci_low=0.7,
                    ci_high=0.9,
                    ci_method="percentile bootstrap",
                    support_as_closest=0.95,
                    p_typical=0.4,
                    reason="",
                    closest="ESCC",
                    closest_support=0.95,
                    verdict="ESCC-like",
                    verdict_reason="",
                    verdict_rule="symmetric rule",
                ),
                dict(
                    family="driver genes",
                    reference="ESCC",
                    metric="pearson",
                    n_cohort=n,
                    n_reference=96,
                    similarity=np.nan,
                    ci_low=np.nan,
                    ci_high=np.nan,
                    ci_method="percentile bootstrap",
                    support_as_closest=np.nan,
                    p_typical=np.nan,
                    reason=f"cohort has {n} samples, fewer than min_samples 3",
                    closest="",
                    closest_support=np.nan,
                    verdict="NA",
                    verdict_reason="",
                    verdict_rule="rule",
                ),
                dict(
                    family="overall",
                    reference="ESCC",
                    verdict="ESCC-like",
                    verdict_reason="ESCC-like: 1, NA: 1",
                ),
            ]
        )
        _tsv(summary, results / "compare/summary.tsv")
        _tsv(
            pd.DataFrame(
                [
                    dict(
                        reference="ESCC",
                        gene=g,
                        cohort_alt=a,
                        cohort_n=n,
                        ref_alt=r,
                        ref_n=96,
                        reason="",
                        cohort_freq=a / n,
                        ref_freq=r / 96,
                        odds_ratio=o,
                        or_ci_low=lo,
                        or_ci_high=hi,
                        p_value=p,
                        fdr=min(1.0, 2 * p),
                        test="Fisher exact, two-sided",
                        always_reported=g == "TP53",
                    )
                    for g, a, r, o, lo, hi, p in (
                        ("TP53", 1, 88, 0.1, 0.01, 1.2, 0.03),
                        ("PIK3CA", 1, 12, 5.0, 0.3, np.inf, 0.2),
                    )
                ]
            ),
            results / "compare/genes.tsv",
        )
        _tsv(
            pd.DataFrame(
                [
                    dict(
                        reference="ESCC",
                        arm=arm,
                        event=ev,
                        cohort_alt=0,
                        cohort_n=n,
                        ref_alt=10,
                        ref_n=96,
                        cohort_freq=f,
                        ref_freq=0.3,
                        odds_ratio=1.0,
                        or_ci_low=0.1,
                        or_ci_high=10.0,
                        p_value=1.0,
                        fdr=1.0,
                    )
                    for arm, ev, f in (
                        ("3p", "loss", 1.0),
                        ("3p", "gain", 0.0),
                        ("3q", "gain", 1.0),
                        ("3q", "loss", 0.0),
                    )
                ]
            ),
            results / "compare/arms.tsv",
        )
        _tsv(
            pd.DataFrame(
                [
                    dict(
                        sample=t,
                        families="SBS96 spectrum",
                        probability_ESCC=0.9,
                        probability_SCLC=0.1,
                        closest="ESCC",
                        call="ESCC",
                        reason="",
                        p_sbs96_ESCC=0.9,
                        p_sbs96_SCLC=0.1,
                        n_mutations=counts[t],
                        cosine_ESCC=0.8,
                        cosine_SCLC=0.5,
                        closest_definition="closest = the highest calibrated probability",
                    )
                    for t in names
                ]
            ),
            results / "compare/tumors.tsv",
        )
        _tsv(
            pd.DataFrame(
                [
                    dict(family="all families", tumors="reference tumors with any", n=284,
                         accuracy=0.86, brier=0.19, ece=0.06, method="nested patient-level CV"),
                ]
            ),
            results / "compare/calibration.tsv",
        )  # fmt: skip
    return results, samples


def _build(results: Path, samples: Path, **config: object) -> tuple[str, pd.DataFrame]:
    out = results / "report" / "report.html"
    cfg = {"comparison": {"references": [str(REPO / "resources/references/ESCC")]}, **config}
    built = build_report(results, out, config=cfg, samples=samples)
    not_computed = pd.read_csv(results / "report/tables/not_computed.tsv", sep="\t")
    assert len(not_computed) == len(built["issues"].drop_duplicates())
    return out.read_text(), not_computed


def _images(page: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"', page)]


def test_complete_run_renders_every_section(tmp_path: Path) -> None:
    results, samples = make_results(tmp_path, {"P1T": "P1", "P2T": "P2"}, normals=("P1N",))
    page, not_computed = _build(results, samples)
    for sid in ("not-computed", "overview", "samples", "comparison", "methods"):
        assert f'<section id="{sid}">' in page
    # per tumor: CNV plot, SBS96, exposures; cohort: spectra, exposures, oncoplot, forest, arms
    images = _images(page)
    assert len(images) == 2 * 3 + 5
    assert all(img.startswith(b"\x89PNG") for img in images)
    # self-contained: nothing fetched from elsewhere
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<link" not in page and "<script src" not in page
    assert "tumor–normal (P1N)" in page and "tumor-only" in page
    assert 'id="overall-verdict"' in page and "ESCC-like" in page
    # exactly the outputs this hand-made run lacks are listed as missing
    assert set(not_computed["item"]) == {
        "FFPE damage and tumor/normal identity",
        "MultiQC report",
        "software versions",
        "signature-group tests",
        "calibrated spectra figure",
        "focal tests",
    }
    assert set(not_computed["status"]) == {"not run"}
    tables = {p.stem for p in (results / "report/tables").glob("*.tsv")}
    assert {"samples", "qc_table", "tumor_summary", "compare_summary", "oncoplot_matrix"} <= tables
    verdicts = pd.read_csv(results / "report/tables/verdict_by_family.tsv", sep="\t")
    assert list(verdicts["family"]) == ["SBS96 spectrum", "driver genes"]
    assert list(verdicts["verdict"].fillna("NA")) == ["ESCC-like", "NA"]
    summary = pd.read_csv(results / "report/tables/tumor_summary.tsv", sep="\t")
    assert list(summary["SNV"]) == [40, 50]
    assert list(summary["driver mutations"]) == [2, 2]
    # the long method column is stated once, not repeated per row, but kept in the TSV
    full = pd.read_csv(results / "report/tables/compare_genes.tsv", sep="\t")
    assert "test" in full.columns and page.count("Fisher exact, two-sided") < len(full) + 3


def test_tumor_only_single_sample(tmp_path: Path) -> None:
    results, samples = make_results(tmp_path, {"T1": "P9"}, stages=("somatic", "cnv"))
    page, not_computed = _build(results, samples)
    assert "tumor-only" in page
    assert "<b>1</b>tumors" in page and "<b>0</b>tumor–normal pairs" in page
    missing = not_computed[not_computed["status"] == "not run"]
    reasons = " ".join(missing["reason"])
    assert "spectra/SBS96.tsv is missing" in reasons
    assert "compare/summary.tsv is missing" in reasons
    assert "signatures/SBS_exposures.tsv is missing" in reasons
    # the arm plot falls back to the CNV stage's calls beside the reference's frequencies
    assert "as called (not re-derived" in page
    # the CNV plot and driver table were still produced
    assert len(_images(page)) >= 2
    assert (results / "report/tables/drivers_T1.tsv").is_file()


def test_zero_mutation_tumor_says_what_is_missing(tmp_path: Path) -> None:
    results, samples = make_results(tmp_path, {"A1T": "A1", "Z1T": "Z1"}, zero=("Z1T",))
    page, not_computed = _build(results, samples)
    z = not_computed[not_computed["section"] == "Per sample: Z1T"].set_index("item")
    assert z.loc["somatic mutations", "status"] == "none found"
    assert "no single-base substitution" in z.loc["SBS96 spectrum", "reason"]
    assert "no SBS to fit" in z.loc["signature exposures", "reason"]
    assert not not_computed["section"].eq("Per sample: A1T").any()
    summary = pd.read_csv(results / "report/tables/tumor_summary.tsv", sep="\t")
    assert summary.set_index("sample").loc["Z1T", "SNV"] == 0
    assert summary.set_index("sample").loc["Z1T", "top signatures"] == "none"
    assert "Z1T" in page and "A1T" in page


def test_qc_only_run_reports_stages_as_not_run(tmp_path: Path) -> None:
    results, samples = make_results(tmp_path, {"P1T": "P1"}, normals=("P1N",), stages=())
    page, not_computed = _build(results, samples)
    assert (not_computed["status"] == "not run").sum() >= 8
    for path in (
        "somatic/cohort.maf",
        "cnv/arm_calls.tsv",
        "spectra/SBS96.tsv",
        "compare/summary.tsv",
        "report/versions.tsv",
    ):
        assert not_computed["reason"].str.contains(path, regex=False).any(), path
    assert page.count('class="na"') >= len(not_computed.drop_duplicates()) - 2
    assert _images(page) == []
    assert "qc_table.tsv" in page


def test_empty_and_malformed_outputs(tmp_path: Path) -> None:
    results, samples = make_results(tmp_path, {"P1T": "P1", "P2T": "P2"})
    (results / "somatic/tmb.tsv").write_text("")
    (results / "compare/genes.tsv").write_text("gene\tfoo\nTP53\t1\n")
    _, not_computed = _build(results, samples)
    status = not_computed.set_index("item")["status"]
    assert status["TMB"] == "empty output"
    assert status["gene frequency tests"] == "unexpected format"


def test_driver_list_from_config(tmp_path: Path) -> None:
    results, samples = make_results(tmp_path, {"P1T": "P1"})
    _build(results, samples, report={"drivers": ["PIK3CA"]})
    drivers = pd.read_csv(results / "report/tables/drivers_P1T.tsv", sep="\t")
    assert list(drivers["gene"]) == ["PIK3CA"]
    matrix = pd.read_csv(results / "report/tables/oncoplot_matrix.tsv", sep="\t")
    assert list(matrix["gene"]) == ["PIK3CA"]


def test_report_cli_and_config_merge(tmp_path: Path) -> None:
    results, samples = make_results(tmp_path, {"P1T": "P1"}, stages=("somatic",))
    base = tmp_path / "a.yaml"
    base.write_text("report:\n  title: First\n  drivers: [TP53]\noutdir: x\n")
    over = tmp_path / "b.yaml"
    over.write_text("report:\n  title: Second title\n")
    merged = load_config([base, over], '{"outdir": "y"}')
    assert merged == {"report": {"title": "Second title", "drivers": ["TP53"]}, "outdir": "y"}
    rc = main(
        [
            "report",
            "--results",
            str(results),
            "--config",
            str(base),
            "--config",
            str(over),
            "--samples",
            str(samples),
        ]
    )
    assert rc == 0
    page = (results / "report/report.html").read_text()
    assert "<title>Second title</title>" in page
    assert "title: Second title" in page  # the config, as YAML, in the methods


def test_bad_config_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- a list\n")
    assert main(["report", "--results", str(tmp_path), "--config", str(bad)]) == 2
    assert "must be a YAML mapping" in capsys.readouterr().err


def test_versions_come_from_the_environment(tmp_path: Path) -> None:
    import importlib.metadata
    import shutil

    table = collect_versions().set_index("name")
    needed = {
        "bwa",
        "samtools",
        "bcftools",
        "mosdepth",
        "R/DNAcopy",
        "cnvkit",
        "snakemake",
        "pysam",
        "numpy",
        "pandas",
        "scipy",
        "SigProfilerAssignment",
    }
    assert needed <= set(table.index)
    assert table.loc["numpy", "version"] == importlib.metadata.version("numpy")
    for tool in ("samtools", "bcftools"):
        if shutil.which(tool):
            assert table.loc[tool, "status"] == "ok"
            assert re.match(r"\d+\.\d+", table.loc[tool, "version"])
        else:
            assert table.loc[tool, "status"].startswith("missing")
    assert main(["versions", "--out", str(tmp_path / "v.tsv")]) == 0
    assert len(pd.read_csv(tmp_path / "v.tsv", sep="\t")) == len(table)


def test_maf_comment_lines_and_no_sample_sheet(tmp_path: Path) -> None:
    results, _ = make_results(tmp_path, {"P1T": "P1"}, normals=("P1N",), stages=("somatic",))
    maf = results / "somatic/cohort.maf"
    maf.write_text("#version 2.4\n" + maf.read_text())
    out = results / "report/report.html"
    build_report(results, out, samples=None)
    summary = pd.read_csv(results / "report/tables/tumor_summary.tsv", sep="\t")
    assert summary.loc[0, "SNV"] == 40
    not_computed = pd.read_csv(results / "report/tables/not_computed.tsv", sep="\t")
    assert "tumor–normal pairing" in set(not_computed["item"])
    assert "unknown (no sample sheet)" in out.read_text()


def test_tissue_qc_joins_the_qc_table(tmp_path: Path) -> None:
    results, samples = make_results(tmp_path, {"P1T": "P1"}, normals=("P1N",), stages=())
    _tsv(pd.DataFrame({"sample": ["P1T", "P1N"], "patient": "P1",
                       "ct_artifact_rate": [0.004, 0.0005], "identity_concordance": [0.99, np.nan],
                       "identity_verdict": ["pass", "NA"], "tissue_verdict": ["warn", "pass"]}),
         results / "qc/tissue_qc.tsv")  # fmt: skip
    _, not_computed = _build(results, samples)
    assert "FFPE damage and tumor/normal identity" not in set(not_computed["item"])
    qc = pd.read_csv(results / "report/tables/qc_table.tsv", sep="\t").set_index("sample")
    assert qc.loc["P1T", "ct_artifact_rate"] == pytest.approx(0.004)
    assert qc.loc["P1T", "tissue_verdict"] == "warn"
    assert "patient" not in qc.columns  # only the QC metrics are joined
    assert (results / "report/tables/qc_tissue_qc.tsv").is_file()


def test_views_write_no_html() -> None:
    """Markup lives in the templates: no Python module of the report holds an HTML tag."""
    import ast

    package = REPO / "src/scce_genomics/report"
    tag = re.compile(r"</?(p|b|i|a|div|span|table|tr|td|th|h\d|code|section|img|figure)[\s>/]")
    found = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
            if is_text and tag.search(node.value):
                found.append(f"{path.relative_to(package)}:{node.lineno}")
    assert not found, f"HTML in Python strings: {found}"
    templates = {p.relative_to(package / "templates").as_posix()
                 for p in (package / "templates").rglob("*.j2")}  # fmt: skip
    from scce_genomics.report.sections import SECTIONS

    for section in SECTIONS:
        assert section.template in templates, section.template
        for panel in section.panels:
            assert panel.template in templates, panel.template
