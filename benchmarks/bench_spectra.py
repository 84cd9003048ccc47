"""Catalogue generation speed on a 1M-SNV cohort, and agreement/speed versus
SigProfilerMatrixGenerator (custom genome installed offline).

Run: python benchmarks/bench_spectra.py [--snvs 1000000] [--samples 10] [--no-spmg]
                                        [--before GIT_REV]
Builds a random 4 × 10 Mb genome and VCFs in a temporary folder (plus 2% doublets, 5% indels),
then prints a table. Events are at least 12 bp apart (SPMG groups SNVs within 5 bp into an
extra "MNS" class that we do not copy). ``--before REV`` also times ``build_catalogs`` as it was
at that git revision on the same inputs, in the same run, and prints the ratio. The record
readers (``bcftools query`` stream, per-record cyvcf2 loop) are timed on the same VCFs too.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pysam

from scce_genomics.spectra.catalogues import build_catalogs
from scce_genomics.spectra.variants import read_variants

# The SigProfilerMatrixGenerator oracle is test support, kept with the tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from spectra_oracle import spmg_available, spmg_catalogs

NEXT = np.frombuffer(b"CGTA", dtype=np.uint8)  # A->C, C->G, G->T, T->A (plus a random shift)


def make_inputs(
    root: Path, n_snvs: int, n_samples: int, chrom_len: int, seed: int
) -> tuple[Path, list[Path], list[str], int]:
    rng = np.random.default_rng(seed)
    chroms = {f"chr{i}": rng.integers(0, 4, chrom_len).astype(np.uint8) for i in range(1, 5)}
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    fasta = root / "genome.fa"
    with open(fasta, "w") as out:
        for name, codes in chroms.items():
            seq = letters[codes].tobytes().decode()
            out.write(f">{name}\n")
            out.writelines(seq[i : i + 80] + "\n" for i in range(0, len(seq), 80))
    pysam.faidx(str(fasta))
    per_sample = n_snvs // n_samples
    vcfs, names = [], []
    total = 0
    contigs = "".join(f"##contig=<ID={name},length={chrom_len}>\n" for name in chroms)
    header = f"##fileformat=VCFv4.2\n{contigs}#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    for s in range(n_samples):
        lines = []
        for name, codes in chroms.items():
            k = per_sample // len(chroms)
            slots = np.sort(rng.choice(np.arange(20, chrom_len - 20, 12), k, replace=False))
            kind = rng.random(k)
            ref = codes[slots - 1]
            alt = (ref + rng.integers(1, 4, k)) % 4
            refs = letters[ref].view("S1").astype(str)
            alts = letters[alt].view("S1").astype(str)
            snv = kind < 0.93
            for p, r, a in zip(slots[snv], refs[snv], alts[snv], strict=True):
                lines.append(f"{name}\t{p}\t.\t{r}\t{a}\t.\tPASS\t.\n")
            total += int(snv.sum())
            for p in slots[(kind >= 0.93) & (kind < 0.95)]:  # doublets, two records
                for q in (p, p + 1):
                    r = int(codes[q - 1])
                    lines.append(
                        f"{name}\t{q}\t.\t{'ACGT'[r]}\t{'ACGT'[(r + 1) % 4]}\t.\tPASS\t.\n"
                    )
                total += 2
            for p in slots[kind >= 0.95]:  # indels
                r = "ACGT"[codes[p - 1]]
                if rng.random() < 0.5:
                    n = int(rng.integers(1, 6))
                    dele = letters[codes[p - 1 : p + n]].tobytes().decode()
                    lines.append(f"{name}\t{p}\t.\t{dele}\t{r}\t.\tPASS\t.\n")
                else:
                    ins = "".join(rng.choice(list("ACGT"), int(rng.integers(1, 5))))
                    lines.append(f"{name}\t{p}\t.\t{r}\t{r}{ins}\t.\tPASS\t.\n")
        path = root / f"T{s:02d}.vcf"
        path.write_text(header + "".join(lines))
        vcfs.append(path)
        names.append(f"T{s:02d}")
    return fasta, vcfs, names, total


def build_catalogs_at(rev: str) -> Callable[..., Any]:
    """``build_catalogs`` of ``spectra/catalogues.py`` as committed at git revision ``rev``."""
    root = Path(__file__).resolve().parents[1]
    source = subprocess.run(
        ["git", "show", f"{rev}:src/scce_genomics/spectra/catalogues.py"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType(f"catalogues_{rev}")
    module.__file__ = f"{rev}:catalogues.py"
    sys.modules[module.__name__] = module  # dataclasses look their module up here
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    build: Callable[..., Any] = module.build_catalogs
    return build


def cyvcf2_records(path: Path) -> int:
    """The per-record loop the spectra would run with cyvcf2 (what the stream replaces)."""
    from cyvcf2 import VCF

    rows = [(v.CHROM, v.POS, v.REF, v.ALT, v.FILTERS) for v in VCF(str(path))]
    return len(rows)


def time_readers(vcfs: list[Path]) -> None:
    """Seconds to read every record's CHROM/POS/REF/ALT/FILTER, bcftools stream vs cyvcf2."""
    start = time.perf_counter()
    n_stream = sum(len(read_variants(v, pass_only=False).variants) for v in vcfs)
    stream = time.perf_counter() - start
    start = time.perf_counter()
    n_loop = sum(cyvcf2_records(v) for v in vcfs)
    loop = time.perf_counter() - start
    print(
        f"record reading: bcftools query stream {stream:.2f} s ({n_stream:,} alleles), "
        f"cyvcf2 per-record loop {loop:.2f} s ({n_loop:,} records): "
        f"stream {loop / stream:.1f}× faster"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--snvs", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--chrom-len", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-spmg", action="store_true")
    parser.add_argument("--before", metavar="REV", help="also time build_catalogs at this git rev")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per mode (best kept)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        fasta, vcfs, names, n_snv = make_inputs(
            root, args.snvs, args.samples, args.chrom_len, args.seed
        )
        n_records = sum(
            sum(1 for ln in v.read_text().splitlines() if not ln.startswith("#")) for v in vcfs
        )
        print(
            f"inputs: {n_records:,} records ({n_snv:,} SNV bases) in {len(vcfs)} VCFs, "
            f"4 × {args.chrom_len / 1e6:.0f} Mb genome; made in {time.perf_counter() - start:.1f} s"
        )
        builders: dict[str, tuple[Callable[..., Any], bool]] = {
            "default": (build_catalogs, False),
            "doublets_in_sbs": (build_catalogs, True),
        }
        before = f"default, code at {args.before}"
        if args.before:
            builders[before] = (build_catalogs_at(args.before), False)
        # Interleaved repeats, best of each: the machine is shared and timings are noisy.
        timings = dict.fromkeys(builders, float("inf"))
        results = {}
        for _ in range(args.repeat):
            for mode, (build, compat) in builders.items():
                start = time.perf_counter()
                results[mode] = build(vcfs, fasta, names=names, doublets_in_sbs=compat)
                timings[mode] = min(timings[mode], time.perf_counter() - start)
        rows = [
            {
                "tool": f"scce-genomics ({mode})",
                "seconds": timings[mode],
                "records_per_s": n_records / timings[mode],
                "SBS96": int(result.sbs96.to_numpy().sum()),
                "DBS78": int(result.dbs78.to_numpy().sum()),
                "ID83": int(result.id83.to_numpy().sum()),
            }
            for mode, result in results.items()
        ]
        ours = results["doublets_in_sbs"]
        if args.before:
            same = all(
                getattr(results[before], kind).equals(getattr(results["default"], kind))
                for kind in ("sbs96", "dbs78", "id83")
            )
            print(
                f"spectra step, code at {args.before} / current code: "
                f"{timings[before] / timings['default']:.2f} (best of {args.repeat}, same run); "
                f"matrices identical: {same}"
            )
        time_readers(vcfs)
        if not args.no_spmg and spmg_available():
            start = time.perf_counter()
            theirs, spmg_seconds = spmg_catalogs(vcfs, names, fasta, root / "spmg")
            wall = time.perf_counter() - start
            rows.append(
                {
                    "tool": "SigProfilerMatrixGenerator 1.4 (matrix step)",
                    "seconds": spmg_seconds,
                    "records_per_s": n_records / spmg_seconds,
                    "SBS96": int(theirs["SBS96"].to_numpy().sum()),
                    "DBS78": int(theirs["DBS78"].to_numpy().sum()),
                    "ID83": int(theirs["ID83"].to_numpy().sum()),
                }
            )
            print(pd.DataFrame(rows).to_string(index=False, float_format="%.2f"))
            print(f"SPMG wall time incl. custom genome install and copies: {wall:.1f} s")
            for kind, frame in (("SBS96", ours.sbs96), ("DBS78", ours.dbs78), ("ID83", ours.id83)):
                other = theirs[kind].reindex(frame.index).fillna(0).astype(int)
                diff = int((other != frame).to_numpy().sum())
                print(
                    f"{kind}: {diff} of {frame.size} cells differ from SPMG "
                    f"(max |diff| {int((other - frame).abs().to_numpy().max())})"
                )
            print(
                f"speed ratio SPMG / ours (doublets_in_sbs): "
                f"{spmg_seconds / timings['doublets_in_sbs']:.1f}×"
            )
        else:
            print(pd.DataFrame(rows).to_string(index=False, float_format="%.2f"))
            print("SigProfilerMatrixGenerator not run")


if __name__ == "__main__":
    main()
