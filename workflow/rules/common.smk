# Start-up checks (config, sheets, reference, BAM headers), the names every stage uses, the
# input and parameter functions of every stage (a section each, in workflow order) and the
# console summary of failed jobs.
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
    target_intervals,
)
from scce_genomics.parallel import (
    TARGET_PAD,
    beside_one_thread_jobs,
    cnv_bin_count,
    cnvkit_processes,
    merged_length,
    pileup_chunks,
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

OUT = config.get("outdir", "results").rstrip(os.sep) or os.curdir
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
    REFERENCE_LENGTHS = reference_lengths(
        config["reference"]["fasta"], f"{OUT}/reference/genome.fa.fai"
    )
    check_bam_units(
        UNITS,
        config["units"],
        lambda: REFERENCE_LENGTHS,
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
# sizes of the parallel pieces (pileup chunks, CNVkit processes), fixed at start-up
GENOME_BP = sum(REFERENCE_LENGTHS.values())
try:
    TARGET_INTERVALS = target_intervals(TARGETS_BED) if TARGETS_BED else {}
except InputError as err:
    start_up_error("invalid targets BED", err)
TARGET_BP = merged_length(TARGET_INTERVALS)
TARGET_TERRITORY_BP = merged_length(TARGET_INTERVALS, pad=TARGET_PAD)
# Multi-threaded steps after alignment take at most half the cores of a local run, so that they
# start while one-thread jobs hold the rest; on a cluster every job has its own CPUs.
LOCAL_CORES = (
    workflow.resource_settings.cores
    if workflow.local_exec and not workflow.remote_exec
    else None
)


def shared_threads(threads):
    return beside_one_thread_jobs(threads, LOCAL_CORES)


# Population allele frequencies (somatic.germline_resource, gnomAD-style): the tumor-only germline
# prior, tumor-only B-allele sites and tumor-only contamination all read this one resource.
GERMLINE_RESOURCE = config.get("somatic", {}).get("germline_resource", "")
GERMLINE_AF_FIELD = config.get("somatic", {}).get("germline_resource_af_field", "AF")

# Tumor-only calling tells germline from somatic by population frequency first: without a
# resource it keeps precision and loses most clonal mutations at ordinary depths (README).
if not GERMLINE_RESOURCE and not PAIRS["normal"].all():
    only = ", ".join(PAIRS.loc[PAIRS["normal"] == "", "tumor"])
    print(
        f"warning: tumor-only sample(s) {only} without somatic.germline_resource: set it to a "
        "gnomAD-style AF VCF (README, 'Tumor-only calling') or expect low recall",
        file=sys.stderr,
    )


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
    reference_targets,
    qc_table,


wildcard_constraints:
    sample=alternatives(ALL_SAMPLES),
    unit=alternatives(UNITS["unit"]),
    patient=alternatives(PATIENTS),
    tumor=alternatives(TUMORS),


def out(path):
    """A path under the configured output directory."""
    return f"{OUT}/{path}"


# The targets BED without the header lines bcftools stops at (rule reference_targets)
PLAIN_TARGETS = out("reference/targets.bed") if TARGETS_BED else ""


def units_of(sample):
    return UNITS.loc[sample]


def matched_normal(tumor):
    """The tumor's matched normal sample name, or '' for tumor-only analysis."""
    return PAIRS.loc[tumor, "normal"]


# A stage is part of the workflow when the Snakefile includes its rule file; only then do the
# targets and the inputs that cross stages (identity gate, HRD table, report) ask for its outputs.
def in_workflow(stage):
    """Whether the Snakefile includes the stage's rule file (<stage>.smk)."""
    return f"{stage}.smk" in {os.path.basename(str(f)) for f in workflow.included}


def stage_targets():
    """Final outputs of each stage in the workflow, by stage, in workflow order."""
    stages = {
        "qc": qc_targets,
        "tissue": qc_tissue_targets,
        "somatic": somatic_targets,
        "cnv": cnv_targets,
        "spectra": spectra_targets,
        "compare": compare_targets,
        "biomarkers": biomarkers_targets,
        "report": report_targets,
    }
    return {stage: func() for stage, func in stages.items() if in_workflow(stage)}


def all_targets():
    """Final outputs of every stage in the workflow."""
    return [path for paths in stage_targets().values() for path in paths]


# ---- Reference (reference.smk) ----


def arms_table():
    """The configured arm table, or the one shipped for the build (from UCSC cytobands)."""
    if config["reference"].get("arms"):
        return config["reference"]["arms"]
    build = config["reference"]["build"]
    return f"{workflow.basedir}/resources/genome/chromosome_arms_{build}.tsv"


# ---- Alignment (align.smk) ----

REALIGN_BAM = config["alignment"]["realign_bam"]


def unit_row(wildcards):
    return UNITS.loc[(wildcards.sample, wildcards.unit)]


def unit_inputs(wildcards):
    """The unit's files as the sheet gives them: fq1 (+ fq2), or bam."""
    row = unit_row(wildcards)
    if row["bam"]:
        return {"bam": row["bam"]}
    return {key: row[key] for key in ("fq1", "fq2") if row[key]}


def read_group(wildcards):
    return (
        f"@RG\\tID:{wildcards.sample}.{wildcards.unit}\\tSM:{wildcards.sample}"
        f"\\tLB:{wildcards.sample}\\tPL:ILLUMINA\\tPU:{wildcards.unit}"
    )


def bwa_inputs(wildcards):
    """FASTQ of a unit: the sheet's, or those of a realigned BAM (with its single-end reads)."""
    if unit_row(wildcards)["bam"]:
        base = out(f"bam/units/{wildcards.sample}.{wildcards.unit}")
        return {
            "fq1": f"{base}.R1.fastq.gz",
            "fq2": f"{base}.R2.fastq.gz",
            "single": f"{base}.single.fastq.gz",
        }
    return unit_inputs(wildcards)


def unit_bams(wildcards):
    """Per unit: the aligned BAM, or the BAM used as given."""
    bams = []
    for unit, bam in zip(
        units_of(wildcards.sample)["unit"], units_of(wildcards.sample)["bam"]
    ):
        folder = "given" if bam and not REALIGN_BAM else "units"
        bams.append(out(f"bam/{folder}/{wildcards.sample}.{unit}.bam"))
    return bams


# ---- Alignment QC (qc.smk) ----


def qc_targets():
    return [out("qc/qc_table.tsv"), out("qc/multiqc/multiqc_report.html")]


# ---- Stored-tissue QC (tissue.smk) ----

TQC = config.get("tissue_qc", {})
TQC_SITES = TQC.get("sites_vcf", "")


def patient_samples(patient):
    """The patient's samples, normal first (the genotype reference)."""
    rows = SAMPLES[SAMPLES["patient"] == patient].sort_values("type", ascending=True)
    return list(rows["sample"])


def genotype_reference(patient):
    """The normal whose genotypes define the sites, or the first tumor when tumor-only."""
    normals = [s for s in patient_samples(patient) if s in NORMALS]
    return normals[0] if normals else patient_samples(patient)[0]


def patient_of(sample):
    return SAMPLES.loc[sample, "patient"]


def tumor_only_patient(patient):
    return not any(s in NORMALS for s in patient_samples(patient))


def contamination_segments(patient):
    """CNVkit calls of a tumor-only patient's tumors, needed only when frequencies exist."""
    has_af = GERMLINE_RESOURCE or TQC_SITES
    if not (tumor_only_patient(patient) and has_af):
        return []
    return [out(f"cnv/{s}.call.cns") for s in patient_samples(patient)]


def contamination_inputs(wildcards):
    """Genotypes and sites; the germline resource; a tumor-only patient's CNVkit calls."""
    inputs = {
        "genotypes": out(f"qc/tissue/{wildcards.patient}.genotypes.vcf.gz"),
        "sites": TQC_SITES or out(f"qc/tissue/{wildcards.patient}.sites.vcf.gz"),
        "segments": contamination_segments(wildcards.patient),
    }
    if GERMLINE_RESOURCE:
        inputs["resource"] = GERMLINE_RESOURCE
    return inputs


def contamination_mode(wildcards, input):
    """Population frequencies when configured; tumor-only flag and copy-neutral segments."""
    args = []
    if GERMLINE_RESOURCE:
        args += [
            "--population-af",
            shlex.quote(input.resource),
            "--af-field",
            shlex.quote(GERMLINE_AF_FIELD),
        ]
    if tumor_only_patient(wildcards.patient):
        args.append("--tumor-only")
    if input.segments:
        args += ["--segments"] + [shlex.quote(p) for p in input.segments]
    return " ".join(args)


def qc_tissue_targets():
    """Tissue QC outputs; the purity comparison only when the CNV stage is in the workflow."""
    cnv = [out("qc/purity/purity_comparison.tsv")] if in_workflow("cnv") else []
    return (
        [out("qc/tissue_qc.tsv"), out("qc/identity/cohort.tsv")]
        + [out(f"qc/identity/{t}.json") for t in TUMORS if matched_normal(t)]
        + expand(out("qc/damage/{sample}.tsv"), sample=ALL_SAMPLES)
        + cnv
    )


# ---- Copy number (cnv.smk) ----

CNV = config["cnv"]
CNV_REFERENCE_SEX = CNV.get("reference_sex", "female")


def cnv_targets():
    return (
        expand(out("cnv/{sample}.{ext}"), sample=TUMORS, ext=("cnr", "cns", "call.cns"))
        + expand(out("cnv/plots/{sample}.scatter.png"), sample=TUMORS)
        + expand(out("cnv/plots/{sample}.diagram.pdf"), sample=TUMORS)
        + [
            out(f"cnv/{name}")
            for name in (
                "arm_calls.tsv",
                "gene_calls.tsv",
                "cohort.seg",
                "cn48.tsv",
                "summary.tsv",
                "sex_chromosomes.tsv",
                "hrd.tsv",
                "cn_signatures.tsv",
            )
        ]
    )


def sheet_sex(sample):
    """The sample sheet's sex of a sample ('' when not given)."""
    sex = str(SAMPLES.loc[sample, "sex"]) if "sex" in SAMPLES.columns else ""
    return sex if sex in ("male", "female") else ""


def cnv_reference_sex_args():
    """cnvkit.py reference options: -y for a male reference; --sample-sex when every normal's
    sheet sex is known and the same (else CNVkit infers each normal's sex from X and Y).
    """
    args = ["--male-reference"] if CNV_REFERENCE_SEX == "male" else []
    sexes = {sheet_sex(n) for n in NORMALS}
    if NORMALS and len(sexes) == 1 and "" not in sexes:
        args += ["--sample-sex", sexes.pop()]
    return " ".join(args)


def cnv_tumor_inputs(wildcards):
    sample = wildcards.sample
    inputs = {
        "target": out(f"cnv/coverage/{sample}.targetcoverage.cnn"),
        "antitarget": out(f"cnv/coverage/{sample}.antitargetcoverage.cnn"),
        "reference": out("cnv/reference.cnn"),
        "vcf": out(f"cnv/baf/{sample}.hets.vcf.gz"),
        "sex_check": out(f"qc/sex/{sample}.json"),
    }
    if not matched_normal(sample) and GERMLINE_RESOURCE:
        inputs["resource"] = GERMLINE_RESOURCE
    return inputs


# ---- Somatic mutations (somatic.smk) ----

SOMATIC = config["somatic"]
# Genome chunks of the tumor pileup (one single-threaded bcftools mpileup each), read by the
# somatic and the CNV stages; `auto` sizes them by the genome or the padded targets.
SOMATIC_CHUNKS = [
    f"{i:03d}"
    for i in range(
        pileup_chunks(
            SOMATIC.get("scatter", "auto"),
            TARGET_TERRITORY_BP if TARGETS_BED else GENOME_BP,
        )
    )
]


def somatic_targets():
    return (
        expand(out("somatic/{tumor}.vcf.gz"), tumor=TUMORS)
        + expand(out("somatic/{tumor}.maf"), tumor=TUMORS)
        + [out("somatic/cohort.maf"), out("somatic/tmb.tsv")]
    )


def somatic_bams(wildcards):
    normal = matched_normal(wildcards.tumor)
    bams = {"tumor": out(f"bam/{wildcards.tumor}.bam")}
    if normal:
        bams["normal"] = out(f"bam/{normal}.bam")
    return bams


def panels_of_normals():
    """The configured PoN and the one built from this cohort's normals (either may be absent)."""
    panels = [SOMATIC["pon"]] if SOMATIC.get("pon") else []
    return panels + ([out("somatic/pon.vcf.gz")] if NORMALS else [])


def somatic_call_inputs(wildcards):
    """BAMs, candidates and panels; a tumor-only sample also waits for its CNV segments."""
    inputs = somatic_bams(wildcards)
    inputs.update(
        bcf=out(f"somatic/candidates/{wildcards.tumor}.bcf"),
        fasta=out("reference/genome.fa"),
        pon=panels_of_normals(),
        identity=identity_gate(wildcards),
    )
    if not matched_normal(wildcards.tumor):
        inputs["cns"] = out(f"cnv/{wildcards.tumor}.alleles.tsv")
        inputs["cnv_purity"] = out(f"cnv/purity/{wildcards.tumor}.json")
        if GERMLINE_RESOURCE:
            inputs["resource"] = GERMLINE_RESOURCE
    return inputs


def tumor_only_args(wildcards, input):
    """somatic-call options of the tumor-only germline model (quoted: they carry paths)."""
    if matched_normal(wildcards.tumor):
        return ""
    args = ["--cns", input.cns, "--cnv-purity", input.cnv_purity]
    if GERMLINE_RESOURCE:
        args += [
            "--germline-resource",
            input.resource,
            "--af-field",
            GERMLINE_AF_FIELD,
            "--absent-af",
            str(SOMATIC.get("germline_resource_default_af", 1e-5)),
        ]
    return " ".join(shlex.quote(a) for a in args)


def identity_gate(wildcards):
    """Tumor/normal identity check output, when the tissue-QC stage is in the workflow."""
    if matched_normal(wildcards.tumor) and in_workflow("tissue"):
        return [out(f"qc/identity/{wildcards.tumor}.json")]
    return []


def callable_args():
    items = []
    for tumor in TUMORS:
        files = [out(f"somatic/callable/{tumor}.quantized.bed.gz")]
        if matched_normal(tumor):
            files.append(
                out(f"somatic/callable/{matched_normal(tumor)}.quantized.bed.gz")
            )
        items.append(shlex.quote(f"{tumor}={','.join(files)}"))
    return " ".join(items)


# ---- Mutation spectra and signatures (spectra.smk, signatures.smk) ----


def spectra_targets():
    """Final outputs of the spectra stage (once the somatic stage feeding it is in the workflow).

    The rules run on any ``somatic/{tumor}.vcf.gz`` present: ask for a target explicitly.
    """
    if not in_workflow("somatic"):
        return []
    return [
        out("spectra/SBS96.tsv"),
        out("spectra/SBS6.tsv"),
        out("spectra/DBS78.tsv"),
        out("spectra/ID83.tsv"),
        out("signatures/SBS_exposures.tsv"),
        out("signatures/SBS_exposures_cohort.tsv"),
        out("signatures/SBS_fit_summary.tsv"),
        out("spectra/SBS96.png"),
        out("signatures/SBS_exposures.png"),
    ]


# ---- Comparison with the references (compare.smk) ----


def compare_targets():
    """Final outputs of the comparison stage (once the stages feeding it are in the workflow)."""
    if not all(in_workflow(stage) for stage in ("somatic", "cnv", "spectra")):
        return []
    return [
        out("compare/summary.tsv"),
        out("compare/sbs96_spectra.png"),
        out("compare/gene_forest.png"),
        out("compare/arm_frequencies.png"),
        out("compare/reliability.png"),
    ]


# ---- Biomarkers (biomarkers.smk) ----

BIOMARKERS = config.get("biomarkers", {})
MSI = BIOMARKERS.get("msi", {})


def msi_baseline():
    """The configured tumor-only baseline, the one built from the sheet's normals, or none."""
    if MSI.get("baseline"):
        return MSI["baseline"]
    return out("biomarkers/msi/baseline.tsv.gz") if NORMALS else ""


def msi_comparator(wildcards):
    """The matched normal's counts, else the baseline; neither: the score says why."""
    normal = matched_normal(wildcards.tumor)
    if normal:
        return {"normal": out(f"biomarkers/msi/counts/{normal}.tsv.gz")}
    return {"baseline": msi_baseline()} if msi_baseline() else {}


def hrd_table():
    """The configured HRD table, or the copy-number stage's when that stage writes one."""
    if BIOMARKERS.get("hrd_table"):
        return BIOMARKERS["hrd_table"]
    path = out("cnv/hrd.tsv")
    return path if in_workflow("cnv") and path in cnv_targets() else ""


def biomarkers_targets():
    return [out("biomarkers/panel.tsv")] + expand(
        out("biomarkers/msi/{tumor}.tsv"), tumor=TUMORS
    )


# ---- Report (report.smk) ----


def report_stage_inputs(wildcards):
    """Final outputs of every other stage in the workflow (stage_targets())."""
    inputs = [
        path
        for stage, paths in stage_targets().items()
        if stage != "report"
        for path in paths
        if not str(path).startswith(out("report/"))
    ]
    return sorted(set(inputs))


def report_targets():
    return [out("report/report.html"), out("report/versions.tsv")]


# ---- Failed jobs (Snakefile onerror) ----


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
