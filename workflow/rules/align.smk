# Alignment: check inputs, bwa mem per unit (lane), merge units, mark duplicates, index.


def unit_inputs(wildcards):
    unit = UNITS.loc[(wildcards.sample, wildcards.unit)]
    if unit["bam"]:
        return {"bam": unit["bam"]}
    files = {"fq1": unit["fq1"]}
    if unit["fq2"]:
        files["fq2"] = unit["fq2"]
    return files


def read_group(wildcards):
    return (
        f"@RG\\tID:{wildcards.sample}.{wildcards.unit}\\tSM:{wildcards.sample}"
        f"\\tLB:{wildcards.sample}\\tPL:ILLUMINA\\tPU:{wildcards.unit}"
    )


rule check_reads:
    input:
        unpack(unit_inputs),
        fai=out("reference/genome.fa.fai"),
    output:
        out("qc/units/{sample}.{unit}.reads.json"),
    log:
        out("logs/check_reads/{sample}.{unit}.log"),
    resources:
        mem_mb=500,
        runtime=60,
    params:
        files=lambda wc, input: " ".join(
            f"--{key} {input[key]}"
            for key in ("fq1", "fq2", "bam")
            if key in input.keys()
        ),
        reference=lambda wc: (
            ""
            if config["alignment"]["realign_bam"]
            else f"--reference {out('reference/genome.fa')}"
        ),
    shell:
        "scce-genomics check-reads --sample {wildcards.sample} --unit {wildcards.unit} "
        "{params.files} {params.reference} --out {output:q} 2> {log:q}"


rule bwa_mem:
    input:
        unpack(unit_inputs),
        checked=out("qc/units/{sample}.{unit}.reads.json"),
        index=multiext(
            out("reference/genome.fa"), ".amb", ".ann", ".bwt", ".pac", ".sa"
        ),
    output:
        temp(out("bam/units/{sample}.{unit}.bam")),
    log:
        out("logs/bwa_mem/{sample}.{unit}.log"),
    conda:
        "../envs/bwa.yaml"
    threads: 4
    resources:
        mem_mb=8000,
        runtime=240,
    params:
        ref=out("reference/genome.fa"),
        rg=read_group,
        extra=config["alignment"].get("bwa_extra", ""),
        reads=lambda wc, input: (
            "-p -"
            if "bam" in input.keys()
            else " ".join(
                shlex.quote(input[key])
                for key in ("fq1", "fq2")
                if key in input.keys()
            )
        ),
        stream=lambda wc, input: (
            f"samtools collate -Ou -o - {shlex.quote(input.bam)} | samtools fastq -N -0 /dev/null "
            "-s /dev/null - | "
            if "bam" in input.keys() and config["alignment"]["realign_bam"]
            else ""
        ),
        tmp=lambda wc: out(f"bam/units/{wc.sample}.{wc.unit}.sorttmp"),
    shell:
        "({params.stream}bwa mem -t {threads} {params.extra} -R '{params.rg}' {params.ref} "
        "{params.reads} | samtools fixmate -m -u - - "
        "| samtools sort -@ {threads} -m 600M -T {params.tmp} -o {output:q} -) 2> {log:q}"


rule merge_markdup:
    input:
        lambda wc: expand(
            out("bam/units/{{sample}}.{unit}.bam"), unit=units_of(wc.sample)["unit"]
        ),
    output:
        bam=out("bam/{sample}.bam"),
        bai=out("bam/{sample}.bam.bai"),
        stats=out("qc/{sample}.markdup.txt"),
    log:
        out("logs/merge_markdup/{sample}.log"),
    conda:
        "../envs/samtools.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=120,
    shell:
        "(samtools merge -u -@ {threads} -o - {input:q} | "
        + (
            "samtools markdup -@ {threads} -f {output.stats:q} - {output.bam:q}"
            if config["alignment"]["mark_duplicates"]
            else "samtools view -b -@ {threads} -o {output.bam:q} - && echo skipped > {output.stats:q}"
        )
        + " && samtools index {output.bam:q}) 2> {log:q}"
