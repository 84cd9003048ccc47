# Start-up checks (config, sheets, reference, BAM headers), the names every stage uses, the
# console summary of failed jobs, and input helpers shared by every stage.
import json
import os
import re
import shlex
import sys

from snakemake.utils import validate

from scce_genomics.align.reads import check_bam_units
from scce_genomics.config import check_config
from scce_genomics.errors import InputError
from scce_genomics.failures import FailedJob, explain_failures
from scce_genomics.reference.prepare import (
    check_build_consistency,
    check_gff3_header,
    reference_lengths,
)
from scce_genomics.samples import load_samples, load_units, tumor_normal_pairs
from scce_genomics.somatic.germline_resource import check_somatic_resources

CONFIG_FILES = ", ".join(dict.fromkeys(map(str, workflow.configfiles)))


def start_up_error(what, err):
    """Stop before any job with one line: what failed and the InputError naming file and fix."""
    raise WorkflowError(f"{what}: {err}") from None


try:
    check_config(config, f"{workflow.basedir}/workflow/schemas/config.schema.yaml")
except InputError as err:
    start_up_error(f"invalid config ({CONFIG_FILES})", err)
validate(config, schema="../schemas/config.schema.yaml")

OUT = config.get("outdir", "results").rstrip("/") or "."
# Snakemake reads braces in file patterns as wildcards: configured paths may hold any other
# character (spaces, quotes, '$', ';'), since every shell command quotes them.
for key, value in (
    ("outdir", OUT),
    ("reference.fasta", config["reference"]["fasta"]),
    ("reference.gff3", config["reference"]["gff3"]),
    ("reference.arms", config["reference"].get("arms", "")),
    ("targets", config.get("targets", "")),
    ("samples", config["samples"]),
):
    if "{" in value or "}" in value:
        start_up_error(
            f"invalid config ({CONFIG_FILES})",
            f"key {key}: {value!r} contains '{{' or '}}', which Snakemake reads as a "
            "wildcard; rename the folder or file",
        )

try:
    SAMPLES = load_samples(config["samples"])
    UNITS = load_units(config["units"], SAMPLES)
except InputError as err:
    start_up_error("invalid sample sheet", err)

# Start-up check of the somatic stage's sites VCFs (germline resource, panel of normals).
try:
    check_somatic_resources(config)
except InputError as err:
    start_up_error("somatic resource", err)

validate(
    SAMPLES.drop(columns="sheet_line").dropna(axis=1),
    schema="../schemas/samples.schema.yaml",
)
validate(UNITS.drop(columns="sheet_line"), schema="../schemas/units.schema.yaml")

# Start-up reference checks: the GFF3 is a GFF3; reference.build, the FASTA, reads declared for
# a build (units.tsv column build) and the targets BED speak of one genome build and naming;
# BAMs used as given and CRAMs have the FASTA's contigs (names and lengths).
try:
    check_gff3_header(config["reference"]["gff3"])
except InputError as err:
    start_up_error("invalid gene annotation (reference.gff3)", err)
try:
    check_build_consistency(
        config["reference"]["fasta"],
        config["reference"]["build"],
        UNITS,
        config["units"],
        realign_bam=config["alignment"]["realign_bam"],
        targets=config.get("targets", ""),
    )
    check_bam_units(
        UNITS,
        config["units"],
        lambda: reference_lengths(
            config["reference"]["fasta"], f"{OUT}/reference/genome.fa.fai"
        ),
        realign_bam=config["alignment"]["realign_bam"],
    )
except InputError as err:
    start_up_error("input does not fit the reference", err)

PAIRS = tumor_normal_pairs(SAMPLES)
TUMORS = list(PAIRS["tumor"])
NORMALS = list(SAMPLES.loc[SAMPLES["type"] == "normal", "sample"])
ALL_SAMPLES = list(SAMPLES["sample"])
PATIENTS = list(dict.fromkeys(SAMPLES["patient"]))
TARGETS_BED = config.get("targets", "")


def alternatives(names):
    """A wildcard constraint matching exactly these names ('.' in a name is no regex)."""
    return (
        "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))
        or "NONE"
    )


def flag(option, value):
    """``--option 'value'`` for the shell, or '' when the value is empty."""
    return f"{option} {shlex.quote(str(value))}" if value not in ("", None) else ""


# Jobs too small to be worth a cluster job run on the submit host under --executor slurm (each
# stage may add its own `localrules:` line; they accumulate). Heavier per-sample steps are bound
# into fewer cluster jobs by the `groups:` of profiles/slurm (docs/cluster.md).
localrules:
    all,
    reference_faidx,
    qc_table,


wildcard_constraints:
    sample=alternatives(ALL_SAMPLES),
    unit=alternatives(UNITS["unit"]),
    patient=alternatives(PATIENTS),
    tumor=alternatives(TUMORS),


def out(path):
    """A path under the configured output directory."""
    return f"{OUT}/{path}"


def units_of(sample):
    return UNITS.loc[sample]


def matched_normal(tumor):
    """The tumor's matched normal sample name, or '' for tumor-only analysis."""
    return PAIRS.loc[tumor, "normal"]


def all_targets():
    """Final outputs of every stage (each stage file defines <stage>_targets())."""
    targets = []
    for name in (
        "qc",
        "qc_tissue",
        "somatic",
        "cnv",
        "spectra",
        "compare",
        "biomarkers",
        "report",
    ):
        func = globals().get(f"{name}_targets")
        if func is not None:
            targets += func()
    return targets


def failed_jobs():
    """The run's failed jobs (members of a failed group job whose outputs are missing)."""
    scheduler = getattr(workflow, "scheduler", None)
    jobs = []
    for job in getattr(scheduler, "failed", ()):
        for member in getattr(job, "jobs", [job]):
            if member is not job and all(os.path.exists(f) for f in member.output):
                continue
            jobs.append(
                FailedJob(
                    member.rule.name,
                    {k: str(v) for k, v in dict(member.wildcards_dict).items()},
                    [str(path) for path in member.log],
                )
            )
    return jobs


def print_failures():
    """Print why each failed job failed, read from its log, so no log needs opening."""
    lines = explain_failures(failed_jobs())
    if lines:
        print(
            f"\n{len(lines)} job(s) failed; the reason from each log:",
            *(f"  {line}" for line in lines),
            "",
            sep="\n",
            file=sys.stderr,
        )
