"""Reference profiles: shipped figures traced to their sources, builder round trip, opportunity."""

from __future__ import annotations

import filecmp
import itertools
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scce_genomics.cli import main
from scce_genomics.compare.references import (
    arm_frequencies,
    count_trinucleotides,
    gene_frequencies,
    load_reference,
    opportunity,
    opportunity_weights,
    read_sbs96,
    resources_dir,
)
from scce_genomics.compare.stats import cosine_matrix
from scce_genomics.errors import InputError

REFS = resources_dir() / "references"
SOURCE = REFS / "source"


@pytest.fixture(scope="module")
def refs() -> dict[str, object]:
    return {n: load_reference(REFS / n) for n in ("ESCC", "EAC", "SCLC")}


def _figure(refs: dict, reference: str, statistic: str, key: str) -> float:
    ref = refs[reference]
    if statistic == "gene_frequency":
        table = gene_frequencies(ref).set_index("gene")
        return 100 * float(table.loc[key, "frequency"])
    if statistic in ("arm_gain", "arm_loss"):
        table = arm_frequencies(ref).set_index("arm")
        return 100 * float(table.loc[key, f"{statistic[4:]}_freq"])
    if statistic in ("focal_amp", "focal_deep_del"):
        calls = ref.focal_calls[ref.focal_calls["gene"] == key]
        valid = calls[calls["call"] != "NA"]
        return 100 * float((valid["call"] == statistic[6:]).mean())
    if statistic == "signature_present":
        return 100 * float((ref.exposures[key] > 0).mean())
    if statistic == "median_cosine_to_ESCC":
        escc = refs[key].sbs96.to_numpy().T
        cat = ref.sbs96.to_numpy().T
        return 100 * float(np.median(cosine_matrix(cat, escc.sum(axis=0))))
    raise AssertionError(f"unknown statistic {statistic}")


def test_every_expected_figure_is_recomputed_from_the_built_references(refs):
    expected = pd.read_csv(REFS / "expected_figures.tsv", sep="\t")
    assert len(expected) >= 15
    for row in expected.itertuples():
        got = _figure(refs, row.reference, row.statistic, row.key)
        assert abs(got - row.expected_pct) <= row.tolerance_pct + 1e-9, (row.figure, got)


@pytest.mark.parametrize("name", ["ESCC", "EAC"])
def test_arm_and_focal_calls_match_the_source_derivations(refs, name):
    """Our segment summarising reproduces the source's arm and gene log2 tables (4 decimals)."""
    ref = refs[name]
    src = pd.read_csv(SOURCE / f"cna/TCGA_{name}_SNP6_arm_weighted_log2ratio_hg19.tsv", sep="\t")
    src["sample"] = src["sample"].str[:12]
    ours = ref.arm_calls.pivot(index="sample", columns="arm", values="log2")
    src = src.set_index("sample")
    diff = (ours.loc[src.index, src.columns] - src).abs().to_numpy()
    assert np.nanmax(diff) < 6e-5
    freq = pd.read_csv(SOURCE / f"cna/TCGA_{name}_arm_level_frequencies_hg19.tsv", sep="\t")
    freq = freq[freq["threshold"] == 0.2].set_index("arm")
    mine = arm_frequencies(ref).set_index("arm")
    assert np.allclose(100 * mine.loc[freq.index, "gain_freq"], freq["gain_pct"], atol=0.051)
    assert np.allclose(100 * mine.loc[freq.index, "loss_freq"], freq["loss_pct"], atol=0.051)
    genes = pd.read_csv(SOURCE / f"cna/TCGA_{name}_SNP6_gene_log2ratio_hg19.tsv", sep="\t")
    genes["sample"] = genes["sample"].str[:12]
    genes = genes.set_index("sample")
    ours = ref.focal_calls.pivot(index="sample", columns="gene", values="log2")
    diff = (ours.loc[genes.index, genes.columns] - genes).abs().to_numpy()
    assert np.nanmax(diff) < 6e-5


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("ESCC", "TCGA_ESCC_MC3_driver_gene_frequencies.tsv"),
        ("EAC", "TCGA_EAC_MC3_driver_gene_frequencies.tsv"),
        ("SCLC", "SCLC_George2015_driver_gene_frequencies.tsv"),
    ],
)
def test_driver_table_of_the_source_is_reproduced(refs, name, table):
    source = pd.read_csv(SOURCE / "mutations" / table, sep="\t")
    mine = gene_frequencies(refs[name]).set_index("gene")
    assert len(source) >= 15
    for row in source.itertuples():
        assert int(mine["n_mutated"].get(row.gene, 0)) == row.n_mut_all, (name, row.gene)
        assert int(mine["n_samples"].iloc[0]) == row.n_samples


def test_every_eac_patient_has_every_family_and_sclc_copy_number_is_stated_absent(refs):
    eac = refs["EAC"]
    families = [
        set(eac.sbs96.columns), set(eac.exposures.index), set(eac.mutation_samples),
        set(eac.arm_calls["sample"]), set(eac.focal_calls["sample"]),
    ]  # fmt: skip
    assert all(f == families[0] for f in families) and len(families[0]) == 66
    sclc = refs["SCLC"]
    assert sclc.arm_calls is None and sclc.arm_freq is None and sclc.focal_calls is None
    assert "no per-patient SCLC copy number" in sclc.meta["unavailable"]["arm_cnv"]
    assert len(sclc.mutation_samples) == 97
    # ten SCLC patients have both an exome catalogue and George 2015 calls
    assert len(set(sclc.sbs96.columns) & set(sclc.mutation_samples)) == 10


def test_builder_round_trip_reproduces_the_shipped_profiles(tmp_path):
    """Rebuilding from the shipped sources gives byte-identical profile folders."""
    script = REFS / "build.sh"
    root = resources_dir().parent
    env = {"PATH": str(Path(__import__("sys").executable).parent) + ":/usr/bin:/bin"}
    subprocess.run(["bash", str(script), str(tmp_path)], cwd=root, check=True, env=env)
    for name in ("ESCC", "EAC", "SCLC"):
        shipped = sorted(p.name for p in (REFS / name).iterdir())
        built = sorted(p.name for p in (tmp_path / name).iterdir())
        assert shipped == built
        _match, mismatch, errors = filecmp.cmpfiles(REFS / name, tmp_path / name, shipped, False)
        assert not mismatch and not errors, (name, mismatch, errors)


def test_profile_yaml_states_size_build_and_assay(refs):
    meta = refs["ESCC"].meta
    assert meta["build"] == "GRCh37" and meta["assay"] == "exome"
    assert meta["n_samples"] == {
        "sbs96": 95, "signatures": 95, "mutations": 96, "arm_cnv": 96, "focal_cnv": 96,
    }  # fmt: skip
    assert refs["EAC"].meta["n_samples"] == {
        "sbs96": 66, "signatures": 66, "mutations": 66, "arm_cnv": 66, "focal_cnv": 66,
    }  # fmt: skip


def test_count_trinucleotides_matches_brute_force(tmp_path):
    rng = np.random.default_rng(3)
    seqs = {"c1": "".join(rng.choice(list("ACGTN"), 400, p=[0.3, 0.2, 0.2, 0.28, 0.02])),
            "c2": "acgtTGCA" * 20}  # fmt: skip
    fasta = tmp_path / "g.fa"
    fasta.write_text("".join(f">{k} desc\n{v[:150]}\n{v[150:]}\n" for k, v in seqs.items()))
    bed = tmp_path / "t.bed"
    bed.write_text("c1\t10\t200\nc2\t5\t50\n")
    comp = str.maketrans("ACGT", "TGCA")

    def brute(regions: dict[str, tuple[int, int]] | None) -> dict[str, int]:
        counts: dict[str, int] = {}
        for name, seq in seqs.items():
            seq = seq.upper()
            for i in range(1, len(seq) - 1):
                if regions is not None and not regions[name][0] <= i < regions[name][1]:
                    continue
                tri = seq[i - 1 : i + 2]
                if "N" in tri:
                    continue
                if tri[1] in "AG":
                    tri = tri.translate(comp)[::-1]
                counts[tri] = counts.get(tri, 0) + 1
        return counts

    for regions, path in ((None, None), ({"c1": (10, 200), "c2": (5, 50)}, bed)):
        got = count_trinucleotides(fasta, path)
        want = brute(regions)
        assert len(got) == 32
        for ctx in got.index:
            assert got[ctx] == want.get(ctx, 0), ctx


def test_opportunity_conversion_round_trips_and_changes_cpg():
    exome, genome = opportunity("GRCh37_exome"), opportunity("GRCh37_genome")
    to_genome = opportunity_weights(exome, genome)
    back = opportunity_weights(genome, exome)
    assert np.allclose(to_genome * back / (to_genome * back).mean(), 1.0)
    assert np.allclose(opportunity_weights(exome, exome), 1.0)
    # CpG contexts are enriched in exomes: converting to genome must shrink A[C>T]G
    channels = list(itertools.product("ACGT", ["C>A", "C>G", "C>T", "T>A", "T>C", "T>G"], "ACGT"))
    labels = [f"{a}[{s}]{b}" for a, s, b in sorted(channels)]
    assert to_genome[labels.index("A[C>T]G")] < to_genome[labels.index("A[C>T]A")]


def test_bad_inputs_raise_input_errors(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("MutationType\tS1\nA[C>A]A\t3\n")
    with pytest.raises(InputError, match="96 channels"):
        read_sbs96(bad)
    with pytest.raises(InputError, match="opportunity"):
        opportunity(tmp_path / "missing.tsv")
    assert main(["reference", "build", "--name", "X", "--outdir", str(tmp_path / "x"),
                 "--build", "GRCh37", "--assay", "exome", "--sbs96", str(bad)]) == 2  # fmt: skip
    good = SOURCE / "sbs96" / "SCLC_WES_SBS96_counts.tsv.gz"
    base = ["reference", "build", "--name", "X", "--outdir", str(tmp_path / "y"), "--build",
            "GRCh37", "--assay", "exome", "--sbs96", str(good)]  # fmt: skip
    assert main([*base, "--unavailable", "no reason given"]) == 2
    assert main([*base, "--unavailable", "copy_number=none"]) == 2  # not a family name
    assert not (tmp_path / "y").exists()


def test_count_trinucleotides_target_ending_at_the_contig_end(tmp_path):
    """A capture interval may end exactly at the last base of a contig (BED end = length)."""
    seq = "ACGTTGCAAC" * 30 + "ACG"  # 303 bases
    fasta = tmp_path / "g.fa"
    fasta.write_text(f">c1\n{seq}\n")
    bed = tmp_path / "t.bed"
    bed.write_text(f"c1\t290\t{len(seq)}\n")
    got = count_trinucleotides(fasta, bed)
    # centres 290..301 (the last base has no 3' neighbour): 12 windows, none with N
    assert got.sum() == len(seq) - 1 - 290
    whole = count_trinucleotides(fasta, None)
    bed.write_text(f"c1\t0\t{len(seq)}\n")
    assert count_trinucleotides(fasta, bed).equals(whole)
