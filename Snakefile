# scce-genomics: FASTQ/BAM -> alignment + QC -> somatic calls -> CNV -> spectra -> comparison
# with ESCC/EAC/SCLC references -> one HTML report. See README.md and config/README.md.
from snakemake.utils import min_version

min_version("8.0")


configfile: f"{workflow.basedir}/config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/reference.smk"
include: "workflow/rules/align.smk"
include: "workflow/rules/qc.smk"
include: "workflow/rules/tissue.smk"
include: "workflow/rules/cnv.smk"
include: "workflow/rules/somatic.smk"
include: "workflow/rules/spectra.smk"
include: "workflow/rules/signatures.smk"
include: "workflow/rules/compare.smk"
include: "workflow/rules/biomarkers.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        all_targets(),


# Failed jobs: their rule, wildcards and the one-line reason from each log, on the console.
onerror:
    print_failures()
