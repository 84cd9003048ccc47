"""CNVkit steps on degenerate input go on with a note instead of a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scce_genomics.cnv.degenerate import NO_BINS, placeholder_figure, table_rows
from scce_genomics.cnv.pipeline import run_cnvkit

CNR_HEADER = "chromosome\tstart\tend\tgene\tlog2\tdepth\tweight\n"
CNS_HEADER = "chromosome\tstart\tend\tgene\tlog2\tdepth\tprobes\tweight\n"
VCF = (
    "##fileformat=VCFv4.2\n##contig=<ID=1,length=1000000>\n"
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">\n'
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tN\tT\n"
    "1\t1000\t.\tA\tG\t50\tPASS\t.\tGT:AD:DP\t0/1:20,20:40\t0/1:10,30:40\n"
)


@pytest.fixture(autouse=True)
def cnvkit_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    monkeypatch.setenv("PATH", path)
    monkeypatch.setenv("MPLBACKEND", "Agg")


def test_rows_of_a_header_only_table(tmp_path: Path) -> None:
    empty = tmp_path / "a.cnr"
    empty.write_text(CNR_HEADER)
    assert table_rows(empty) == 0
    empty.write_text(CNR_HEADER + "1\t0\t100\t-\t0.1\t30\t1\n")
    assert table_rows(empty) == 1


@pytest.mark.parametrize(("command", "suffix"), [("scatter", "png"), ("diagram", "pdf")])
def test_plots_of_no_bins_say_not_computed(tmp_path: Path, command: str, suffix: str) -> None:
    cnr, cns = tmp_path / "T.cnr", tmp_path / "T.call.cns"
    cnr.write_text(CNR_HEADER)
    cns.write_text(CNS_HEADER)
    out = tmp_path / f"T.{suffix}"
    # CNVkit itself stops with a traceback here, hence the placeholder cnv-tumor draws
    proc = subprocess.run(
        ["cnvkit.py", command, str(cnr), "-s", str(cns), "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0 and not out.exists()
    placeholder_figure(out, "T", NO_BINS)
    assert out.read_bytes()[:4] == (b"\x89PNG" if suffix == "png" else b"%PDF")
    assert out.stat().st_size > 1000


def test_call_of_no_segments_goes_on_without_the_vcf(tmp_path: Path) -> None:
    cns, vcf, out = tmp_path / "T.cns", tmp_path / "hets.vcf", tmp_path / "T.call.cns"
    cns.write_text(CNS_HEADER)
    vcf.write_text(VCF)
    argv = [str(cns), "-m", "clonal", "--vcf", str(vcf), "-i", "T", "-n", "N", "-o", str(out)]
    proc = subprocess.run(["cnvkit.py", "call", *argv], capture_output=True, text=True)
    assert "Cannot set a DataFrame" in proc.stderr  # what CNVkit does with the VCF
    run_cnvkit(["call", str(cns), "-m", "clonal", "-o", str(out)])  # what cnv-tumor runs
    assert table_rows(out) == 0
