# Immunotherapy biomarkers: the reference's microsatellites (scanned once), repeat-length counts
# per sample, MSI per tumor (against its matched normal, or tumor-only against a baseline of
# normals) and the panel: TMB with its CI beside the ESCC reference, MSI, HRD when available.

TMB = BIOMARKERS.get("tmb", {})
MSI_SCAN = " ".join(
    f"--{key.replace('_', '-')} {MSI.get(key, default)}"
    for key, default in (
        ("min_homopolymer", 10),
        ("max_homopolymer", 50),
        ("max_unit", 6),
        ("min_repeats", 5),
        ("max_repeats", 40),
        ("flank", 5),
    )
)
MSI_SCORE = " ".join(
    f"--{key.replace('_', '-')} {MSI.get(key, default)}"
    for key, default in (
        ("min_coverage", 15),
        ("fdr", 0.05),
        ("allele_fraction", 0.2),
        ("baseline_support", 0.5),
        ("baseline_sd", 3.0),
        ("baseline_min_normals", 5),
        ("min_sites", 50),
        ("threshold", 3.5),
    )
)
TMB_REFERENCE = TMB.get("reference", "resources/references/ESCC")
if TMB_REFERENCE and not (
    os.path.isabs(TMB_REFERENCE) or os.path.exists(TMB_REFERENCE)
):
    TMB_REFERENCE = os.path.join(workflow.basedir, TMB_REFERENCE)


rule msi_scan:
    input:
        fasta=out("reference/genome.fa"),
        fai=out("reference/genome.fa.fai"),
    output:
        out("reference/microsatellites.tsv.gz"),
    log:
        out("logs/biomarkers/msi_scan.log"),
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        scan=MSI_SCAN,
    shell:
        "scce-genomics msi scan --fasta {input.fasta:q} {params.scan} --out {output:q} "
        "2> {log:q}"


rule msi_sites:
    input:
        sites=out("reference/microsatellites.tsv.gz"),
        targets=[TARGETS_BED] if TARGETS_BED else [],
    output:
        out("biomarkers/msi/sites.tsv.gz"),
    log:
        out("logs/biomarkers/msi_sites.log"),
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        targets=f"--targets {shlex.quote(TARGETS_BED)}" if TARGETS_BED else "",
        max_sites=MSI.get("max_sites", 100000),
    shell:
        "scce-genomics msi select --sites {input.sites:q} {params.targets} "
        "--max-sites {params.max_sites} --out {output:q} 2> {log:q}"


rule msi_count:
    input:
        bam=out("bam/{sample}.bam"),
        bai=out("bam/{sample}.bam.bai"),
        sites=out("biomarkers/msi/sites.tsv.gz"),
    output:
        out("biomarkers/msi/counts/{sample}.tsv.gz"),
    log:
        out("logs/biomarkers/msi_count/{sample}.log"),
    resources:
        mem_mb=2000,
        runtime=120,
    params:
        min_mapq=MSI.get("min_mapq", 20),
    shell:
        "scce-genomics msi count --sites {input.sites:q} --bam {input.bam:q} "
        "--min-mapq {params.min_mapq} --out {output:q} 2> {log:q}"


rule msi_baseline:
    input:
        sites=out("biomarkers/msi/sites.tsv.gz"),
        normals=expand(out("biomarkers/msi/counts/{sample}.tsv.gz"), sample=NORMALS),
    output:
        out("biomarkers/msi/baseline.tsv.gz"),
    log:
        out("logs/biomarkers/msi_baseline.log"),
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        score=MSI_SCORE,
    shell:
        "scce-genomics msi baseline --sites {input.sites:q} --normals {input.normals:q} "
        "{params.score} --out {output:q} 2> {log:q}"


rule msi_score:
    input:
        unpack(msi_comparator),
        sites=out("biomarkers/msi/sites.tsv.gz"),
        tumor=out("biomarkers/msi/counts/{tumor}.tsv.gz"),
        # a swapped tumor/normal pair stops here too (the tissue stage's identity gate)
        identity=identity_gate,
    output:
        summary=out("biomarkers/msi/{tumor}.tsv"),
        sites=out("biomarkers/msi/{tumor}.sites.tsv.gz"),
    log:
        out("logs/biomarkers/msi_score/{tumor}.log"),
    wildcard_constraints:
        tumor="|".join(TUMORS) or "NONE",
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        comparator=lambda wc, input: (
            f"--normal {shlex.quote(input.normal)} "
            f"--normal-name {shlex.quote(matched_normal(wc.tumor))}"
            if "normal" in input.keys()
            else (
                f"--baseline {shlex.quote(input.baseline)}"
                if "baseline" in input.keys()
                else ""
            )
        ),
        score=MSI_SCORE,
    shell:
        "scce-genomics msi score --sample {wildcards.tumor:q} --sites {input.sites:q} "
        "--tumor {input.tumor:q} {params.comparator} {params.score} "
        "--out {output.summary:q} --out-sites {output.sites:q} 2> {log:q}"


rule biomarker_panel:
    input:
        tmb=out("somatic/tmb.tsv"),
        msi=expand(out("biomarkers/msi/{tumor}.tsv"), tumor=TUMORS),
        hrd=lambda wc: [hrd_table()] if hrd_table() else [],
    output:
        panel=report(
            out("biomarkers/panel.tsv"),
            caption="../report/biomarkers_panel.rst",
            category="Biomarkers",
        ),
        reference=out("biomarkers/reference_tmb.tsv"),
    log:
        out("logs/biomarkers/panel.log"),
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        tumors=" ".join(shlex.quote(t) for t in TUMORS),
        hrd=lambda wc, input: f"--hrd {shlex.quote(input.hrd[0])}" if input.hrd else "",
        reference=f"--reference {shlex.quote(TMB_REFERENCE)}" if TMB_REFERENCE else "",
        threshold=TMB.get("high_threshold", 10),
        min_mb=TMB.get("min_territory_mb", 1.0),
    shell:
        "scce-genomics biomarker-panel --tumors {params.tumors} --tmb {input.tmb:q} "
        "--msi {input.msi:q} {params.hrd} {params.reference} --tmb-threshold {params.threshold} "
        "--min-territory-mb {params.min_mb} --out {output.panel:q} "
        "--out-reference {output.reference:q} "
        "2> {log:q}"
