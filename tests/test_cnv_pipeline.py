"""A sample's CNVkit steps in one process give the files of ``cnvkit.py`` run step by step.

A normal and a tumor (gain on half of one contig) are written as BAMs directly with pysam, so
the test needs no aligner; bins, reference and the step-by-step chain use CNVkit itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pysam
import pytest

from scce_genomics.cnv.pipeline import (
    TUMOR_OUTPUTS,
    BinOptions,
    PurityOptions,
    SexOptions,
    TumorOptions,
    cohort_bins,
    run_cnvkit,
    sample_coverage,
    tumor_copy_number,
)
from scce_genomics.errors import InputError

CONTIGS = {"chrA": 300_000, "chrB": 300_000}
READ = 100
BIN = 5_000
#: the tumor's extra copies: (contig, start, end, depth factor)
GAIN = ("chrA", 100_000, 250_000, 1.6)
ENV = dict(os.environ, MPLBACKEND="Agg")
CNVKIT = str(Path(sys.executable).parent / "cnvkit.py")


def _write_bam(path: Path, genome: dict[str, str], depth: float, seed: int, gain: bool) -> None:
    rng = np.random.default_rng(seed)
    header = {"HD": {"VN": "1.6", "SO": "coordinate"},
              "SQ": [{"SN": name, "LN": len(seq)} for name, seq in genome.items()]}  # fmt: skip
    with pysam.AlignmentFile(str(path), "wb", header=header) as bam:
        for tid, (name, seq) in enumerate(genome.items()):
            length = len(seq) - READ
            weight = np.ones(length)
            if gain and name == GAIN[0]:
                weight[GAIN[1] : GAIN[2]] = GAIN[3]
            n = rng.poisson(depth * length / READ * weight.mean())
            starts = np.sort(rng.choice(length, size=n, p=weight / weight.sum()))
            for i, start in enumerate(starts):
                read = pysam.AlignedSegment()
                read.query_name = f"r{tid}_{i}"
                read.reference_id = tid
                read.reference_start = int(start)
                read.query_sequence = seq[start : start + READ]
                read.flag = 16 if i % 2 else 0
                read.mapping_quality = 60
                read.cigarstring = f"{READ}M"
                read.query_qualities = pysam.qualitystring_to_array("I" * READ)
                bam.write(read)
    pysam.index(str(path))


@pytest.fixture(scope="module")
def cnv_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Genome, normal and tumor BAMs, WGS bins and a reference built from the normal."""
    root = tmp_path_factory.mktemp("cnv_pipeline")
    rng = np.random.default_rng(3)
    genome = {name: "".join(rng.choice(list("ACGT"), size=n)) for name, n in CONTIGS.items()}
    fasta = root / "genome.fa"
    fasta.write_text("".join(f">{name}\n{seq}\n" for name, seq in genome.items()))
    pysam.faidx(str(fasta))
    files = {"fasta": fasta, "normal": root / "N1.bam", "tumor": root / "T1.bam"}
    _write_bam(files["normal"], genome, depth=20, seed=1, gain=False)
    _write_bam(files["tumor"], genome, depth=20, seed=2, gain=True)
    bins = {key: root / f"{key}.bed" for key in ("access", "target", "antitarget")}
    cohort_bins(str(fasta), BinOptions(bin_size=BIN), {k: str(v) for k, v in bins.items()})
    files.update(bins)
    for sample, bam in (("N1", files["normal"]), ("T1", files["tumor"])):
        cov = {kind: root / f"{sample}.{kind}coverage.cnn" for kind in ("target", "antitarget")}
        sample_coverage(
            str(bam), str(files["target"]), str(files["antitarget"]),
            str(cov["target"]), str(cov["antitarget"]),
        )  # fmt: skip
        files.update({f"{sample}_{kind}": path for kind, path in cov.items()})
    files["reference"] = root / "reference.cnn"
    run_cnvkit(["reference", str(files["N1_target"]), str(files["N1_antitarget"]),
                "-f", str(fasta), "-o", str(files["reference"])])  # fmt: skip
    return files


def _tumor_coverage(cnv_inputs: dict[str, Path]) -> tuple[str, str]:
    return str(cnv_inputs["T1_target"]), str(cnv_inputs["T1_antitarget"])


def _outputs(folder: Path, sample: str) -> dict[str, str]:
    names = {
        "cnr": f"{sample}.cnr",
        "cns": f"{sample}.cns",
        "purity": f"purity/{sample}.json",
        "purity_args": f"purity/{sample}.call_args.txt",
        "sex": f"sex/{sample}.json",
        "sex_args": f"sex/{sample}.call_args.txt",
        "call_cns": f"{sample}.call.cns",
        "alleles": f"{sample}.alleles.tsv",
        "scatter": f"plots/{sample}.scatter.png",
        "diagram": f"plots/{sample}.diagram.pdf",
    }
    assert set(names) == set(TUMOR_OUTPUTS)
    return {key: str(folder / name) for key, name in names.items()}


def _cli(*args: str) -> None:
    subprocess.run([CNVKIT, *args], check=True, capture_output=True, env=ENV)


OPTIONS = TumorOptions(
    sample="T1",
    segment_extra="--drop-low-coverage",
    purity=PurityOptions(sheet_purity=0.8),
    sex=SexOptions(sheet_sex="female"),
)


def test_wgs_bins_equal_cnvkit_access_and_target(
    cnv_inputs: dict[str, Path], tmp_path: Path
) -> None:
    access, target = tmp_path / "access.bed", tmp_path / "target.bed"
    _cli("access", str(cnv_inputs["fasta"]), "-s", "5000", "-o", str(access))
    _cli("target", str(access), "--split", "--avg-size", str(BIN), "-o", str(target))
    assert cnv_inputs["access"].read_bytes() == access.read_bytes()
    assert cnv_inputs["target"].read_bytes() == target.read_bytes()
    assert len(target.read_text().splitlines()) == sum(CONTIGS.values()) // BIN
    assert cnv_inputs["antitarget"].read_text() == ""


@pytest.mark.parametrize("method", ["hybrid", "amplicon"])
def test_capture_bins_split_targets(
    method: str, cnv_inputs: dict[str, Path], tmp_path: Path
) -> None:
    targets = tmp_path / "targets.bed"
    targets.write_text("chrA\t10000\t11000\nchrB\t50000\t52000\n")
    out = {key: str(tmp_path / f"{key}.bed") for key in ("access", "target", "antitarget")}
    cohort_bins(str(cnv_inputs["fasta"]), BinOptions(method=method, targets=str(targets)), out)
    target = [line.split("\t") for line in Path(out["target"]).read_text().splitlines()]
    assert {row[0] for row in target} == {"chrA", "chrB"}
    assert all(int(row[2]) - int(row[1]) <= 400 for row in target)  # split near 267 bp
    anti = Path(out["antitarget"]).read_text().splitlines()
    assert (len(anti) > 0) == (method == "hybrid")
    with pytest.raises(InputError, match="needs a targets BED"):
        cohort_bins(str(cnv_inputs["fasta"]), BinOptions(method=method), out)


@pytest.mark.parametrize("sample", ["N1", "T1"])
def test_coverage_equals_cnvkit_coverage(
    sample: str, cnv_inputs: dict[str, Path], tmp_path: Path
) -> None:
    bam = cnv_inputs["normal" if sample == "N1" else "tumor"]
    for kind in ("target", "antitarget"):
        expected = tmp_path / f"{sample}.{kind}coverage.cnn"
        _cli("coverage", str(bam), str(cnv_inputs[kind]), "-q", "20", "-p", "1",
             "-o", str(expected))  # fmt: skip
        assert cnv_inputs[f"{sample}_{kind}"].read_bytes() == expected.read_bytes(), kind


def test_tumor_in_one_process_equals_cnvkit_step_by_step(
    cnv_inputs: dict[str, Path], tmp_path: Path
) -> None:
    out = _outputs(tmp_path / "one", "T1")
    target, antitarget = _tumor_coverage(cnv_inputs)
    tumor_copy_number(target, antitarget, str(cnv_inputs["reference"]), OPTIONS, out)

    steps = tmp_path / "steps"
    steps.mkdir()
    s = {key: str(steps / Path(path).name) for key, path in out.items()}
    ref = str(cnv_inputs["reference"])
    _cli("fix", target, antitarget, ref, "--no-edge", "-i", "T1", "-o", s["cnr"])
    _cli("segment", s["cnr"], "-m", "cbs", "--drop-low-coverage", "-p", "1", "-o", s["cns"])
    call_args = Path(out["purity_args"]).read_text().split()
    sex_args = Path(out["sex_args"]).read_text().split()
    assert sex_args == ["--sample-sex", "female"]
    _cli("call", s["cns"], *call_args, *sex_args, "-m", "clonal", "--min-variant-depth", "10",
         "-o", s["call_cns"])  # fmt: skip

    for key in ("cnr", "cns", "call_cns"):
        assert Path(out[key]).read_bytes() == Path(s[key]).read_bytes(), key
    # the planted gain is called, and the sheet purity reached call
    purity = json.loads(Path(out["purity"]).read_text())
    assert purity["purity"] == 0.8 and purity["source"] == "sheet"
    assert call_args[:2] == ["--purity", "0.800"]
    calls = Path(out["call_cns"]).read_text().splitlines()
    header = calls[0].split("\t")
    gained = [
        row for row in (line.split("\t") for line in calls[1:])
        if row[0] == "chrA" and int(row[header.index("cn")]) > 2
    ]  # fmt: skip
    assert gained, "the gain on chrA is called"
    # without SNPs every segment keeps its total copy number only, with the reason
    alleles = Path(out["alleles"]).read_text().splitlines()
    assert len(alleles) == len(calls) and "reason" in alleles[0].split("\t")
    assert json.loads(Path(out["sex"]).read_text())["source"] == "sheet"
    assert Path(out["scatter"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert Path(out["diagram"]).read_bytes()[:5] == b"%PDF-"
    # nothing staged is left behind
    assert not list((tmp_path / "one").glob(".*"))


def test_failed_step_leaves_no_output(cnv_inputs: dict[str, Path], tmp_path: Path) -> None:
    out = _outputs(tmp_path, "T1")
    bad = TumorOptions(sample="T1", segment_extra="--no-such-option")
    with pytest.raises(InputError, match=r"cnvkit\.py segment"):
        tumor_copy_number(*_tumor_coverage(cnv_inputs), str(cnv_inputs["reference"]), bad, out)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_command_line_runs_the_tumor(cnv_inputs: dict[str, Path], tmp_path: Path) -> None:
    out = _outputs(tmp_path, "T1")
    args = [
        "cnv-tumor", "--target-coverage", str(cnv_inputs["T1_target"]),
        "--antitarget-coverage", str(cnv_inputs["T1_antitarget"]),
        "--reference", str(cnv_inputs["reference"]), "--sample", "T1",
        "--segment-extra=--drop-low-coverage", "--sheet-purity", "NA",
    ]  # fmt: skip
    for key, path in out.items():
        args += [f"--out-{key.replace('_', '-')}", path]
    scce = shutil.which("scce-genomics", path=str(Path(sys.executable).parent))
    assert scce
    proc = subprocess.run([scce, *args], capture_output=True, text=True, env=ENV)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert all(Path(p).stat().st_size > 0 for p in out.values())
    # without a sheet purity the fit decides; its source is said
    assert json.loads(Path(out["purity"]).read_text())["source"] == "estimate"
