"""The comparison: held-out ESCC is ESCC-like, held-out SCLC not; one definition of closest."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scce_genomics.cli import main
from scce_genomics.compare.classifier import CLOSEST_DEFINITION, COMBINED
from scce_genomics.compare.classify import ReferenceCache
from scce_genomics.compare.references import (
    CohortData,
    load_reference,
    resources_dir,
    subset_cohort,
)
from scce_genomics.compare.run import CompareConfig, compare_cohort
from scce_genomics.compare.training import SignatureFit

CFG = CompareConfig(bootstrap=100, folds=3)
FIT = SignatureFit()


@pytest.fixture(scope="module")
def split() -> dict[str, object]:
    """References rebuilt from a random half; the other half is held out for cohorts."""
    rng = np.random.default_rng(11)
    out: dict[str, object] = {"refs": [], "held": {}, "cache": ReferenceCache()}
    for name in ("ESCC", "EAC", "SCLC"):
        ref = load_reference(resources_dir() / "references" / name)
        patients = np.array(sorted(ref.samples()))
        held = set(rng.choice(patients, size=len(patients) // 2, replace=False))
        out["refs"].append(subset_cohort(ref, set(patients) - held))
        out["held"][name] = subset_cohort(ref, held, name="cohort")
    return out


def _cohort(split: dict, name: str, n: int, seed: int = 0, need_sbs: bool = True) -> CohortData:
    held = split["held"][name]
    rng = np.random.default_rng(seed)
    pool = sorted(held.sbs96.columns) if need_sbs else sorted(held.samples())
    cohort = subset_cohort(held, set(rng.choice(pool, size=n, replace=False)), name="cohort")
    cohort.exposures = FIT.exposures(cohort.sbs96.T) if cohort.sbs96.shape[1] else None
    return cohort


def _row(summary: pd.DataFrame, family: str) -> pd.Series:
    return summary[summary["family"] == family].iloc[0]


def test_cohort_from_held_out_escc_is_escc_like(split):
    cohort = _cohort(split, "ESCC", 10)
    result = compare_cohort(cohort, split["refs"], CFG, split["cache"])
    s = result.summary
    assert _row(s, "overall")["verdict"] == "ESCC-like"
    assert _row(s, COMBINED)["closest"] == "ESCC"
    assert "not ESCC-like" not in set(s["verdict"])
    # descriptive similarities keep their CI and method; probabilities their bootstrap CI
    ok = s[s["similarity"].notna()]
    assert (ok["ci_low"] <= ok["similarity"] + 1e-9).all()
    assert (ok["similarity"] <= ok["ci_high"] + 1e-9).all()
    prob = s[s["mean_probability"].notna()]
    assert (prob["prob_ci_low"] <= prob["mean_probability"] + 1e-9).all()
    escc = s[(s["reference"] == "ESCC") & s["family"].isin([COMBINED, "SBS96 spectrum"])]
    assert escc["p_typical"].between(0, 1).all()
    # SCLC copy number: no per-patient data, marginalised and said so
    arm = s[(s["family"] == "arm CNV") & (s["reference"] == "SCLC")].iloc[0]
    assert np.isnan(arm["mean_probability"])
    assert "marginalised" in arm["reason"] and "without per-patient data" in arm["reason"]


def test_cohort_from_held_out_sclc_is_not_escc_like(split):
    cohort = _cohort(split, "SCLC", 8)
    result = compare_cohort(cohort, split["refs"], CFG, split["cache"])
    s = result.summary
    assert _row(s, "overall")["verdict"] == "not ESCC-like"
    assert _row(s, "SBS96 spectrum")["closest"] == "SCLC"
    assert "ESCC-like" not in set(s["verdict"])
    arm = _row(s, "arm CNV")
    assert arm["verdict"] == "NA" and "arm" in arm["verdict_reason"]


def test_one_definition_of_closest_per_tumor_cohort_row_and_summary(split):
    cohort = _cohort(split, "EAC", 6, seed=3)
    result = compare_cohort(cohort, split["refs"], CFG, split["cache"])
    tumors = result.tumors
    refs = ["ESCC", "EAC", "SCLC"]
    cols = [f"probability_{r}" for r in refs]
    each = tumors[tumors["sample"] != "(cohort)"]
    assert np.allclose(each[cols].sum(axis=1), 1.0)
    assert (each["closest"] == each[cols].idxmax(axis=1).str[12:]).all()
    row = tumors[tumors["sample"] == "(cohort)"].iloc[0]
    assert np.allclose(row[cols].to_numpy(float), each[cols].mean().to_numpy())
    assert row["closest"] == _row(result.summary, COMBINED)["closest"]
    assert row["closest"] == refs[int(np.argmax(row[cols].to_numpy(float)))]
    assert (tumors["closest_definition"] == CLOSEST_DEFINITION).all()
    assert (result.summary["closest_definition"] == CLOSEST_DEFINITION).all()
    # a confident call only above the threshold, "uncertain" otherwise
    top = each[cols].max(axis=1)
    assert ((top >= CFG.min_posterior) == (each["call"] != "uncertain")).all()


def test_families_pointing_different_ways_are_reported_as_such(split):
    """ESCC spectra and copy number with SCLC genes: not averaged into one word."""
    cohort = _cohort(split, "ESCC", 10, seed=5)
    sclc = split["held"]["SCLC"]
    donors = [s for s in sclc.mutation_samples if s in set(sclc.mutated["sample"])][:10]
    swap = dict(zip(donors, cohort.mutation_samples, strict=False))
    mutated = sclc.mutated[sclc.mutated["sample"].isin(donors)].copy()
    mutated["sample"] = mutated["sample"].map(swap)
    cohort.mutated = mutated
    result = compare_cohort(cohort, split["refs"], CFG, split["cache"])
    s = result.summary
    genes = _row(s, "driver genes")
    assert genes["closest"] == "SCLC" and genes["verdict"] == "not ESCC-like"
    toward = s[(s["verdict"] == "ESCC-like") & (s["family"] != COMBINED)]["family"].unique()
    assert len(toward) >= 1
    overall = _row(s, "overall")
    assert overall["verdict"] == "inconclusive"
    assert "families disagree" in overall["verdict_reason"]
    assert "driver genes (closest SCLC)" in overall["verdict_reason"]
    assert "toward ESCC: " + ", ".join(toward) in overall["verdict_reason"]


def test_few_mutations_give_diffuse_per_tumor_probabilities(split):
    held = split["held"]["SCLC"]
    sample = sorted(held.sbs96.columns)[0]
    one = subset_cohort(held, {sample})
    counts = one.sbs96.to_numpy()[:, 0]
    tiny = one.sbs96.copy()
    tiny.iloc[:, 0] = np.random.default_rng(0).multinomial(8, counts / counts.sum())
    rows = []
    for data in (one, CohortData(name="c", sbs96=tiny, opportunity=one.opportunity)):
        data.mutated = data.mutation_samples = None
        result = compare_cohort(data, split["refs"], CFG, split["cache"])
        t = result.tumors
        rows.append(t[t["sample"] == sample].iloc[0])
    p = [f"p_sbs96_{r}" for r in ("ESCC", "EAC", "SCLC")]
    assert rows[1][p].max() < rows[0][p].max()
    assert rows[1]["n_mutations"] == 8
    pct = [f"percentile_{r}" for r in ("ESCC", "EAC", "SCLC")]
    assert ((rows[1][pct] >= 0) & (rows[1][pct] <= 1)).all()


def test_single_tumor_cohort_gives_na_verdicts_with_reasons(split):
    cohort = _cohort(split, "ESCC", 1)
    result = compare_cohort(cohort, split["refs"], CFG, split["cache"])
    s = result.summary
    for fam in ("SBS96 spectrum", "driver genes", COMBINED):
        row = _row(s, fam)
        assert row["verdict"] == "NA" and "need ≥ 3" in row["verdict_reason"], fam
    # the tumor still has its probabilities
    assert result.tumors.iloc[0][["probability_ESCC", "probability_EAC"]].notna().all()


# ----------------------------------------------------------------------------- command line


def _write_contract(root: Path, cohort: CohortData, zero: bool = False) -> dict[str, Path]:
    """Hand-made contract files of the other stages from a held-out cohort."""
    paths = {k: root / v for k, v in {
        "sbs96": "spectra/SBS96.tsv", "exposures": "signatures/SBS_exposures.tsv",
        "maf": "somatic/cohort.maf", "arms": "cnv/arm_calls.tsv", "genes": "cnv/gene_calls.tsv",
        "samples": "samples.tsv", "tmb": "somatic/tmb.tsv",
    }.items()}  # fmt: skip
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    samples = list(cohort.sbs96.columns)
    sbs = cohort.sbs96.astype(int) * (0 if zero else 1)
    sbs.to_csv(paths["sbs96"], sep="\t")
    exposures = FIT.exposures(sbs.T) if not zero else cohort.exposures * 0
    long = exposures.stack().rename("exposure").reset_index()
    long.columns = ["sample", "signature", "exposure"]
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
    if zero:
        arms["log2"], arms["call"] = 0.0, "neutral"
    arms.to_csv(paths["arms"], sep="\t", index=False)
    cohort.focal_calls.to_csv(paths["genes"], sep="\t", index=False)
    pd.DataFrame({"sample": samples, "type": "tumor"}).to_csv(paths["samples"], sep="\t",
                                                              index=False)  # fmt: skip
    pd.DataFrame({"sample": samples, "n_snv": 1}).to_csv(paths["tmb"], sep="\t", index=False)
    return paths


def _args(paths: dict[str, Path], outdir: Path, keys=("sbs96", "exposures", "maf", "arms",
          "genes", "samples")) -> list[str]:  # fmt: skip
    args = ["compare", "--outdir", str(outdir), "--bootstrap", "40", "--folds", "2"]
    for key in keys:
        args += [f"--{key}", str(paths[key])]
    return args


@pytest.fixture(scope="module")
def contract(split, tmp_path_factory) -> dict[str, Path]:
    held = split["held"]["ESCC"]
    both = sorted(set(held.sbs96.columns) & set(held.arm_calls["sample"]))[:5]
    return _write_contract(tmp_path_factory.mktemp("in"), subset_cohort(held, set(both)))


def test_cli_defaults_to_shipped_references_and_prints_a_summary(contract, tmp_path, capsys):
    out = tmp_path / "out"
    assert main([*_args(contract, out), "--opportunity", "GRCh37_exome"]) == 0
    text = capsys.readouterr().out
    shipped = str(resources_dir() / "references")
    assert f"{shipped}/ESCC (shipped)" in text
    assert "OVERALL:" in text and "closest = the reference with the highest" in text
    assert len(text.splitlines()) <= 40  # one screen
    assert (out / "summary.txt").read_text().strip() == text.strip()
    for name in ("summary", "tumors", "calibration", "reliability", "signatures", "genes",
                 "arms", "focal"):  # fmt: skip
        assert (out / f"{name}.tsv").stat().st_size > 0
    for png in ("sbs96_spectra.png", "gene_forest.png", "arm_frequencies.png", "reliability.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
    cal = pd.read_csv(out / "calibration.tsv", sep="\t")
    assert {"accuracy", "brier", "ece", "ece_ci_low", "ece_ci_high", "method"} <= set(cal.columns)
    assert (cal["n"] > 100).all()
    genes = pd.read_csv(out / "genes.tsv", sep="\t")
    assert {"TP53", "RB1"} <= set(genes.loc[genes["reference"] == "SCLC", "gene"])
    sig = pd.read_csv(out / "signatures.tsv", sep="\t")
    assert "clock-like (SBS1/5/40)" in set(sig["group"])


def test_cli_requires_the_cohort_assay(contract, tmp_path, capsys):
    assert main(_args(contract, tmp_path / "o")) == 2
    err = capsys.readouterr().err
    assert "assay is not stated" in err and "--opportunity" in err


def test_cli_refuses_unknown_sample_names(contract, tmp_path, capsys):
    sheet = tmp_path / "samples.tsv"
    names = list(pd.read_csv(contract["samples"], sep="\t")["sample"])
    sheet.write_text("sample\n" + "\n".join([*names, "TCGA-XX-TYPO"]) + "\n")
    args = _args(contract, tmp_path / "o", ("sbs96", "exposures"))
    assert main([*args, "--samples", str(sheet), "--opportunity", "GRCh37_exome"]) == 2
    assert "TCGA-XX-TYPO" in capsys.readouterr().err


def test_cli_restricts_exposures_to_the_cohort(split, contract, tmp_path, capsys):
    """An exposures table of more tumors than the cohort: only the cohort's are used."""
    big = pd.read_csv(contract["exposures"], sep="\t")
    other = split["held"]["SCLC"]
    extra = FIT.exposures(other.sbs96.T).stack().rename("exposure").reset_index()
    extra.columns = ["sample", "signature", "exposure"]
    path = tmp_path / "exposures.tsv"
    pd.concat([big, extra]).to_csv(path, sep="\t", index=False)
    paths = {**contract, "exposures": path}
    out = tmp_path / "o"
    args = _args(paths, out, ("sbs96", "exposures"))
    assert main([*args, "--opportunity", "GRCh37_exome"]) == 0
    text = capsys.readouterr().out
    assert f"exposures: {other.sbs96.shape[1]} sample(s) outside the cohort ignored" in text
    tumors = pd.read_csv(out / "tumors.tsv", sep="\t")
    assert len(tumors) == 6  # five tumors and the cohort row
    summary = pd.read_csv(out / "summary.tsv", sep="\t")
    assert (summary.loc[summary["family"] == "signatures", "n_cohort"].dropna() == 5).all()


def test_cli_zero_mutation_cohort_gives_na_not_a_crash(split, tmp_path):
    held = split["held"]["ESCC"]
    both = sorted(set(held.sbs96.columns) & set(held.arm_calls["sample"]))[:4]
    cohort = subset_cohort(held, set(both))
    cohort.exposures = FIT.exposures(cohort.sbs96.T)
    paths = _write_contract(tmp_path / "in", cohort, zero=True)
    out = tmp_path / "out"
    assert main([*_args(paths, out), "--opportunity", "GRCh37_exome"]) == 0
    summary = pd.read_csv(out / "summary.tsv", sep="\t")
    for family in ("SBS96 spectrum", "signatures", "driver genes"):
        part = summary[summary["family"] == family]
        assert part["verdict"].isna().all(), family  # written as NA, with its reason
        assert part["verdict_reason"].str.len().gt(0).all(), family
    tumors = pd.read_csv(out / "tumors.tsv", sep="\t")
    assert not {"p_sbs96_ESCC", "p_genes_ESCC"} & set(tumors.columns)
    genes = pd.read_csv(out / "genes.tsv", sep="\t")
    tp53 = genes[(genes["gene"] == "TP53") & (genes["reference"] == "ESCC")]
    assert int(tp53["cohort_alt"].iloc[0]) == 0 and int(tp53["cohort_n"].iloc[0]) == 4


def test_cohort_versus_cohort_mode(split, tmp_path):
    held = split["held"]["ESCC"]
    both = sorted(set(held.sbs96.columns) & set(held.arm_calls["sample"]))
    a = _write_contract(tmp_path / "a", subset_cohort(held, set(both[:6])))
    _write_contract(tmp_path / "b", subset_cohort(held, set(both[6:14])))
    refs = [str(resources_dir() / "references" / n) for n in ("ESCC", "EAC")]
    args = [*_args(a, tmp_path / "out"), "--opportunity", "GRCh37_exome"]
    for r in refs:
        args += ["--reference", r]
    (tmp_path / "b" / "reference").mkdir()
    assert main([*args, "--versus", f"other={tmp_path / 'b'}", "--min-samples", "3"]) == 2
    # the other cohort's assay must be known: its results hold the genome it was run on
    (tmp_path / "b" / "reference" / "genome.fa").write_text(">c\n" + "ACGT" * 50 + "\n")
    assert main([*args, "--versus", f"other={tmp_path / 'b'}"]) == 0
    summary = pd.read_csv(tmp_path / "out" / "summary.tsv", sep="\t")
    other = summary[(summary["reference"] == "other") & (summary["family"] == "driver genes")]
    assert other["similarity"].notna().all() and other["mean_probability"].notna().all()


def test_cli_bad_input_exits_2(tmp_path):
    bad = tmp_path / "SBS96.tsv"
    bad.write_text("MutationType\tS1\nA[C>A]A\t1\n")
    assert main(["compare", "--sbs96", str(bad), "--opportunity", "GRCh37_exome",
                 "--outdir", str(tmp_path / "o")]) == 2  # fmt: skip


def test_cli_model_fitted_ahead_is_used_unchanged(contract, tmp_path, capsys, monkeypatch):
    """compare-model then compare --model: the same tables as compare alone, without refitting."""
    from scce_genomics.compare import run as compare_run

    model = tmp_path / "model.pkl"
    settings = ["--opportunity", "GRCh37_exome", "--bootstrap", "40", "--folds", "2"]
    assert main(["compare-model", *settings, "--out", str(model)]) == 0
    alone, ahead = tmp_path / "alone", tmp_path / "ahead"
    assert main([*_args(contract, alone), "--opportunity", "GRCh37_exome"]) == 0

    def refit(*args, **kwargs):
        raise AssertionError("the references were refitted although a model was given")

    with monkeypatch.context() as patch:
        patch.setattr(compare_run, "refit_exposures", refit)
        patch.setattr(compare_run, "reference_model", refit)
        capsys.readouterr()
        assert main([*_args(contract, ahead), "--opportunity", "GRCh37_exome",
                     "--model", str(model)]) == 0  # fmt: skip
    assert "refitted" not in capsys.readouterr().err
    for name in ("summary", "tumors", "calibration", "reliability", "signatures", "genes",
                 "arms", "focal"):  # fmt: skip
        assert (ahead / f"{name}.tsv").read_bytes() == (alone / f"{name}.tsv").read_bytes(), name


def test_cli_model_of_other_settings_is_refitted_not_used(contract, tmp_path, capsys):
    model = tmp_path / "model.pkl"
    assert main(["compare-model", "--opportunity", "GRCh37_exome", "--folds", "3",
                 "--out", str(model)]) == 0  # fmt: skip
    out = tmp_path / "o"
    capsys.readouterr()
    args = [*_args(contract, out), "--opportunity", "GRCh37_exome"]
    assert main([*args, "--model", str(model)]) == 0
    assert f"note: {model} was fitted for other references, assay or settings" in (
        capsys.readouterr().err
    )
    cal = pd.read_csv(out / "calibration.tsv", sep="\t")
    assert len(cal) and "2-fold" in " ".join(cal["method"].astype(str))


def test_cli_unreadable_model_names_the_file(contract, tmp_path, capsys):
    model = tmp_path / "model.pkl"
    model.write_bytes(b"not a pickle")
    args = [*_args(contract, tmp_path / "o"), "--opportunity", "GRCh37_exome"]
    assert main([*args, "--model", str(model)]) == 2
    err = capsys.readouterr().err
    assert str(model) in err and "compare-model" in err
    assert not (tmp_path / "o" / "summary.tsv").exists()


def test_model_digest_is_by_value_and_the_same_in_every_process(tmp_path):
    """Another process (other string hashes) gives the same digest; one changed cell does not."""
    import subprocess
    import sys

    from scce_genomics.compare.model_file import digest

    frame = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}, index=["s1", "s2"])
    parts = (frame, {"genes": {"TP53", "RB1", "NOTCH1"}}, CFG)
    code = (
        "import pandas as pd\n"
        "from scce_genomics.compare.model_file import digest\n"
        "from scce_genomics.compare.run import CompareConfig\n"
        "frame = pd.DataFrame({'a': [1.0, 2.0], 'b': ['x', 'y']}, index=['s1', 's2'])\n"
        "print(digest(frame, {'genes': {'TP53', 'RB1', 'NOTCH1'}},"
        " CompareConfig(bootstrap=100, folds=3)))\n"
    )
    keys = {
        subprocess.run(
            [sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }  # fmt: skip
    assert keys == {digest(*parts)}
    changed = frame.copy()
    changed.loc["s2", "a"] = 2.5
    assert digest(changed, *parts[1:]) != digest(*parts)
    assert digest(frame, parts[1], CompareConfig(bootstrap=100, folds=2)) != digest(*parts)
