"""Tumor-only calling in the workflow: after the CNV stage, with a checked germline resource."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from pathlib import Path

import pysam
import pytest

from conftest import snakemake, write_config

pytestmark = pytest.mark.workflow


def dry_run(cohort: Path, tmp_path: Path, target: str, **somatic: object) -> str:
    tmp_path.mkdir(exist_ok=True)
    config = write_config(tmp_path / "c.yaml", cohort, tmp_path / "results", somatic=somatic)
    proc = snakemake(config, tmp_path, "-n", "-p", str(tmp_path / "results" / target))
    return proc.stdout + proc.stderr


def test_tumor_only_call_waits_for_its_cnv_and_uses_the_resource(
    tiny_cohort: Path, tmp_path: Path
) -> None:
    resource = tiny_cohort / "reference/germline_resource.vcf.gz"
    plan = dry_run(tiny_cohort, tmp_path, "somatic/P3T.vcf.gz", germline_resource=str(resource))
    assert "rule cnv_tumor" in plan and "cnv/P3T.alleles.tsv" in plan
    assert f"--germline-resource {resource}" in plan and "--af-field AF" in plan
    paired = dry_run(tiny_cohort, tmp_path / "p", "somatic/P1T.vcf.gz")
    assert "rule somatic_call" in paired and "rule cnv_tumor" not in paired
    assert "--germline-resource" not in paired


def test_tumor_only_without_resource_is_warned_at_start_up(
    tiny_cohort: Path, tmp_path: Path
) -> None:
    plan = dry_run(tiny_cohort, tmp_path, "somatic/P3T.vcf.gz")
    assert "tumor-only sample(s) P3T without somatic.germline_resource" in plan
    resource = tiny_cohort / "reference/germline_resource.vcf.gz"
    with_resource = dry_run(
        tiny_cohort, tmp_path / "r", "somatic/P3T.vcf.gz", germline_resource=str(resource)
    )
    assert "without somatic.germline_resource" not in with_resource


def unindexed(resource: Path, tmp: Path) -> Path:
    copy = tmp / "unindexed.vcf.gz"
    shutil.copy(resource, copy)
    return copy


def other_naming(resource: Path, tmp: Path) -> Path:
    with gzip.open(resource, "rt") as handle:
        text = handle.read().replace("chr", "")
    plain = tmp / "nochr.vcf"
    plain.write_text(text)
    out = tmp / "nochr.vcf.gz"
    pysam.tabix_compress(str(plain), str(out), force=True)
    pysam.tabix_index(str(out), preset="vcf", force=True)
    return out


@pytest.mark.parametrize(
    ("make", "af_field", "message"),
    [
        (unindexed, "AF", "unindexed.vcf.gz: no tabix index (.tbi/.csi) beside it; run: tabix"),
        (lambda r, t: r, "gnomAD_AF", "declares no INFO/gnomAD_AF"),
        (other_naming, "AF", "nochr.vcf.gz: it names chromosomes like '1'"),
    ],
)
def test_bad_resource_stops_at_start_up(
    tiny_cohort: Path, tmp_path: Path, make, af_field: str, message: str
) -> None:
    resource = make(tiny_cohort / "reference/germline_resource.vcf.gz", tmp_path)
    config = write_config(
        tmp_path / "c.yaml",
        tiny_cohort,
        tmp_path / "results",
        somatic={"germline_resource": str(resource), "germline_resource_af_field": af_field},
    )
    proc = snakemake(config, tmp_path, "-n", check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert message in output
    assert "Traceback" not in output


def pass_snvs(vcf: Path) -> set[tuple[str, int, str, str]]:
    with pysam.VariantFile(str(vcf)) as handle:
        return {
            (r.chrom, r.pos, r.ref, r.alts[0])
            for r in handle
            if list(r.filter.keys()) == ["PASS"] and len(r.ref) == len(r.alts[0]) == 1
        }


def test_resource_raises_tumor_only_precision(
    workflow_run: Path, tiny_cohort: Path, tmp_path: Path
) -> None:
    """The workflow's P3T call used its CNV segments; the resource then removes germline SNPs."""
    with pysam.VariantFile(str(workflow_run / "somatic/P3T.vcf.gz")) as vcf:
        command = str(vcf.header).split("scce-genomicsCommand=")[1].splitlines()[0]
    assert "--cns" in command and "alleles.tsv" in command
    truth = pass_snvs_truth(tiny_cohort / "truth/P3T.somatic.vcf.gz")
    scce = str(Path(sys.executable).parent / "scce-genomics")
    common = [
        scce, "somatic-call",
        "--candidates", str(workflow_run / "somatic/candidates/P3T.bcf"),
        "--tumor", "P3T", "--tumor-bam", str(workflow_run / "bam/P3T.bam"),
        "--fasta", str(workflow_run / "reference/genome.fa"),
        "--pon", str(workflow_run / "somatic/pon.vcf.gz"),
        "--cns", str(workflow_run / "cnv/P3T.alleles.tsv"),
        "--cnv-purity", str(workflow_run / "cnv/purity/P3T.json"),
    ]  # fmt: skip
    precision = {}
    for name, extra in (
        ("without", []),
        ("with", ["--germline-resource", str(tiny_cohort / "reference/germline_resource.vcf.gz")]),
    ):
        out = tmp_path / f"{name}.vcf.gz"
        subprocess.run([*common, *extra, "--out", str(out)], check=True, capture_output=True)
        calls = pass_snvs(out)
        precision[name] = len(calls & truth) / max(len(calls), 1)
        if name == "with":
            assert len(calls & truth) / len(truth) >= 0.5
    assert precision["with"] >= 0.9
    assert precision["with"] > precision["without"]


def pass_snvs_truth(vcf: Path) -> set[tuple[str, int, str, str]]:
    with pysam.VariantFile(str(vcf)) as handle:
        return {(r.chrom, r.pos, r.ref, r.alts[0]) for r in handle if r.info["TYPE"] == "SNV"}
