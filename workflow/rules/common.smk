# Sample sheets, config validation and input functions shared by every stage.
import json
import os
import shlex

from snakemake.utils import validate

from scce_genomics.errors import InputError
from scce_genomics.reference.prepare import check_build_consistency
from scce_genomics.samples import load_samples, load_units, tumor_normal_pairs
from scce_genomics.somatic.germline_resource import check_somatic_resources

validate(config, schema="../schemas/config.schema.yaml")

try:
    SAMPLES = load_samples(config["samples"])
    UNITS = load_units(config["units"], SAMPLES)
except InputError as err:
    raise WorkflowError(f"invalid sample sheet: {err}") from None

# Start-up build check: reference.build, the FASTA, reads declared for a build (units.tsv column
# build), BAMs used as they are and the targets BED must speak of one genome build and naming.
if os.path.isfile(config["reference"]["fasta"]):
    try:
        check_build_consistency(
            config["reference"]["fasta"],
            config["reference"]["build"],
            UNITS,
            config["units"],
            realign_bam=config.get("alignment", {}).get("realign_bam", True),
            targets=config.get("targets", ""),
        )
    except InputError as err:
        raise WorkflowError(f"genome build mismatch: {err}") from None

# Start-up check of the somatic stage's sites VCFs (germline resource, panel of normals).
try:
    check_somatic_resources(config)
except InputError as err:
    raise WorkflowError(f"somatic resource: {err}") from None

validate(
    SAMPLES.drop(columns="sheet_line").dropna(axis=1),
    schema="../schemas/samples.schema.yaml",
)
validate(UNITS.drop(columns="sheet_line"), schema="../schemas/units.schema.yaml")

PAIRS = tumor_normal_pairs(SAMPLES)
OUT = config.get("outdir", "results").rstrip("/")
TUMORS = list(PAIRS["tumor"])
NORMALS = list(SAMPLES.loc[SAMPLES["type"] == "normal", "sample"])
ALL_SAMPLES = list(SAMPLES["sample"])
TARGETS_BED = config.get("targets", "")


# Jobs too small to be worth a cluster job run on the submit host under --executor slurm (each
# stage may add its own `localrules:` line; they accumulate). Heavier per-sample steps are bound
# into fewer cluster jobs by the `groups:` of profiles/slurm (docs/cluster.md).
localrules:
    all,
    reference_faidx,
    qc_table,


wildcard_constraints:
    sample="|".join(ALL_SAMPLES) or "NONE",
    unit="[A-Za-z0-9][A-Za-z0-9_.-]*",


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
    for name in ("qc", "qc_tissue", "somatic", "cnv", "spectra", "compare", "report"):
        func = globals().get(f"{name}_targets")
        if func is not None:
            targets += func()
    return targets
