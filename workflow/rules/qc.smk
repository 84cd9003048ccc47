# Alignment QC: samtools stats, mosdepth coverage, a tidy verdict table and MultiQC.


rule samtools_stats:
    input:
        bam=out("bam/{sample}.bam"),
        ref=out("reference/genome.fa"),
    output:
        out("qc/{sample}.stats.txt"),
    log:
        out("logs/samtools_stats/{sample}.log"),
    conda:
        "../envs/samtools.yaml"
    resources:
        mem_mb=1000,
        runtime=60,
    shell:
        "samtools stats --reference {input.ref:q} {input.bam:q} > {output:q} 2> {log:q}"


rule mosdepth:
    input:
        bam=out("bam/{sample}.bam"),
        bai=out("bam/{sample}.bam.bai"),
    output:
        summary=out("qc/mosdepth/{sample}.mosdepth.summary.txt"),
        dist=out("qc/mosdepth/{sample}.mosdepth.global.dist.txt"),
    log:
        out("logs/mosdepth/{sample}.log"),
    conda:
        "../envs/mosdepth.yaml"
    threads: shared_threads(2)
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        prefix=lambda wc: out(f"qc/mosdepth/{wc.sample}"),
        by=flag("--by", TARGETS_BED or 10000),
    shell:
        "mosdepth -t {threads} -n --fast-mode {params.by} {params.prefix:q} {input.bam:q} 2> {log:q}"


rule qc_table:
    input:
        stats=expand(out("qc/{sample}.stats.txt"), sample=ALL_SAMPLES),
        mosdepth=expand(
            out("qc/mosdepth/{sample}.mosdepth.summary.txt"), sample=ALL_SAMPLES
        ),
        samples=config["samples"],
    output:
        report(
            out("qc/qc_table.tsv"),
            caption="../report/qc_table.rst",
            category="1. Quality control",
        ),
    log:
        out("logs/qc_table.log"),
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        names=ALL_SAMPLES,
        thresholds=json.dumps(config["qc"]),
        targeted="--targeted" if TARGETS_BED else "",
    shell:
        "scce-genomics qc-table --samples {input.samples:q} --stats {input.stats:q} "
        "--mosdepth {input.mosdepth:q} --names {params.names:q} "
        "--thresholds {params.thresholds:q} {params.targeted} --out {output:q} 2> {log:q}"


rule multiqc:
    input:
        expand(out("qc/{sample}.stats.txt"), sample=ALL_SAMPLES),
        expand(out("qc/mosdepth/{sample}.mosdepth.global.dist.txt"), sample=ALL_SAMPLES),
        expand(out("qc/{sample}.markdup.txt"), sample=ALL_SAMPLES),
    output:
        out("qc/multiqc/multiqc_report.html"),
    log:
        out("logs/multiqc.log"),
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        outdir=lambda wc, output: os.path.dirname(output[0]),
    shell:
        "multiqc --force --no-data-dir -o {params.outdir:q} -n multiqc_report.html {input:q} "
        "> {log:q} 2>&1"
