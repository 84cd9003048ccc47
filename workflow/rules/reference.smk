# The reference genome, indexed once per run: plain FASTA, faidx, dict and bwa index.


rule reference_prepare:
    input:
        fasta=config["reference"]["fasta"],
        gff3=config["reference"]["gff3"],
        arms=arms_table(),
    output:
        fasta=out("reference/genome.fa"),
        gff3=out("reference/genes.gff3"),
        arms=out("reference/arms.tsv"),
        build=out("reference/build.txt"),
    log:
        out("logs/reference/prepare.log"),
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        build=config["reference"]["build"],
        outdir=lambda wc, output: os.path.dirname(output.fasta),
    shell:
        "scce-genomics prepare-reference --fasta {input.fasta:q} --gff3 {input.gff3:q} "
        "--arms {input.arms:q} --build {params.build:q} --outdir {params.outdir:q} 2> {log:q}"


# The targets BED as every tool reads it: bcftools stops at the UCSC browser/track lines that
# capture kits' BEDs often begin with (only bcftools -T reads it; the rest read the config's BED).
rule reference_targets:
    input:
        TARGETS_BED or [],
    output:
        out("reference/targets.bed"),
    log:
        out("logs/reference/targets.log"),
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "scce-genomics prepare-targets --bed {input:q} --out {output:q} 2> {log:q}"


rule reference_faidx:
    input:
        out("reference/genome.fa"),
    output:
        fai=out("reference/genome.fa.fai"),
        dict=out("reference/genome.dict"),
    log:
        out("logs/reference/faidx.log"),
    conda:
        "../envs/samtools.yaml"
    resources:
        mem_mb=1000,
        runtime=30,
    shell:
        "(samtools faidx {input:q} && samtools dict {input:q} -o {output.dict:q}) 2> {log:q}"


rule reference_bwa_index:
    input:
        out("reference/genome.fa"),
    output:
        multiext(out("reference/genome.fa"), ".amb", ".ann", ".bwt", ".pac", ".sa"),
    log:
        out("logs/reference/bwa_index.log"),
    conda:
        "../envs/bwa.yaml"
    resources:
        mem_mb=8000,
        runtime=180,
    shell:
        "bwa index {input:q} 2> {log:q}"
