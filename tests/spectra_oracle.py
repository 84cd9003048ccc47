"""SigProfilerMatrixGenerator as an offline oracle for our catalogues (tests and benchmarks).

SigProfilerMatrixGenerator only classifies against an installed genome, which it normally
downloads. Its ``install(..., custom=True)`` builds one from per-chromosome FASTA files and a
transcript table, but writes inside its own package folder and only accepts genomes whose
chromosome checksums it knows. So we build a private shadow of the package (code copied, large
data linked, the ``references/chromosomes`` tree private), install the custom genome there,
register its checksums, and run the matrix generator in a subprocess. Nothing is downloaded.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pysam

__all__ = ["spmg_available", "spmg_catalogs"]

_GENOME = "scceCustom"

_SCRIPT = textwrap.dedent(
    """
    import hashlib, sys, time
    from SigProfilerMatrixGenerator import install as gen_install
    from SigProfilerMatrixGenerator.scripts import reference_genome_manager as rgm, ref_install
    from SigProfilerMatrixGenerator.scripts import SigProfilerMatrixGeneratorFunc as mat_gen
    genome, fasta_dir, transcripts, vcf_dir = sys.argv[1:5]
    tsb = ref_install.reference_dir().get_tsb_dir() / genome
    if not tsb.is_dir():
        gen_install.install(genome, custom=True, fastaPath=fasta_dir, transcriptPath=transcripts)
    rgm.CHECKSUMS[genome] = {
        p.stem: hashlib.md5(p.read_bytes()).hexdigest()
        for p in tsb.glob("*.txt") if "proportions" not in p.name
    }
    start = time.perf_counter()
    mat_gen.SigProfilerMatrixGeneratorFunc(
        "oracle", genome, vcf_dir, plot=False, exome=False, bed_file=None,
        chrom_based=False, tsb_stat=False, seqInfo=True, cushion=100,
    )
    print(f"SPMG_SECONDS {time.perf_counter() - start:.6f}")
    """
)


def spmg_available() -> bool:
    """Whether SigProfilerMatrixGenerator is importable."""
    return importlib.util.find_spec("SigProfilerMatrixGenerator") is not None


def _shadow_package(dest: Path) -> Path:
    """A private copy of the package: code copied, big read-only data symlinked."""
    spec = importlib.util.find_spec("SigProfilerMatrixGenerator")
    if spec is None or spec.origin is None:
        raise RuntimeError("SigProfilerMatrixGenerator is not installed")
    source = Path(spec.origin).parent
    pkg = dest / "SigProfilerMatrixGenerator"
    if pkg.is_dir():
        return dest
    shutil.copytree(source, pkg, ignore=shutil.ignore_patterns("references", "__pycache__"))
    (pkg / "references").mkdir()
    for entry in (source / "references").iterdir():
        if entry.name != "chromosomes":
            (pkg / "references" / entry.name).symlink_to(entry)
    chroms = pkg / "references" / "chromosomes"
    chroms.mkdir()
    for entry in (source / "references" / "chromosomes").iterdir():
        if entry.name in ("transcripts", "exome", "tsb", "tsb_BED", "fasta", "chrom_string"):
            continue
        (chroms / entry.name).symlink_to(entry)
    for name in ("transcripts", "exome"):
        (chroms / name).mkdir()
    return dest


def _custom_genome_files(fasta: Path, dest: Path) -> tuple[Path, Path]:
    """Per-chromosome gzipped FASTA (``genome.chrN.fa.gz``) and a one-gene transcript table."""
    fasta_dir = dest / "fasta"
    fasta_dir.mkdir(parents=True, exist_ok=True)
    transcripts = dest / "transcripts.txt"
    with pysam.FastaFile(str(fasta)) as ref, open(transcripts, "w") as tx:
        for i, chrom in enumerate(ref.references):
            seq = ref.fetch(chrom)
            with gzip.open(fasta_dir / f"genome.{chrom}.fa.gz", "wt") as out:
                out.write(f">{chrom}\n")
                out.writelines(seq[j : j + 60] + "\n" for j in range(0, len(seq), 60))
            short = chrom[3:] if chrom.startswith("chr") else chrom
            start, end = min(1000, len(seq)), min(5000, len(seq))
            tx.write(f"G{i}\tT{i}\t{short}\t1\t{start}\t{end}\tGENE{i}\tprotein_coding\n")
    return fasta_dir, transcripts


def spmg_catalogs(
    vcfs: Sequence[str | Path],
    names: Sequence[str],
    fasta: str | Path,
    workdir: str | Path,
) -> tuple[dict[str, pd.DataFrame], float]:
    """SPMG's SBS96/DBS78/ID83 matrices for plain-text copies of ``vcfs`` and its run time (s).

    Chromosome names must be ``chrN``/``N`` with N at most two characters (SPMG strips ``chr``).
    """
    workdir = Path(workdir)
    site = _shadow_package(workdir / "site")
    fasta_dir, transcripts = _custom_genome_files(Path(fasta), workdir / "genome")
    vcf_dir = workdir / "vcf"
    if vcf_dir.exists():
        shutil.rmtree(vcf_dir)
    vcf_dir.mkdir()
    for path, name in zip(vcfs, names, strict=True):
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "rt") as src, open(vcf_dir / f"{name}.vcf", "w") as dst:
            shutil.copyfileobj(src, dst)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    env.pop("SIGPROFILERMATRIXGENERATOR_VOLUME", None)
    run = subprocess.run(
        [sys.executable, "-c", _SCRIPT, _GENOME, f"{fasta_dir}/", str(transcripts), f"{vcf_dir}/"],
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(
            f"SigProfilerMatrixGenerator failed:\n{run.stdout[-2000:]}{run.stderr[-2000:]}"
        )
    seconds = float(run.stdout.rsplit("SPMG_SECONDS", 1)[1].split()[0])
    out = vcf_dir / "output"
    result = {}
    for kind, rel in (
        ("SBS96", "SBS/oracle.SBS96.all"),
        ("DBS78", "DBS/oracle.DBS78.all"),
        ("ID83", "ID/oracle.ID83.all"),
    ):
        path = out / rel
        if path.is_file():
            table = pd.read_csv(path, sep="\t", index_col=0)
            result[kind] = table.reindex(columns=list(names), fill_value=0)
    return result, seconds
