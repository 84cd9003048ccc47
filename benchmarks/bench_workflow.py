"""Workflow wall time against the same tools run by hand, on the same data, in one run.

Usage:
  python benchmarks/bench_workflow.py --workdir DIR [--size demo|large] [--cores 2] [--no-one-run]
  python benchmarks/bench_workflow.py --workdir DIR --slurm [--everything]   (root)

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
- CNV: one ``cnvkit.py batch`` (WGS bins, CBS, scatter and diagram) — against the CNV stage
  (whose germline SNPs for B-allele frequencies come from the somatic stage's pileup, run
  before it and kept with ``--notemp``; a tumor-only sample's CNV stage runs inside the
  somatic stage);
- the rest (QC, stored-tissue QC, spectra, signatures, comparison, report) has no hand-run
  counterpart: its wall time is added to the workflow's total.

The stages run one after the other (each waits for the one before, so they lose the overlap a
single run has); then the whole workflow runs once more from nothing in one ``snakemake`` call,
as ``make demo`` runs it: the "one run" row, against the same tools' total (a partial run,
``--stages somatic,cnv,rest``, makes its stages again in one call from the same BAMs). Wall
time depends on the machine's load; CPU time (user + system of every process) hardly does, and
is printed beside.

Every Python step the workflow starts (``scce-genomics``, ``cnvkit.py``, ``multiqc``) and every
tool call runs under ``/usr/bin/time`` through a shim on PATH, which records its wall time and
peak RSS without touching the rules. The figures are also written to DIR/bench_workflow.json.
Run the whole script niced (``nice -n 10``): both sides then share the same priority.

``--slurm`` compares instead the workflow run locally with the same run through the one-node
SLURM cluster of scripts/slurm-local.sh (profiles/slurm-local, its job groups), back to back,
on the cohort of tests/test_slurm.py: alignment + QC (that test's target) or, with
``--everything``, the whole workflow.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
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
    # the cohort of tests/test_slurm.py (its SPEC)
    "slurm-test": ["--seed", "5", "--scale", "1/1500", "--patients", "1", "--tumor-only", "0",
                   "--profiles", "escc", "--tumor-depth", "20", "--normal-depth", "12",
                   "--units", "1", "--snvs", "50"],
}  # fmt: skip
PYTHON_STEPS = ("scce-genomics", "cnvkit.py", "multiqc")
TOOLS = ("bwa", "samtools", "bcftools", "mosdepth", "tabix")
RSS_LIMIT_MB = 1024
#: a shim's record: wall s, peak RSS KB, user s, system s, command line
RECORD = re.compile(r"^([\d.]+)\t(\d+)\t([\d.]+)\t([\d.]+)\t(.*)", re.M | re.S)
STAGES = ("alignment", "somatic", "cnv", "rest")
#: a partial run (--stages) deletes what each stage made (result paths, globs) before running it
#: again; the alignment stage's BAMs, lane checks and duplicate metrics stay
REDO = {
    "somatic": ["somatic", "qc/tissue", "qc/identity"],
    "cnv": ["cnv", "qc/sex"],
    "rest": [
        "spectra", "signatures", "compare", "report", "biomarkers", "qc/contamination",
        "qc/damage", "qc/purity", "qc/mosdepth", "qc/multiqc", "qc/*.stats.txt", "qc/*.tsv",
    ],
}  # fmt: skip


def clear(results: Path, stages: list[str]) -> None:
    """Delete what these stages made (:data:`REDO`), so that a partial run makes it again."""
    for stage in stages:
        for pattern in REDO.get(stage, []):
            for path in results.glob(pattern):
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink()


def sh(command: str, log: Path) -> None:
    """Run a shell pipeline (bash, pipefail), its stderr into ``log``; stop on failure."""
    with log.open("a") as err:
        err.write(f"$ {command}\n")
        err.flush()
        env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
        proc = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command], stderr=err, env=env, check=False
        )
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {command}\nsee {log}")


@dataclass
class Timing:
    """Wall time and CPU time (user + system of every finished descendant) of a block."""

    wall: float = 0.0
    cpu: float = 0.0


@contextlib.contextmanager
def timed() -> Iterator[Timing]:
    """Measure a block that runs subprocesses; CPU time does not depend on the machine's load."""

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    timing = Timing()
    start, cpu = time.perf_counter(), children_cpu()
    yield timing
    timing.wall = time.perf_counter() - start
    timing.cpu = children_cpu() - cpu


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
        # a command line may span lines (bcftools query formats hold newlines)
        found = RECORD.search(record.read_text())
        if found is None:
            sys.exit(f"unreadable call record {record}")
        wall, rss, user, system, command = found.groups()
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


def snakemake(
    name: str, targets: list[str], config: Path, work: Path, env: dict[str, str], *args: str
) -> None:
    """Run the workflow for ``targets``, its log in WORK/NAME.log; stop on failure."""
    environ = dict(os.environ, **env, MPLBACKEND="Agg")
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"),
           "--configfile", str(config), *args, *targets]  # fmt: skip
    with (work / f"{name}.log").open("w") as log:
        proc = subprocess.run(cmd, cwd=work, env=environ, stdout=log, stderr=log, check=False)
    if proc.returncode != 0:
        sys.exit(f"workflow run {name} failed; see {work / f'{name}.log'}")


def write_config(path: Path, cohort: Cohort, results: Path) -> Path:
    reference = cohort.data / "reference"
    config = {
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
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config))
    return path


# -- local against the one-node SLURM cluster ------------------------------------------------


def slurm_ratio(cohort: Cohort, work: Path, cores: int, everything: bool) -> dict:
    """Wall time of the same target run locally and through profiles/slurm-local, back to back.

    The cluster is scripts/slurm-local.sh's (started here if it is not running; needs root).
    Jobs ask for ``cores`` CPUs, like the local run.
    """
    started = subprocess.run([str(ROOT / "scripts" / "slurm-local.sh"), "start"], check=False)
    if started.returncode != 0:
        sys.exit("the local SLURM cluster does not start (scripts/slurm-local.sh start)")
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    timings, jobs = {}, 0
    what = "whole workflow" if everything else "alignment + QC"
    for mode in ("local", "slurm"):
        run = work / "run" / mode
        if run.exists():
            shutil.rmtree(run)
        results = run / "results"
        config = write_config(run / "config.yaml", cohort, results)
        targets = [] if everything else [str(results / "qc" / "qc_table.tsv")]
        args = ["-c", str(cores)]
        if mode == "slurm":
            profile = str(ROOT / "profiles" / "slurm-local")
            args += ["--profile", profile, "--max-threads", str(cores)]
        print(f"-- {what}: {mode}", flush=True)
        with timed() as timings[mode]:
            snakemake(mode, targets, config, run, env, *args)
        print(f"   {timings[mode].wall:.1f} s", flush=True)
        if mode == "slurm":
            jobs = (run / "slurm.log").read_text().count("has been submitted with SLURM jobid")
    ratio = timings["slurm"].wall / timings["local"].wall
    print(f"\n== bench_workflow: SLURM/local, {what} of the slurm-test cohort, {cores} cores, "
          f"1-min load at the end {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"local {timings['local'].wall:.1f} s, SLURM {timings['slurm'].wall:.1f} s "
          f"({jobs} SLURM jobs): {ratio:.2f}×")  # fmt: skip
    return {
        "size": "slurm-test",
        "target": what,
        "local_s": round(timings["local"].wall, 1),
        "slurm_s": round(timings["slurm"].wall, 1),
        "slurm_jobs": jobs,
        "ratio": round(ratio, 3),
    }


# -- start-up of the command line -------------------------------------------------------------


def cli_startup(repeats: int = 7) -> dict[str, dict[str, float]]:
    """Median wall and CPU time of ``--help`` (the parser built, nothing run), and of a bare
    Python for comparison: what every rule that calls ``scce-genomics`` pays before working."""
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "scce-genomics --help": [str(BIN / "scce-genomics"), "--help"],
        "scce-genomics cnv-tumor --help": [str(BIN / "scce-genomics"), "cnv-tumor", "--help"],
    }
    result = {}
    for name, cmd in commands.items():
        runs = []
        for _ in range(repeats):
            with timed() as timing:
                subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
            runs.append(timing)
        result[name] = {
            "wall_s": round(statistics.median(t.wall for t in runs), 3),
            "cpu_s": round(statistics.median(t.cpu for t in runs), 3),
        }
    return result


# -- the report ---------------------------------------------------------------------------------


def print_figures(
    size: str,
    cores: int,
    hand: dict[str, Timing],
    flow: dict[str, Timing],
    one_run: Timing | None,
    calls: pd.DataFrame,
) -> dict:
    total = {
        side: Timing(sum(t.wall for t in d.values()), sum(t.cpu for t in d.values()))
        for side, d in (("tools", hand), ("workflow", flow))
    }
    load = os.getloadavg()[0]
    print(f"\n== bench_workflow: {size} cohort, {cores} cores, 1-min load at the end {load:.1f}")
    print(f"{'stage':<11}{'tools wall s':>13}{'workflow wall s':>16}{'ratio':>8}"
          f"{'tools CPU s':>13}{'workflow CPU s':>15}{'ratio':>8}")  # fmt: skip
    rows = [(stage, hand.get(stage), flow[stage]) for stage in flow]
    rows.append(("stages", total["tools"], total["workflow"]))
    if one_run is not None:  # the whole workflow in one snakemake run, as `make demo` runs it
        rows.append(("one run", total["tools"], one_run))
    for stage, tools, work in rows:
        cells = [f"{stage:<11}"]
        for what, left, right in (("wall", 13, 16), ("cpu", 13, 15)):
            mine = getattr(work, what)
            if tools is None:  # no hand-run counterpart: added to the workflow's total
                share = mine / getattr(total["tools"], what)
                cells.append(f"{'—':>{left}}{mine:>{right}.1f}{'+' + format(share, '.2f'):>7}×")
            else:
                theirs = getattr(tools, what)
                cells.append(f"{theirs:>{left}.1f}{mine:>{right}.1f}{mine / theirs:>7.2f}×")
        print("".join(cells))

    python = calls[calls["program"].isin(PYTHON_STEPS)]
    by_step = (
        python.groupby("step")
        .agg(
            calls=("wall_s", "size"),
            wall_s=("wall_s", "sum"),
            cpu_s=("cpu_s", "sum"),
            max_rss_mb=("rss_mb", "max"),
        )
        .sort_values("cpu_s", ascending=False)
    )
    print(f"\nPython steps of the workflow runs ({len(python)} calls): time and peak RSS")
    print(f"{'step':<40}{'calls':>6}{'wall s':>9}{'CPU s':>8}{'max RSS MB':>12}")
    for step, row in by_step.iterrows():
        flag = "  > 1 GB" if row["max_rss_mb"] > RSS_LIMIT_MB else ""
        print(f"{step:<40}{row['calls']:>6}{row['wall_s']:>9.1f}{row['cpu_s']:>8.1f}"
              f"{row['max_rss_mb']:>12.0f}{flag}")  # fmt: skip
    peak = float(python["rss_mb"].max()) if len(python) else 0.0
    print(f"largest peak RSS of a Python step: {peak:.0f} MB (limit {RSS_LIMIT_MB} MB)")

    per_program = calls.groupby("program")["wall_s"].sum().sort_values(ascending=False)
    print("\nJob-seconds by program (staged and one-run workflow): " + ", ".join(
        f"{name} {secs:.0f}" for name, secs in per_program.items()
    ))  # fmt: skip
    return {
        "size": size,
        "cores": cores,
        "load_1min_end": round(load, 2),
        "tools": {k: vars(v) for k, v in {**hand, "stages": total["tools"]}.items()},
        "workflow": {k: vars(v) for k, v in {**flow, "stages": total["workflow"]}.items()},
        "one_run": vars(one_run) if one_run is not None else None,
        "python_steps": len(python),
        "max_python_rss_mb": round(peak, 1),
        "python_rss_mb": {str(k): round(float(v), 1) for k, v in by_step["max_rss_mb"].items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True, help="data and runs go here")
    parser.add_argument(
        "--size", choices=sorted(SIZES), help="cohort (default demo; slurm-test with --slurm)"
    )
    parser.add_argument("--cores", type=int, default=2, help="cores for tools and workflow")
    parser.add_argument(
        "--slurm",
        action="store_true",
        help="instead of the tools: the workflow locally and on the local SLURM cluster "
        "(profiles/slurm-local), on the slurm-test cohort unless --size says otherwise",
    )
    parser.add_argument(
        "--stages",
        default=",".join(STAGES),
        help="comma-separated stages to time (default all); a partial run keeps the earlier "
        "stages' outputs of the previous run in DIR/run and times only these (its one-call run "
        "then makes these stages again in one snakemake call, from the same BAMs)",
    )
    parser.add_argument(
        "--no-one-run",
        action="store_true",
        help="skip the whole workflow's one-call run (its stages' sum is then the whole run: "
        "an upper bound, since one call overlaps the stages)",
    )
    parser.add_argument(
        "--everything", action="store_true", help="with --slurm: the whole workflow, not only "
        "alignment + QC (the target of tests/test_slurm.py)"
    )  # fmt: skip
    args = parser.parse_args()
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    size = args.size or ("slurm-test" if args.slurm else "demo")
    cohort = simulate(work, size)
    cores = args.cores
    if args.slurm:
        figures = slurm_ratio(cohort, work, cores, args.everything)
        (work / "bench_workflow_slurm.json").write_text(json.dumps(figures, indent=2) + "\n")
        return 0
    config = workflow_config()

    stages = [s for s in STAGES if s in args.stages.split(",")]
    run_dir = work / "run"
    if stages == list(STAGES):
        shutil.rmtree(run_dir, ignore_errors=True)
    elif "alignment" in stages:
        sys.exit("--stages: alignment starts from nothing; time it with every stage")
    flow_dir = run_dir / "workflow"
    results = flow_dir / "results"
    flow_config = write_config(flow_dir / "config.yaml", cohort, results)
    env = write_shims(run_dir / "shims")
    targets = stage_targets(cohort, results)

    hand: dict[str, Timing] = {}
    flow: dict[str, Timing] = {}
    for stage in stages:
        if stage in HAND:
            print(f"-- {stage}: tools by hand", flush=True)
            if (run_dir / "tools" / stage).exists():
                shutil.rmtree(run_dir / "tools" / stage)
            with timed() as hand[stage]:
                HAND[stage](cohort, run_dir / "tools" / stage, cores, config)
            print(f"   {hand[stage].wall:.1f} s", flush=True)
        print(f"-- {stage}: workflow", flush=True)
        if stages != list(STAGES):
            clear(results, [stage])
        calls = flow_dir / "calls" / stage
        if calls.exists():
            shutil.rmtree(calls)
        calls.mkdir(parents=True)
        stage_env = dict(env, SCCE_BENCH_CALLS=str(calls))
        with timed() as flow[stage]:
            # --notemp: a stage's temporary files that a later stage reads (the pileup chunks'
            # germline SNPs) stay, as they do within one run
            snakemake(
                stage, targets[stage], flow_config, flow_dir, stage_env, "-c", str(cores),
                "--notemp",
            )  # fmt: skip
        print(f"   {flow[stage].wall:.1f} s", flush=True)

    one_run = None
    if not args.no_one_run:
        whole_env = dict(env, SCCE_BENCH_CALLS=str(flow_dir / "calls" / "one-run"))
        shutil.rmtree(flow_dir / "calls" / "one-run", ignore_errors=True)
        (flow_dir / "calls" / "one-run").mkdir(parents=True)
        if stages == list(STAGES):
            print("-- the whole workflow in one run", flush=True)
            whole_dir = run_dir / "one-run"
            whole_config = write_config(whole_dir / "config.yaml", cohort, whole_dir / "results")
        else:  # the same stages once more, from the same BAMs, in one call
            print(f"-- {', '.join(stages)} in one run", flush=True)
            clear(results, stages)
            whole_dir, whole_config = flow_dir, flow_config
        with timed() as one_run:
            snakemake("one-run", [], whole_config, whole_dir, whole_env, "-c", str(cores))
        print(f"   {one_run.wall:.1f} s", flush=True)
        stages.append("one-run")

    calls = pd.DataFrame(
        [row for stage in stages for row in read_calls(flow_dir / "calls" / stage, stage)]
    )
    figures = print_figures(size, cores, hand, flow, one_run, calls)
    startup = cli_startup()
    print("\nCLI start-up, median of 7 (wall / CPU): " + ", ".join(
        f"{name} {t['wall_s']:.3f} s / {t['cpu_s']:.3f} s" for name, t in startup.items()
    ))  # fmt: skip
    figures["cli_startup"] = startup
    (work / "bench_workflow.json").write_text(json.dumps(figures, indent=2) + "\n")
    over = figures["max_python_rss_mb"] > RSS_LIMIT_MB
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
