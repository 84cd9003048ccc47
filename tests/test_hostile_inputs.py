"""Hostile sheet values and paths: a clear start-up error, or a correct run, never a command.

Every value of samples.tsv/units.tsv and every configured path ends up on a command line. A
name is refused at start-up unless it is a plain name; a path may hold anything but braces
(spaces, ';', '$(...)', backticks, quotes, '..') and is quoted wherever a shell sees it. Each
hostile value tries to create a marker file; none may ever appear.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pysam
import pytest
import yaml

from conftest import snakemake
from scce_genomics.errors import InputError
from scce_genomics.samples import NAME_PATTERN, load_samples, load_units

HOSTILE = [
    "a b",
    "a;touch M1",
    "$(touch M2)",
    "`touch M3`",
    "..",
    "../up",
    "a/b",
    "it's",
    'say"hi',
    "-rf",
    ".hidden",
    "",
]
SAMPLES = {"sample": "T1", "patient": "P1", "type": "tumor", "tissue": "ffpe"}
HEADER = "sample\tpatient\ttype\ttissue\tpurity\tsex\n"


def markers(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in folder.rglob("M[0-9]")]


def samples_sheet(path: Path, **values: str) -> Path:
    row = {**SAMPLES, "purity": "", "sex": "", **values}
    path.write_text(HEADER + "\t".join(row[c] for c in HEADER.split()) + "\n")
    return path


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("column", ["sample", "patient"])
def test_hostile_names_in_samples_sheet_are_refused(
    tmp_path: Path, column: str, value: str
) -> None:
    path = samples_sheet(tmp_path / "samples.tsv", **{column: value})
    with pytest.raises(InputError) as err:
        load_samples(path)
    assert err.value.line == 2
    assert f"column {column}" in str(err.value)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("value", ["$(touch M2)", "`touch M3`", "a;b", "it's"])
@pytest.mark.parametrize("column", ["type", "tissue", "purity", "sex"])
def test_hostile_values_in_other_sample_columns_are_refused(
    tmp_path: Path, column: str, value: str
) -> None:
    path = samples_sheet(tmp_path / "samples.tsv", **{column: value})
    with pytest.raises(InputError, match=f"column {column}") as err:
        load_samples(path)
    assert err.value.line == 2


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("column", ["sample", "unit"])
def test_hostile_names_in_units_sheet_are_refused(tmp_path: Path, column: str, value: str) -> None:
    samples = load_samples(samples_sheet(tmp_path / "samples.tsv"))
    (tmp_path / "r.fq").write_text("")
    row = {"sample": "T1", "unit": "L1", "fq1": "r.fq", **{column: value}}
    path = tmp_path / "units.tsv"
    path.write_text("sample\tunit\tfq1\n" + "\t".join(row.values()) + "\n")
    with pytest.raises(InputError) as err:
        load_units(path, samples)
    assert err.value.line == 2
    assert f"column {column}" in str(err.value)


def test_paths_may_hold_any_character_but_must_exist(tmp_path: Path) -> None:
    samples = load_samples(samples_sheet(tmp_path / "samples.tsv"))
    folder = tmp_path / "a b; $(touch M1) `touch M2` it's"
    folder.mkdir()
    (folder / "r 1.fq").write_text("")
    path = tmp_path / "units.tsv"
    path.write_text(f"sample\tunit\tfq1\nT1\tL1\t{folder.name}/../{folder.name}/r 1.fq\n")
    units = load_units(path, samples)
    assert units.loc[("T1", "L1"), "fq1"] == str(folder / "r 1.fq")
    path.write_text("sample\tunit\tfq1\nT1\tL1\t$(touch M3).fq\n")
    with pytest.raises(InputError, match=r"column fq1.*does not exist") as err:
        load_units(path, samples)
    assert err.value.line == 2
    assert not markers(tmp_path)


def test_schemas_use_the_one_name_rule() -> None:
    schemas = Path(__file__).resolve().parents[1] / "workflow" / "schemas"
    samples = yaml.safe_load((schemas / "samples.schema.yaml").read_text())["properties"]
    units = yaml.safe_load((schemas / "units.schema.yaml").read_text())["properties"]
    for prop in (samples["sample"], samples["patient"], units["sample"], units["unit"]):
        assert prop["pattern"] == NAME_PATTERN


def pair_copy(pair: Path, dest: Path) -> Path:
    """The pair's sheets and reference beside its reads (linked), to edit in a test."""
    dest.mkdir()
    for name in ("samples.tsv", "units.tsv"):
        shutil.copy(pair / name, dest / name)
    for name in ("reads", "reference"):
        (dest / name).symlink_to(pair / name)
    return dest


def pair_config(path: Path, data: Path, outdir: Path, **extra: object) -> Path:
    config = {
        "samples": str(data / "samples.tsv"),
        "units": str(data / "units.tsv"),
        "outdir": str(outdir),
        "reference": {
            "fasta": str(data / "reference" / "genome.fa"),
            "build": "custom",
            "gff3": str(data / "reference" / "genes.gff3"),
            "arms": str(data / "reference" / "arms.tsv"),
        },
        **extra,
    }
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.workflow
@pytest.mark.parametrize(
    ("sheet", "column", "value"),
    [
        ("samples.tsv", "patient", "P1;touch M1"),
        ("samples.tsv", "sample", "$(touch M2)"),
        ("units.tsv", "unit", "`touch M3`"),
        ("units.tsv", "sample", "../P1T"),
        ("units.tsv", "fq1", "reads/$(touch M4).fastq.gz"),
    ],
)
def test_hostile_sheet_values_stop_the_workflow_at_start_up(
    small_pair: Path, tmp_path: Path, sheet: str, column: str, value: str
) -> None:
    data = pair_copy(small_pair, tmp_path / "data")
    lines = (data / sheet).read_text().splitlines()
    header = lines[0].split("\t")
    first = lines[1].split("\t")
    first[header.index(column)] = value
    lines[1] = "\t".join(first)
    (data / sheet).write_text("\n".join(lines) + "\n")
    config = pair_config(tmp_path / "c.yaml", data, tmp_path / "results")
    proc = snakemake(config, tmp_path, "-n", check=False)
    assert proc.returncode != 0
    console = proc.stdout + proc.stderr  # a dry run logs to stdout
    assert f"{data / sheet}:2: column {column}" in console
    assert "Traceback" not in console
    assert not markers(tmp_path)


@pytest.mark.workflow
def test_braces_in_a_configured_path_stop_at_start_up(small_pair: Path, tmp_path: Path) -> None:
    config = pair_config(tmp_path / "c.yaml", small_pair, tmp_path / "out{sample}")
    proc = snakemake(config, tmp_path, "-n", check=False)
    assert proc.returncode != 0
    assert "key outdir" in proc.stdout and "wildcard" in proc.stdout


@pytest.mark.workflow
def test_hostile_paths_run_end_to_end_and_run_nothing(small_pair: Path, tmp_path: Path) -> None:
    """Every rule of the workflow, with every input, output and log path made hostile."""
    data = tmp_path / "data dir; $(touch M1) `touch M2` it's"
    ref = data / "ref ;x"
    ref.mkdir(parents=True)
    for name in ("genome.fa", "genes.gff3", "arms.tsv"):
        shutil.copy(small_pair / "reference" / name, ref / name)
    reads = data / "reads $(touch M3)"
    reads.mkdir()
    shutil.copy(small_pair / "reads/P1T_L1_R1.fastq.gz", reads / "T `touch M4` R1.fastq.gz")
    shutil.copy(small_pair / "reads/P1T_L1_R2.fastq.gz", reads / "T 'q' R2.fastq.gz")
    # the normal as an unaligned BAM (what sequencers write), realigned
    ubam = reads / "N; echo hi.bam"
    normal = [str(small_pair / f"reads/P1N_L1_R{i}.fastq.gz") for i in (1, 2)]
    subprocess.run(
        ["samtools", "import", "-1", normal[0], "-2", normal[1], "-o", str(ubam)], check=True
    )
    shutil.copy(small_pair / "samples.tsv", data / "samples.tsv")
    (data / "units.tsv").write_text(
        "sample\tunit\tfq1\tfq2\tbam\n"
        f"P1T\tL1\t{reads.name}/T `touch M4` R1.fastq.gz\t"
        f"{reads.name}/../{reads.name}/T 'q' R2.fastq.gz\t\n"
        f"P1N\tL1\t\t\t{reads.name}/N; echo hi.bam\n"
    )
    out = tmp_path / "out $(touch M5) 'x' `touch M6`"
    config = {
        "samples": str(data / "samples.tsv"),
        "units": str(data / "units.tsv"),
        "outdir": str(out),
        "reference": {
            "fasta": str(ref / "genome.fa"),
            "build": "custom",
            "gff3": str(ref / "genes.gff3"),
            "arms": str(ref / "arms.tsv"),
        },
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    snakemake(tmp_path / "c.yaml", tmp_path)
    assert (out / "report/report.html").stat().st_size > 10_000
    with pysam.AlignmentFile(str(ubam), check_sq=False) as bam:
        unaligned = sum(1 for _ in bam.fetch(until_eof=True))
    with pysam.AlignmentFile(str(out / "bam/P1N.bam")) as bam:
        assert sum(1 for r in bam if not r.is_secondary and not r.is_supplementary) == unaligned
    assert not markers(tmp_path)
