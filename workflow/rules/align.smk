# Alignment: check inputs, bwa mem per unit (lane), merge units, mark duplicates, index.
# BAM/CRAM units are realigned (alignment.realign_bam: true) keeping every read: pairs as
# pairs, singletons, orphan mates and unpaired reads as single-end reads; or used as given
# (false): mates fixed, read groups replaced by the unit's, sorted.

REFERENCE = out("reference/genome.fa")


rule check_reads:
    input:
        unpack(unit_inputs),
        ref=REFERENCE,
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
            flag(f"--{key}", input[key])
            for key in ("fq1", "fq2", "bam")
            if key in input.keys()
        ),
        match="" if REALIGN_BAM else "--match-reference",
    shell:
        "scce-genomics check-reads --sample {wildcards.sample:q} --unit {wildcards.unit:q} "
        "{params.files} --reference {input.ref:q} {params.match} --out {output:q} 2> {log:q}"


# BAM/CRAM to FASTQ for realignment: collate groups mates; pairs go to R1/R2, singletons and
# orphan mates (-s) and reads that are neither READ1 nor READ2 (-0) to the single-end file.
rule bam_to_fastq:
    input:
        bam=lambda wc: unit_row(wc)["bam"],
        checked=out("qc/units/{sample}.{unit}.reads.json"),
        ref=REFERENCE,
        fai=out("reference/genome.fa.fai"),
    output:
        r1=temp(out("bam/units/{sample}.{unit}.R1.fastq.gz")),
        r2=temp(out("bam/units/{sample}.{unit}.R2.fastq.gz")),
        single=temp(out("bam/units/{sample}.{unit}.single.fastq.gz")),
    log:
        out("logs/bam_to_fastq/{sample}.{unit}.log"),
    conda:
        "../envs/samtools.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=240,
    params:
        tmp=lambda wc: out(f"bam/units/{wc.sample}.{wc.unit}.tmp"),
    shell:
        "(tmp=$(mktemp -d {params.tmp:q}.XXXXXX) && trap 'rm -rf \"$tmp\"' EXIT "
        "&& samtools collate -O -u -@ {threads} --reference {input.ref:q} {input.bam:q} "
        '"$tmp/collate" | samtools fastq -1 {output.r1:q} -2 {output.r2:q} '
        '-s {output.single:q} -0 "$tmp/other.fastq.gz" - '
        '&& cat "$tmp/other.fastq.gz" >> {output.single:q}) 2> {log:q}'


rule bwa_mem:
    input:
        unpack(bwa_inputs),
        checked=out("qc/units/{sample}.{unit}.reads.json"),
        ref=REFERENCE,
        index=multiext(REFERENCE, ".amb", ".ann", ".bwt", ".pac", ".sa"),
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
        rg=read_group,
        extra=config["alignment"].get("bwa_extra", ""),
        reads=lambda wc, input: " ".join(
            shlex.quote(input[key]) for key in ("fq1", "fq2") if key in input.keys()
        ),
        # single-end reads of a realigned BAM; /dev/null (empty: skipped) for FASTQ units
        single=lambda wc, input: (
            input.single if "single" in input.keys() else os.devnull
        ),
        tmp=lambda wc: out(f"bam/units/{wc.sample}.{wc.unit}.tmp"),
    shell:
        "(tmp=$(mktemp -d {params.tmp:q}.XXXXXX) && trap 'rm -rf \"$tmp\"' EXIT "
        "&& {{ bwa mem -t {threads} {params.extra} -R {params.rg:q} {input.ref:q} {params.reads}; "
        "if [ -s {params.single:q} ]; then bwa mem -t {threads} {params.extra} "
        "-R {params.rg:q} {input.ref:q} {params.single:q} | samtools view -; fi; }} "
        "| samtools fixmate -m -u - - "
        '| samtools sort -@ {threads} -m 600M -T "$tmp/sort" -o {output:q} -) 2> {log:q}'


# A BAM/CRAM used as given: its own read groups give way to the unit's (so every tool names the
# sample as the sheet does), mates get the tags markdup needs, then coordinate order.
rule bam_as_given:
    input:
        bam=lambda wc: unit_row(wc)["bam"],
        checked=out("qc/units/{sample}.{unit}.reads.json"),
        ref=REFERENCE,
        fai=out("reference/genome.fa.fai"),
    output:
        temp(out("bam/given/{sample}.{unit}.bam")),
    log:
        out("logs/bam_as_given/{sample}.{unit}.log"),
    conda:
        "../envs/samtools.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=240,
    params:
        rg=read_group,
        tmp=lambda wc: out(f"bam/given/{wc.sample}.{wc.unit}.tmp"),
    shell:
        "(tmp=$(mktemp -d {params.tmp:q}.XXXXXX) && trap 'rm -rf \"$tmp\"' EXIT "
        "&& samtools view -u --reference {input.ref:q} {input.bam:q} "
        "| samtools reheader -c 'sed /^@RG/d' - "
        '| samtools collate -O -u - "$tmp/collate" '
        "| samtools fixmate -m -u - - "
        "| samtools addreplacerg -u -m overwrite_all -r {params.rg:q} - "
        '| samtools sort -@ {threads} -m 600M -T "$tmp/sort" -o {output:q} -) 2> {log:q}'


rule merge_markdup:
    input:
        unit_bams,
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
            "samtools markdup -c -@ {threads} -f {output.stats:q} - {output.bam:q}"
            if config["alignment"]["mark_duplicates"]
            else "samtools view -b -@ {threads} -o {output.bam:q} - && echo skipped > {output.stats:q}"
        )
        + " && samtools index {output.bam:q}) 2> {log:q}"
