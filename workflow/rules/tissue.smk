# Stored-tissue QC: tumor/normal identity, contamination, FFPE/oxidation damage, early purity,
# sex check, and one table (qc/tissue_qc.tsv). The identity JSON gates the somatic stage.

IDENTITY_ARGS = (
    f"--min-depth {TQC.get('min_depth', 10)} "
    f"--min-sites {TQC.get('identity_min_sites', 20)} "
    f"--max-opposite {TQC.get('identity_max_opposite', 0.05)} "
    f"--min-relatedness {TQC.get('identity_min_relatedness', 0.5)}"
)


localrules:
    tissue_identity,
    tissue_purity_compare,
    tissue_sex,
    tissue_cohort_sites,
    tissue_qc_table,


# The patient's own SNPs (without tissue_qc.sites_vcf), called in the somatic pileup's genome
# chunks: a whole genome would be one single-threaded pileup otherwise. Same records as one call.
rule tissue_sites_chunk:
    input:
        bam=lambda wc: out(f"bam/{genotype_reference(wc.patient)}.bam"),
        ref=out("reference/genome.fa"),
        fai=out("reference/genome.fa.fai"),
        bed=out("somatic/chunks/{chunk}.bed"),
        targets=PLAIN_TARGETS or [],
    output:
        temp(out("qc/tissue/{patient}/{chunk}.sites.bcf")),
    log:
        out("logs/tissue_sites/{patient}.{chunk}.log"),
    wildcard_constraints:
        chunk=r"\d+",
    # the identity gate holds the tumor's somatic model: this chain goes before the pileup chunks
    priority: 5
    conda:
        "../envs/bcftools.yaml"
    resources:
        mem_mb=1000,
        runtime=120,
    params:
        targets=flag("-T", PLAIN_TARGETS),
    shell:
        "(bcftools mpileup -f {input.ref:q} -a AD,ADF,ADR -d 1000 -R {input.bed:q} "
        "{params.targets} -Ou {input.bam:q} | bcftools call -mv -Ou | bcftools view -v snps "
        "-m2 -M2 -Ob -o {output:q}) 2> {log:q}"


rule tissue_sites:
    input:
        expand(out("qc/tissue/{{patient}}/{chunk}.sites.bcf"), chunk=SOMATIC_CHUNKS),
    output:
        out("qc/tissue/{patient}.sites.vcf.gz"),
    log:
        out("logs/tissue_sites/{patient}.log"),
    priority: 5
    conda:
        "../envs/bcftools.yaml"
    resources:
        mem_mb=1000,
        runtime=30,
    shell:
        "(bcftools concat -Oz -o {output:q} {input:q} && bcftools index -t {output:q}) "
        "2> {log:q}"


rule tissue_genotype:
    input:
        bams=lambda wc: [out(f"bam/{s}.bam") for s in patient_samples(wc.patient)],
        sites=TQC_SITES or out("qc/tissue/{patient}.sites.vcf.gz"),
        ref=out("reference/genome.fa"),
    output:
        out("qc/tissue/{patient}.genotypes.vcf.gz"),
    log:
        out("logs/tissue_genotype/{patient}.log"),
    priority: 5
    conda:
        "../envs/bcftools.yaml"
    resources:
        mem_mb=1000,
        runtime=120,
    shell:
        "bcftools mpileup -f {input.ref:q} -a AD -d 1000 -T {input.sites:q} -Oz -o {output:q} "
        "{input.bams:q} 2> {log:q}"


rule tissue_identity_metrics:
    input:
        genotypes=lambda wc: out(f"qc/tissue/{patient_of(wc.tumor)}.genotypes.vcf.gz"),
        sites=lambda wc: TQC_SITES
        or out(f"qc/tissue/{patient_of(wc.tumor)}.sites.vcf.gz"),
    output:
        out("qc/identity/{tumor}.metrics.json"),
    log:
        out("logs/tissue_identity/{tumor}.metrics.log"),
    priority: 5
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        normal=lambda wc: matched_normal(wc.tumor),
        identity=IDENTITY_ARGS,
    shell:
        "scce-genomics tissue-identity --genotypes {input.genotypes:q} --sites {input.sites:q} "
        "--tumor {wildcards.tumor:q} --normal {params.normal:q} {params.identity} "
        "--out {output:q} 2> {log:q}"


# The gate the somatic stage takes as input: fails (message in the log and on stderr) when the
# tumor and its normal are two individuals, so that pair stops and the others go on.
rule tissue_identity:
    input:
        out("qc/identity/{tumor}.metrics.json"),
    output:
        out("qc/identity/{tumor}.json"),
    log:
        out("logs/tissue_identity/{tumor}.log"),
    priority: 5
    resources:
        mem_mb=500,
        runtime=5,
    params:
        warn="--warn-only" if TQC.get("identity_warn_only", False) else "",
    shell:
        "scce-genomics tissue-identity-gate --metrics {input:q} {params.warn} --out {output:q} "
        "2> {log:q} || (cat {log:q} >&2; exit 1)"


rule tissue_cohort_sites:
    input:
        TQC_SITES or expand(out("qc/tissue/{patient}.sites.vcf.gz"), patient=PATIENTS),
    output:
        out("qc/identity/cohort_sites.tsv"),
    log:
        out("logs/tissue_cohort_sites.log"),
    conda:
        "../envs/bcftools.yaml"
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "(for f in {input:q}; do bcftools query -f '%CHROM\\t%POS\\n' \"$f\"; done "
        "| sort -k1,1 -k2,2n -u > {output:q}) 2> {log:q}"


rule tissue_cohort_genotype:
    input:
        bams=expand(out("bam/{sample}.bam"), sample=ALL_SAMPLES),
        sites=out("qc/identity/cohort_sites.tsv"),
        ref=out("reference/genome.fa"),
    output:
        out("qc/identity/cohort.genotypes.vcf.gz"),
    log:
        out("logs/tissue_cohort_genotype.log"),
    conda:
        "../envs/bcftools.yaml"
    resources:
        mem_mb=2000,
        runtime=240,
    shell:
        "bcftools mpileup -f {input.ref:q} -a AD -d 1000 -T {input.sites:q} -Oz -o {output:q} "
        "{input.bams:q} 2> {log:q}"


rule tissue_cohort:
    input:
        genotypes=out("qc/identity/cohort.genotypes.vcf.gz"),
        samples=config["samples"],
    output:
        report(
            out("qc/identity/cohort.tsv"),
            caption="../report/qc_tissue_cohort.rst",
            category="1. Quality control",
        ),
    log:
        out("logs/tissue_cohort.log"),
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        identity=IDENTITY_ARGS,
    shell:
        "scce-genomics tissue-cohort --genotypes {input.genotypes:q} --samples {input.samples:q} "
        "{params.identity} --out {output:q} 2> {log:q}"


# A tumor is judged at its normal's homozygous sites with a depth-normalised estimate that the
# tumor's copy number cannot bias, so it runs before the CNV stage; only a tumor-only patient
# with population frequencies waits for its CNVkit calls (copy-neutral segments).
rule tissue_contamination:
    input:
        unpack(contamination_inputs),
    output:
        out("qc/contamination/{patient}.tsv"),
    log:
        out("logs/tissue_contamination/{patient}.log"),
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        samples=lambda wc: patient_samples(wc.patient),
        ref=lambda wc: genotype_reference(wc.patient),
        depth=TQC.get("min_depth", 10),
        # own private SNPs: population ALT frequency ~0; user sites without INFO/AF: 0.5
        af=0.5 if TQC_SITES else 0.0,
        err=TQC.get("error_rate", 0.0005),
        mode=contamination_mode,
    shell:
        "scce-genomics tissue-contamination --genotypes {input.genotypes:q} --sites {input.sites:q} "
        "--samples {params.samples:q} --genotype-from {params.ref:q} --min-depth {params.depth} "
        "--default-af {params.af} --error-rate {params.err} {params.mode} --out {output:q} "
        "2> {log:q}"


rule tissue_purity:
    input:
        genotypes=lambda wc: out(f"qc/tissue/{patient_of(wc.tumor)}.genotypes.vcf.gz"),
        sites=lambda wc: TQC_SITES
        or out(f"qc/tissue/{patient_of(wc.tumor)}.sites.vcf.gz"),
    output:
        out("qc/purity/{tumor}.json"),
    log:
        out("logs/tissue_purity/{tumor}.log"),
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        ref=lambda wc: genotype_reference(patient_of(wc.tumor)),
        depth=TQC.get("min_depth", 10),
        window=TQC.get("purity_window", 30),
    shell:
        "scce-genomics tissue-purity --genotypes {input.genotypes:q} --sites {input.sites:q} "
        "--tumor {wildcards.tumor:q} --genotype-from {params.ref:q} --min-depth {params.depth} "
        "--window {params.window} --out {output:q} 2> {log:q}"


rule tissue_damage:
    input:
        bam=out("bam/{sample}.bam"),
        bai=out("bam/{sample}.bam.bai"),
        ref=out("reference/genome.fa"),
        fai=out("reference/genome.fa.fai"),
    output:
        out("qc/damage/{sample}.tsv"),
    log:
        out("logs/tissue_damage/{sample}.log"),
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        reads=TQC.get("damage_max_reads", 200000),
        bq=TQC.get("damage_min_base_quality", 20),
    shell:
        "scce-genomics tissue-damage --bam {input.bam:q} --fasta {input.ref:q} "
        "--sample {wildcards.sample:q} --max-reads {params.reads} --min-base-quality {params.bq} "
        "--out {output:q} 2> {log:q}"


rule tissue_sex:
    input:
        bam=out("bam/{sample}.bam"),
        bai=out("bam/{sample}.bam.bai"),
    output:
        out("qc/sex/{sample}.json"),
    log:
        out("logs/tissue_sex/{sample}.log"),
    resources:
        mem_mb=500,
        runtime=5,
    params:
        # quoted here: an empty sex must stay an argument; {x:q} drops empty values
        sex=lambda wc: shlex.quote(SAMPLES.loc[wc.sample, "sex"] or ""),
        targets=flag("--targets", TARGETS_BED),
    shell:
        "scce-genomics tissue-sex --bam {input.bam:q} --sample {wildcards.sample:q} "
        "--sheet-sex {params.sex} {params.targets} --out {output:q} 2> {log:q}"


rule tissue_qc_table:
    input:
        samples=config["samples"],
        identity=[
            out(f"qc/identity/{t}.metrics.json") for t in TUMORS if matched_normal(t)
        ],
        cohort=out("qc/identity/cohort.tsv"),
        contamination=expand(out("qc/contamination/{patient}.tsv"), patient=PATIENTS),
        damage=expand(out("qc/damage/{sample}.tsv"), sample=ALL_SAMPLES),
        purity=expand(out("qc/purity/{tumor}.json"), tumor=TUMORS),
        sex=expand(out("qc/sex/{sample}.json"), sample=ALL_SAMPLES),
    output:
        report(
            out("qc/tissue_qc.tsv"),
            caption="../report/qc_tissue_table.rst",
            category="1. Quality control",
        ),
    log:
        out("logs/tissue_qc_table.log"),
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        thresholds=json.dumps(TQC),
    shell:
        "scce-genomics tissue-qc-table --samples {input.samples:q} --identity {input.identity:q} "
        "--contamination {input.contamination:q} --damage {input.damage:q} "
        "--purity {input.purity:q} --sex {input.sex:q} --cohort {input.cohort:q} "
        "--thresholds {params.thresholds:q} --out {output:q} 2> {log:q}"


# Reconciliation with the CNV stage's purity: a separate table, so that the tissue QC verdict
# never waits for CNV calling.
rule tissue_purity_compare:
    input:
        samples=config["samples"],
        purity=expand(out("qc/purity/{tumor}.json"), tumor=TUMORS),
        cnv=out("cnv/summary.tsv"),
    output:
        out("qc/purity/purity_comparison.tsv"),
    log:
        out("logs/tissue_purity_compare.log"),
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "scce-genomics tissue-purity-compare --samples {input.samples:q} --purity {input.purity:q} "
        "--cnv-summary {input.cnv:q} --out {output:q} 2> {log:q}"
