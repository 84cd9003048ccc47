"""Somatic stage end to end on the tiny cohort: calls against the simulated truth."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pysam
import pytest

pytestmark = pytest.mark.workflow


def keys(path: Path, pass_only: bool = True) -> set[tuple[str, int, str, str]]:
    out = set()
    with pysam.VariantFile(str(path)) as vcf:
        for rec in vcf:
            if pass_only and list(rec.filter.keys()) != ["PASS"]:
                continue
            # split doublets so truth DBS records match single-base calls
            if len(rec.ref) == len(rec.alts[0]) > 1:
                for i, (r, a) in enumerate(zip(rec.ref, rec.alts[0], strict=True)):
                    out.add((rec.chrom, rec.pos + i, r, a))
            else:
                out.add((rec.chrom, rec.pos, rec.ref, rec.alts[0]))
    return out


@pytest.mark.parametrize("tumor", ["P1T", "P2T"])
def test_paired_calls_match_truth(workflow_run: Path, tiny_cohort: Path, tumor: str) -> None:
    calls = keys(workflow_run / f"somatic/{tumor}.vcf.gz")
    truth = keys(tiny_cohort / f"truth/{tumor}.somatic.vcf.gz", pass_only=False)
    tp = len(calls & truth)
    assert tp / len(calls) >= 0.9  # precision on a 24x tumor / 14x normal
    assert tp / len(truth) >= 0.6  # recall includes subclonal variants at VAF < 0.1


def test_tumor_only_sample_is_called(workflow_run: Path, tiny_cohort: Path) -> None:
    """Without a germline resource (this run has none) tumor-only calling stays precise.

    At 24x a clonal mutation (VAF ~0.31 at purity 0.62) and a private germline SNP (0.5) overlap,
    so the caller gives up recall (about 0.2 here) rather than call germline SNPs; the
    population resource restores it (tests/test_workflow_tumor_only.py).
    """
    calls = keys(workflow_run / "somatic/P3T.vcf.gz")
    truth = keys(tiny_cohort / "truth/P3T.somatic.vcf.gz", pass_only=False)
    assert len(calls & truth) / len(calls) >= 0.75
    assert len(calls & truth) / len(truth) >= 0.15
    with pysam.VariantFile(str(workflow_run / "somatic/P3T.vcf.gz")) as vcf:
        assert list(vcf.header.samples) == ["P3T"]


def test_cohort_maf_and_tmb(workflow_run: Path) -> None:
    maf = pd.read_csv(workflow_run / "somatic/cohort.maf", sep="\t")
    assert set(maf["Tumor_Sample_Barcode"]) == {"P1T", "P2T", "P3T"}
    assert {"Missense_Mutation", "IGR"} <= set(maf["Variant_Classification"])
    assert (maf["t_alt_count"] > 0).all()
    drivers = maf[maf["Hugo_Symbol"].isin(["TP53", "RB1", "NOTCH1", "PIK3CA"])]
    assert len(drivers) >= 2  # planted driver SNVs are annotated with their gene
    tmb = pd.read_csv(workflow_run / "somatic/tmb.tsv", sep="\t").set_index("sample")
    per_sample = maf.groupby("Tumor_Sample_Barcode").size()
    for sample, row in tmb.iterrows():
        # only calls inside the callable territory count; PASS calls pass the same depths
        counted = row["n_snv"] + row["n_indel"]
        assert 0.9 * per_sample[sample] <= counted <= per_sample[sample]
        assert 0.5 < row["callable_mb"] < 1.0  # most of the ~0.9 Mb genome at these depths
