"""Workflow wall time against the same tools run by hand, on the same data, in one run.

Usage:
  python benchmarks/bench_workflow.py --workdir DIR [--size demo|large] [--cores 2]

``demo`` is the Makefile's demo cohort (``scce-genomics simulate --seed 7``: 2 Mb genome, three
tumors, two normals); ``large`` is one tumor/normal pair on a 32.5 Mb genome (``--scale 1/25``,
normal 30×, tumor 60×), where the tools' own time dominates. Data are simulated into DIR/data
once and reused by later runs.

Stage by stage, back to back, the tools run by hand (as a bioinformatician would chain them on
the same cores) and then the workflow's stage (``snakemake`` asked for that stage's outputs):

- alignment: ``bwa index``; ``bwa mem | samtools fixmate | samtools sort`` per lane;
  ``samtools merge | samtools markdup`` + ``index`` per sample — against the workflow's
  reference, check, bwa and merge/markdup jobs;
- somatic: ``bcftools mpileup | bcftools call -mv`` per tumor (with its normal) — against the
  somatic stage (candidates, panel of normals, model, annotation, MAF, TMB);
- CNV: one ``cnvkit.py batch`` (WGS bins, CBS, scatter and diagram) — against the CNV stage;
- the rest (QC, stored-tissue QC, spectra, signatures, comparison, report) has no hand-run
  counterpart: its wall time is added to the workflow's total.

Every Python step the workflow starts (``scce-genomics``, ``cnvkit.py``, ``multiqc``) and every
tool call runs under ``/usr/bin/time`` through a shim on PATH, which records its wall time and
peak RSS without touching the rules. The figures are also written to DIR/bench_workflow.json.
Run the whole script niced (``nice -n 10``): both sides then share the same priority.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
#: simulate arguments of each cohort size
SIZES = {
    "demo": ["--seed", "7"],
    "large": ["--seed", "7", "--scale", "1/25", "--patients", "1", "--tumor-only", "0",
              "--profiles", "escc", "--tumor-depth", "60", "--normal-depth", "30"],
}  # fmt: skip
PYTHON_STEPS = ("scce-genomics", "cnvkit.py", "multiqc")
TOOLS = ("bwa", "samtools", "bcftools", "mosdepth", "tabix")
RSS_LIMIT_MB = 1024
STAGES = ("alignment", "somatic", "cnv", "rest")


def sh(command: str, log: Path) -> None:
    """Run a shell pipeline (bash, pipefail), its stderr into ``log``; stop on failure."""
    with log.open("a") as err:
        err.write(f"$ {command}\n")
        err.flush()
        proc = subprocess.run(["bash", "-o", "pipefail", "-c", command], stderr=err, check=False)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {command}\nsee {log}")


class Cohort:
    """Sample sheet, lanes and reference of a simulated cohort."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.samples = pd.read_csv(data / "samples.tsv", sep="\t", dtype=str).fillna("")
        self.units = pd.read_csv(data / "units.tsv", sep="\t", dtype=str).fillna("")
        self.fasta = data / "reference" / "genome.fa"
        kinds = self.samples.set_index("sample")["type"]
        self.tumors = [s for s in kinds.index if kinds[s] == "tumor"]
        self.normals = [s for s in kinds.index if kinds[s] == "normal"]

    def normal_of(self, tumor: str) -> str:
        patient = self.samples.set_index("sample").loc[tumor, "patient"]
        match = self.samples[(self.samples["patient"] == patient)]
        normals = match.loc[match["type"] == "normal", "sample"]
        return str(normals.iloc[0]) if len(normals) else ""


def simulate(work: Path, size: str) -> Cohort:
    data = work / "data"
    if not (data / "units.tsv").exists():
        cmd = [str(BIN / "scce-genomics"), "simulate", "--outdir", str(data), *SIZES[size]]
        print("$", shlex.join(cmd), flush=True)
        start = time.perf_counter()
        subprocess.run(cmd, check=True)
        print(f"simulated in {time.perf_counter() - start:.0f} s", flush=True)
    return Cohort(data)


def workflow_config() -> dict:
    with (ROOT / "config" / "config.yaml").open() as handle:
        return yaml.safe_load(handle)


# -- the tools by hand ------------------------------------------------------------------------


def tools_alignment(cohort: Cohort, out: Path, cores: int, config: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    log = out / "alignment.log"
    ref = out / "genome.fa"
    shutil.copyfile(cohort.fasta, ref)
    q = shlex.quote
    sh(f"samtools faidx {q(str(ref))} && bwa index {q(str(ref))}", log)
    bwa_extra = config["alignment"].get("bwa_extra", "")
    for sample in cohort.samples["sample"]:
        lanes = []
        for _, unit in cohort.units[cohort.units["sample"] == sample].iterrows():
            fq = " ".join(q(str(cohort.data / unit[k])) for k in ("fq1", "fq2") if unit[k])
            rg = f"@RG\\tID:{sample}.{unit['unit']}\\tSM:{sample}\\tPL:ILLUMINA"
            lane = out / f"{sample}.{unit['unit']}.bam"
            sh(
                f"bwa mem -t {cores} {bwa_extra} -R '{rg}' {q(str(ref))} {fq}"
                f" | samtools fixmate -m -u - - | samtools sort -@ {cores} -m 600M"
                f" -T {q(str(lane))}.tmp -o {q(str(lane))} -",
                log,
            )
            lanes.append(q(str(lane)))
        bam = q(str(out / f"{sample}.bam"))
        sh(
            f"samtools merge -u -@ {cores} -o - {' '.join(lanes)}"
            f" | samtools markdup -@ {cores} - {bam} && samtools index {bam}",
            log,
        )


def tools_somatic(cohort: Cohort, out: Path, cores: int, config: dict) -> None:
    bams = out.parent / "alignment"
    out.mkdir(parents=True, exist_ok=True)
    ref = shlex.quote(str(bams / "genome.fa"))
    extra = config["somatic"]["mpileup_extra"]
    for tumor in cohort.tumors:
        files = [tumor] + ([cohort.normal_of(tumor)] if cohort.normal_of(tumor) else [])
        inputs = " ".join(shlex.quote(str(bams / f"{s}.bam")) for s in files)
        vcf = shlex.quote(str(out / f"{tumor}.vcf.gz"))
        sh(
            f"bcftools mpileup -f {ref} -a FORMAT/AD,FORMAT/ADF,FORMAT/ADR,FORMAT/DP {extra}"
            f" -Ou {inputs} | bcftools call -mv -Oz -o {vcf}",
            out / "somatic.log",
        )


def tools_cnv(cohort: Cohort, out: Path, cores: int, config: dict) -> None:
    bams = out.parent / "alignment"
    out.mkdir(parents=True, exist_ok=True)
    cnv = config["cnv"]

    def quoted(names: list[str]) -> str:
        return " ".join(shlex.quote(str(bams / f"{s}.bam")) for s in names)

    sh(
        f"MPLBACKEND=Agg cnvkit.py batch {quoted(cohort.tumors)} --normal {quoted(cohort.normals)}"
        f" -m wgs -f {shlex.quote(str(bams / 'genome.fa'))} --target-avg-size {cnv['bin_size']}"
        f" --segment-method {cnv['segment_method']} {cnv['segment_extra']} -p {cores}"
        f" --scatter --diagram -d {shlex.quote(str(out))}",
        out / "cnv.log",
    )


HAND = {"alignment": tools_alignment, "somatic": tools_somatic, "cnv": tools_cnv}

# -- the workflow, stage by stage -------------------------------------------------------------


def stage_targets(cohort: Cohort, results: Path) -> dict[str, list[str]]:
    """Files that make each stage; the rest is the default target (everything)."""
    somatic = ["cohort.maf", "tmb.tsv"]
    plots = [f"plots/{t}.{kind}" for t in cohort.tumors for kind in ("scatter.png", "diagram.pdf")]
    return {
        "alignment": [str(results / "bam" / f"{s}.bam") for s in cohort.samples["sample"]],
        "somatic": [str(results / "somatic" / name) for name in somatic],
        "cnv": [str(results / "cnv" / name) for name in ["summary.tsv", *plots]],
        "rest": [],
    }


def write_shims(shims: Path) -> dict[str, str]:
    """Wrappers that run each program under /usr/bin/time, one record per call.

    The record goes to $SCCE_BENCH_CALLS/<pid>.<program>: wall s, peak RSS KB, user s, sys s,
    command line.
    """
    shims.mkdir(parents=True, exist_ok=True)
    path = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    for name in PYTHON_STEPS + TOOLS:
        real = shutil.which(name, path=path)
        if real is None:
            sys.exit(f"{name} is not installed")
        shim = shims / name
        shim.write_text(
            "#!/bin/sh\n"
            f'exec /usr/bin/time -q -f "%e\\t%M\\t%U\\t%S\\t%C" -o "$SCCE_BENCH_CALLS/$$.{name}" '
            f'{shlex.quote(real)} "$@"\n'
        )
        shim.chmod(0o755)
    return {"PATH": f"{shims}{os.pathsep}{path}"}


def read_calls(calls: Path, stage: str) -> list[dict]:
    rows = []
    for record in calls.glob("*.*"):
        line = record.read_text().strip().splitlines()[-1]
        wall, rss, user, system, command = line.split("\t", 4)
        program = record.name.split(".", 1)[1]
        words = command.split()
        step = program
        if program in ("scce-genomics", "cnvkit.py", "samtools", "bcftools") and len(words) > 1:
            step = f"{program} {words[1]}"
        rows.append(
            {
                "stage": stage,
                "program": program,
                "step": step,
                "wall_s": float(wall),
                "cpu_s": float(user) + float(system),
                "rss_mb": int(rss) / 1024,
            }
        )
    return rows


def run_workflow_stage(
    stage: str, targets: list[str], config: Path, work: Path, cores: int, env: dict[str, str]
) -> float:
    calls = work / "calls" / stage
    calls.mkdir(parents=True, exist_ok=True)
    environ = dict(os.environ, **env, SCCE_BENCH_CALLS=str(calls), MPLBACKEND="Agg")
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"),
           "--configfile", str(config), "--cores", str(cores), *targets]  # fmt: skip
    start = time.perf_counter()
    with (work / f"{stage}.log").open("w") as log:
        proc = subprocess.run(cmd, cwd=work, env=environ, stdout=log, stderr=log, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"workflow stage {stage} failed; see {work / f'{stage}.log'}")
    return elapsed


# -- start-up of the command line -------------------------------------------------------------


def cli_startup(repeats: int = 7) -> dict[str, float]:
    """Median wall time of ``--help`` (the parser built, nothing run) against a bare Python."""
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "scce-genomics --help": [str(BIN / "scce-genomics"), "--help"],
        "scce-genomics cnv-purity --help": [str(BIN / "scce-genomics"), "cnv-purity", "--help"],
    }
    result = {}
    for name, cmd in commands.items():
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
            times.append(time.perf_counter() - start)
        result[name] = statistics.median(times)
    return result


# -- the report ---------------------------------------------------------------------------------


def print_figures(size: str, cores: int, hand: dict, flow: dict, calls: pd.DataFrame) -> dict:
    tools_total = sum(hand.values())
    flow_total = sum(flow.values())
    load = os.getloadavg()[0]
    print(f"\n== bench_workflow: {size} cohort, {cores} cores, 1-min load at the end {load:.1f}")
    print(f"{'stage':<11}{'tools s':>9}{'workflow s':>12}{'ratio':>8}")
    for stage in STAGES:
        if stage in hand:
            ratio = flow[stage] / hand[stage]
            print(f"{stage:<11}{hand[stage]:>9.1f}{flow[stage]:>12.1f}{ratio:>7.2f}×")
        else:
            share = flow[stage] / tools_total
            print(f"{stage:<11}{'—':>9}{flow[stage]:>12.1f}   (+{share:.2f}× of the tools' total)")
    whole = flow_total / tools_total
    print(f"{'whole':<11}{tools_total:>9.1f}{flow_total:>12.1f}{whole:>7.2f}×")

    python = calls[calls["program"].isin(PYTHON_STEPS)]
    by_step = (
        python.groupby("step")
        .agg(calls=("wall_s", "size"), wall_s=("wall_s", "sum"), max_rss_mb=("rss_mb", "max"))
        .sort_values("wall_s", ascending=False)
    )
    print(f"\nPython steps of the workflow ({len(python)} calls): wall time and peak RSS")
    print(f"{'step':<40}{'calls':>6}{'wall s':>9}{'max RSS MB':>12}")
    for step, row in by_step.iterrows():
        flag = "  > 1 GB" if row["max_rss_mb"] > RSS_LIMIT_MB else ""
        print(f"{step:<40}{row['calls']:>6}{row['wall_s']:>9.1f}{row['max_rss_mb']:>12.0f}{flag}")
    peak = float(python["rss_mb"].max()) if len(python) else 0.0
    print(f"largest peak RSS of a Python step: {peak:.0f} MB (limit {RSS_LIMIT_MB} MB)")

    per_program = calls.groupby("program")["wall_s"].sum().sort_values(ascending=False)
    print("\nJob-seconds by program (all stages): " + ", ".join(
        f"{name} {secs:.0f}" for name, secs in per_program.items()
    ))  # fmt: skip
    return {
        "size": size,
        "cores": cores,
        "load_1min_end": round(load, 2),
        "tools_s": {k: round(v, 1) for k, v in hand.items()},
        "workflow_s": {k: round(v, 1) for k, v in flow.items()},
        "ratio": {k: round(flow[k] / hand[k], 3) for k in hand},
        "whole_ratio": round(whole, 3),
        "python_steps": len(python),
        "max_python_rss_mb": round(peak, 1),
        "python_rss_mb": {str(k): round(float(v), 1) for k, v in by_step["max_rss_mb"].items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True, help="data and runs go here")
    parser.add_argument("--size", choices=sorted(SIZES), default="demo", help="cohort size")
    parser.add_argument("--cores", type=int, default=2, help="cores for tools and workflow")
    args = parser.parse_args()
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    cohort = simulate(work, args.size)
    config = workflow_config()

    run_dir = work / "run"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    flow_dir = run_dir / "workflow"
    flow_dir.mkdir(parents=True)
    results = flow_dir / "results"
    flow_config = flow_dir / "config.yaml"
    reference = cohort.data / "reference"
    flow_config.write_text(
        yaml.safe_dump(
            {
                "samples": str(cohort.data / "samples.tsv"),
                "units": str(cohort.data / "units.tsv"),
                "outdir": str(results),
                "reference": {
                    "fasta": str(reference / "genome.fa"),
                    "build": "custom",
                    "gff3": str(reference / "genes.gff3"),
                    "arms": str(reference / "arms.tsv"),
                },
            }
        )
    )
    env = write_shims(run_dir / "shims")
    targets = stage_targets(cohort, results)

    hand: dict[str, float] = {}
    flow: dict[str, float] = {}
    for stage in STAGES:
        if stage in HAND:
            print(f"-- {stage}: tools by hand", flush=True)
            start = time.perf_counter()
            HAND[stage](cohort, run_dir / "tools" / stage, args.cores, config)
            hand[stage] = time.perf_counter() - start
            print(f"   {hand[stage]:.1f} s", flush=True)
        print(f"-- {stage}: workflow", flush=True)
        flow[stage] = run_workflow_stage(
            stage, targets[stage], flow_config, flow_dir, args.cores, env
        )
        print(f"   {flow[stage]:.1f} s", flush=True)

    calls = pd.DataFrame(
        [row for stage in STAGES for row in read_calls(flow_dir / "calls" / stage, stage)]
    )
    figures = print_figures(args.size, args.cores, hand, flow, calls)
    startup = cli_startup()
    print("\nCLI start-up (median of 7): " + ", ".join(
        f"{name} {secs:.3f} s" for name, secs in startup.items()
    ))  # fmt: skip
    figures["cli_startup_s"] = {k: round(v, 3) for k, v in startup.items()}
    (work / "bench_workflow.json").write_text(json.dumps(figures, indent=2) + "\n")
    over = figures["max_python_rss_mb"] > RSS_LIMIT_MB
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
