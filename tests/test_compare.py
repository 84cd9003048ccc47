"""The comparison engine: held-out ESCC is ESCC-like, held-out SCLC not; small cohorts give NA."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scce_genomics.cli import main
from scce_genomics.compare.references import (
    CohortData,
    load_reference,
    resources_dir,
    subset_cohort,
)
from scce_genomics.compare.run import CompareConfig, compare_summary
from scce_genomics.compare.spectra import per_sample_spectra

FAMS = ("SBS96 spectrum", "signatures", "driver genes", "arm CNV", "focal CNV")


@pytest.fixture(scope="module")
def split() -> dict[str, object]:
    """References rebuilt from a random half; the other half is held out for cohorts."""
    rng = np.random.default_rng(11)
    out: dict[str, object] = {"refs": [], "held": {}}
    for name in ("ESCC", "EAC", "SCLC"):
        ref = load_reference(resources_dir() / "references" / name)
        patients = np.array(sorted(ref.samples()))
        held = set(rng.choice(patients, size=len(patients) // 2, replace=False))
        out["refs"].append(subset_cohort(ref, set(patients) - held))
        out["held"][name] = subset_cohort(ref, held, name="cohort")
    return out


def _cohort(split: dict, name: str, n: int) -> CohortData:
    held = split["held"][name]
    rng = np.random.default_rng(n)
    samples = rng.choice(sorted(held.samples()), size=n, replace=False)
    return subset_cohort(held, set(samples), name="cohort")


def _verdict(summary: pd.DataFrame, family: str) -> str:
    return str(summary.loc[summary["family"] == family, "verdict"].iloc[0])


def test_cohort_from_held_out_escc_is_escc_like(split):
    cohort = _cohort(split, "ESCC", 20)
    summary = compare_summary(cohort, split["refs"], CompareConfig(bootstrap=150), FAMS)
    assert _verdict(summary, "overall") == "ESCC-like"
    sbs = summary[summary["family"] == "SBS96 spectrum"]
    assert sbs["closest"].iloc[0] == "ESCC"
    assert _verdict(summary, "arm CNV") == "ESCC-like"
    assert "not ESCC-like" not in set(summary["verdict"])
    # every similarity has a CI that contains it and a stated method
    ok = summary[summary["similarity"].notna()]
    assert (ok["ci_low"] <= ok["similarity"] + 1e-9).all()
    assert (ok["similarity"] <= ok["ci_high"] + 1e-9).all()
    assert ok["ci_method"].str.contains("bootstrap").all()


def test_cohort_from_held_out_sclc_is_not_escc_like(split):
    cohort = _cohort(split, "SCLC", 12)
    summary = compare_summary(cohort, split["refs"], CompareConfig(bootstrap=150), FAMS)
    assert _verdict(summary, "overall") == "not ESCC-like"
    for fam in ("SBS96 spectrum", "signatures"):
        part = summary[summary["family"] == fam]
        assert part["closest"].iloc[0] == "SCLC"
        assert _verdict(summary, fam) != "ESCC-like"
    assert _verdict(summary, "SBS96 spectrum") == "not ESCC-like"
    # families the SCLC data lack are NA with a reason, never a verdict
    genes = summary[summary["family"] == "driver genes"]
    assert (genes["verdict"] == "NA").all() and genes["reason"].str.len().gt(0).all()


def test_per_sample_posterior_is_diffuse_for_few_mutations(split):
    held = split["held"]["SCLC"]
    sample = sorted(held.samples())[0]
    one = subset_cohort(held, {sample})
    assert one.sbs96 is not None
    counts = one.sbs96.to_numpy()[:, 0]
    tiny = one.sbs96.copy()
    rng = np.random.default_rng(0)
    tiny.iloc[:, 0] = rng.multinomial(8, counts / counts.sum())
    few = CohortData(name="c", sbs96=tiny, opportunity=one.opportunity)
    big = per_sample_spectra(one, split["refs"], n_boot=50)
    small = per_sample_spectra(few, split["refs"], n_boot=50)
    post_cols = [c for c in big.columns if c.startswith("posterior_")]
    assert small.loc[0, post_cols].max() < big.loc[0, post_cols].max() + 1e-12
    assert small.loc[0, "n_mutations"] == 8
    pct = [c for c in big.columns if c.startswith("percentile_")]
    assert ((small.loc[0, pct] >= 0) & (small.loc[0, pct] <= 1)).all()


def test_single_sample_cohort_gives_na_with_reasons(split):
    cohort = _cohort(split, "ESCC", 1)
    summary = compare_summary(cohort, split["refs"], CompareConfig(bootstrap=50), FAMS)
    for fam in ("signatures", "driver genes", "arm CNV", "focal CNV"):
        part = summary[summary["family"] == fam]
        assert part["similarity"].isna().all(), fam
        assert part["reason"].str.contains("need ≥ 3").any(), fam
    sbs = summary[summary["family"] == "SBS96 spectrum"]
    assert sbs["similarity"].notna().all()
    assert sbs["ci_method"].str.contains("mutations resampled").all()


def _write_contract(root: Path, cohort: CohortData, zero: bool = False) -> dict[str, Path]:
    """Hand-made contract files of the other stages from a held-out cohort."""
    paths = {k: root / v for k, v in {
        "sbs96": "spectra/SBS96.tsv", "exposures": "signatures/SBS_exposures.tsv",
        "maf": "somatic/cohort.maf", "arms": "cnv/arm_calls.tsv", "genes": "cnv/gene_calls.tsv",
        "samples": "samples.tsv", "tmb": "somatic/tmb.tsv",
    }.items()}  # fmt: skip
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    assert cohort.sbs96 is not None and cohort.exposures is not None
    samples = list(cohort.sbs96.columns)
    sbs = cohort.sbs96.astype(int) * (0 if zero else 1)
    sbs.to_csv(paths["sbs96"], sep="\t")
    long = cohort.exposures.stack().rename("exposure").reset_index()
    long.columns = ["sample", "signature", "exposure"]
    long["fraction"] = long["exposure"] / long.groupby("sample")["exposure"].transform("sum")
    long.to_csv(paths["exposures"], sep="\t", index=False)
    mut = cohort.mutated if cohort.mutated is not None and not zero else pd.DataFrame(
        columns=["sample", "gene"])  # fmt: skip
    pd.DataFrame({
        "Hugo_Symbol": mut["gene"], "Chromosome": "chr1", "Start_Position": 1,
        "Variant_Classification": "Missense_Mutation", "Variant_Type": "SNP",
        "Tumor_Sample_Barcode": mut["sample"],
    }).to_csv(paths["maf"], sep="\t", index=False)  # fmt: skip
    arms = cohort.arm_calls.copy()
    arms.insert(1, "chrom", "chr" + arms["arm"].str[:-1])
    arms["cn"] = 2
    if zero:
        arms["log2"], arms["call"] = 0.0, "neutral"
    arms.to_csv(paths["arms"], sep="\t", index=False)
    genes = cohort.focal_calls.copy()
    genes.to_csv(paths["genes"], sep="\t", index=False)
    pd.DataFrame({"sample": samples, "type": "tumor"}).to_csv(paths["samples"], sep="\t",
                                                              index=False)  # fmt: skip
    pd.DataFrame({"sample": samples, "n_snv": 1}).to_csv(paths["tmb"], sep="\t", index=False)
    return paths


def _cli(paths: dict[str, Path], outdir: Path, extra: list[str]) -> int:
    refs = [str(resources_dir() / "references" / n) for n in ("ESCC", "EAC", "SCLC")]
    args = ["compare", "--outdir", str(outdir), "--bootstrap", "40", "--opportunity",
            "GRCh37_exome"]  # fmt: skip
    for key in ("sbs96", "exposures", "maf", "arms", "genes", "samples"):
        args += [f"--{key}", str(paths[key])]
    for r in refs:
        args += ["--reference", r]
    return main(args + extra)


def test_cli_writes_tables_and_figures_with_stated_statistics(split, tmp_path):
    held = split["held"]["ESCC"]
    both = sorted(set(held.sbs96.columns) & set(held.arm_calls["sample"]))[:6]
    paths = _write_contract(tmp_path / "in", subset_cohort(held, set(both)))
    assert _cli(paths, tmp_path / "out", []) == 0
    out = tmp_path / "out"
    for name in ("summary", "spectra_samples", "signatures", "genes", "arms", "focal"):
        assert (out / f"{name}.tsv").stat().st_size > 0
    for png in ("sbs96_spectra.png", "gene_forest.png", "arm_frequencies.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
    genes = pd.read_csv(out / "genes.tsv", sep="\t")
    assert {"TP53", "RB1"} <= set(genes.loc[genes["reference"] == "ESCC", "gene"])
    for col in (
        "test",
        "effect_size",
        "odds_ratio",
        "or_ci_low",
        "or_ci_high",
        "fdr",
        "correction",
    ):
        assert col in genes.columns
    arms = pd.read_csv(out / "arms.tsv", sep="\t")
    assert set(arms["reference"]) == {"ESCC", "EAC"}
    summary = pd.read_csv(out / "summary.tsv", sep="\t")
    assert summary["verdict_rule"].notna().all()
    assert summary.iloc[-1]["family"] == "overall"


def test_cli_zero_mutation_cohort_gives_na_not_a_crash(split, tmp_path):
    held = split["held"]["ESCC"]
    both = sorted(set(held.sbs96.columns) & set(held.arm_calls["sample"]))[:4]
    paths = _write_contract(tmp_path / "in", subset_cohort(held, set(both)), zero=True)
    assert _cli(paths, tmp_path / "out", []) == 0
    summary = pd.read_csv(tmp_path / "out" / "summary.tsv", sep="\t")
    sbs = summary[summary["family"] == "SBS96 spectrum"]
    assert sbs["similarity"].isna().all()
    assert sbs["reason"].str.contains("no sample").all()
    arms = summary[summary["family"] == "arm CNV"]
    assert arms["similarity"].isna().all() and arms["reason"].str.len().gt(0).all()
    per_sample = pd.read_csv(tmp_path / "out" / "spectra_samples.tsv", sep="\t")
    assert per_sample["call"].isna().all()  # written as NA
    genes = pd.read_csv(tmp_path / "out" / "genes.tsv", sep="\t")
    tp53 = genes[(genes["gene"] == "TP53") & (genes["reference"] == "ESCC")]
    assert int(tp53["cohort_alt"].iloc[0]) == 0 and int(tp53["cohort_n"].iloc[0]) == 4


def test_cohort_versus_cohort_mode(split, tmp_path):
    held = split["held"]["ESCC"]
    both = sorted(set(held.sbs96.columns) & set(held.arm_calls["sample"]))
    a = _write_contract(tmp_path / "a", subset_cohort(held, set(both[:6])))
    _write_contract(tmp_path / "b", subset_cohort(held, set(both[6:14])))
    assert _cli(a, tmp_path / "out", ["--versus", f"other={tmp_path / 'b'}"]) == 0
    summary = pd.read_csv(tmp_path / "out" / "summary.tsv", sep="\t")
    other = summary[(summary["reference"] == "other") & (summary["family"] == "driver genes")]
    assert other["similarity"].notna().all()


def test_cli_bad_input_exits_2(tmp_path):
    bad = tmp_path / "SBS96.tsv"
    bad.write_text("MutationType\tS1\nA[C>A]A\t1\n")
    ref = str(resources_dir() / "references" / "ESCC")
    assert main(["compare", "--sbs96", str(bad), "--reference", ref, "--outdir",
                 str(tmp_path / "o")]) == 2  # fmt: skip
