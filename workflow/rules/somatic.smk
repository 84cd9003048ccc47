# Somatic SNV/indel calling: bcftools mpileup candidates (tumor + matched normal), a panel of
# normals from every normal in the sheet (plus a configured one), our somatic model with named
# filters, bcftools csq annotation, MAF per tumor and for the cohort, TMB per callable megabase.
# A tumor-only sample is called after its copy-number stage: the germline test weighs the
# population allele frequency (somatic.germline_resource), purity and segment copy number.


rule somatic_chunks:
    input:
        fai=out("reference/genome.fa.fai"),
        targets=[TARGETS_BED] if TARGETS_BED else [],
    output:
        expand(out("somatic/chunks/{chunk}.bed"), chunk=SOMATIC_CHUNKS),
    log:
        out("logs/somatic/chunks.log"),
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        n=len(SOMATIC_CHUNKS),
        targets=flag("--targets", TARGETS_BED),
    shell:
        "scce-genomics somatic-chunks --fai {input.fai:q} --n {params.n} {params.targets} "
        "--out {output:q} 2> {log:q}"


# One bcftools mpileup per tumor and chunk feeds the somatic candidates and the germline SNP
# calls of the CNV stage's B-allele frequencies (cnv_het_sites joins the latter).
rule somatic_candidates_chunk:
    input:
        unpack(somatic_bams),
        fasta=out("reference/genome.fa"),
        fai=out("reference/genome.fa.fai"),
        bed=out("somatic/chunks/{chunk}.bed"),
    output:
        candidates=temp(out("somatic/candidates/{tumor}/{chunk}.bcf")),
        germline=temp(out("somatic/candidates/{tumor}/{chunk}.germline.bcf")),
    log:
        out("logs/somatic/candidates/{tumor}.{chunk}.log"),
    wildcard_constraints:
        tumor=alternatives(TUMORS),
        chunk=r"\d+",
    conda:
        "../envs/bcftools.yaml"
    resources:
        mem_mb=2000,
        runtime=240,
    params:
        bams=lambda wc, input: " ".join(
            shlex.quote(input[k]) for k in ("tumor", "normal") if k in input.keys()
        ),
        mpileup=shlex.quote(SOMATIC["mpileup_extra"]),
        min_alt=SOMATIC["candidate_min_alt"],
    shell:
        "scce-genomics somatic-pileup --bams {params.bams} --fasta {input.fasta:q} "
        "--regions {input.bed:q} --mpileup-extra={params.mpileup} --min-alt {params.min_alt} "
        "--out-candidates {output.candidates:q} --out-germline {output.germline:q} 2> {log:q}"


rule somatic_candidates:
    input:
        expand(out("somatic/candidates/{{tumor}}/{chunk}.bcf"), chunk=SOMATIC_CHUNKS),
    output:
        bcf=out("somatic/candidates/{tumor}.bcf"),
        csi=out("somatic/candidates/{tumor}.bcf.csi"),
    log:
        out("logs/somatic/candidates/{tumor}.log"),
    wildcard_constraints:
        tumor=alternatives(TUMORS),
    conda:
        "../envs/bcftools.yaml"
    resources:
        mem_mb=1000,
        runtime=30,
    shell:
        "(bcftools concat -Ob -o {output.bcf:q} {input:q} && bcftools index -f {output.bcf:q}) "
        "2> {log:q}"


rule somatic_pon:
    input:
        bams=expand(out("bam/{sample}.bam"), sample=NORMALS),
        fasta=out("reference/genome.fa"),
        fai=out("reference/genome.fa.fai"),
    output:
        vcf=out("somatic/pon.vcf.gz"),
        tbi=out("somatic/pon.vcf.gz.tbi"),
    log:
        out("logs/somatic/pon.log"),
    # every tumor's somatic model waits for the panel: start it as soon as the normals are in
    priority: 10
    conda:
        "../envs/bcftools.yaml"
    threads: shared_threads(2)
    resources:
        mem_mb=2000,
        runtime=240,
    params:
        mpileup=SOMATIC["mpileup_extra"],
        min_normals=min(SOMATIC["pon_min_normals"], max(1, len(NORMALS))),
    shell:
        "scce-genomics pon build --bams {input.bams:q} --fasta {input.fasta:q} "
        "--min-normals {params.min_normals} --mpileup-extra '{params.mpileup}' "
        "--threads {threads} --out {output.vcf:q} 2> {log:q}"


rule somatic_call:
    input:
        unpack(somatic_call_inputs),
    output:
        vcf=temp(out("somatic/raw/{tumor}.vcf.gz")),
        tbi=temp(out("somatic/raw/{tumor}.vcf.gz.tbi")),
    log:
        out("logs/somatic/call/{tumor}.log"),
    conda:
        "../envs/bcftools.yaml"
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        # quoted here: an empty value (tumor-only) must stay an argument; {x:q} drops it
        normal=lambda wc: shlex.quote(matched_normal(wc.tumor)),
        pon=lambda wc, input: (
            " ".join(f"--pon {shlex.quote(p)}" for p in input.pon) if input.pon else ""
        ),
        purity=lambda wc: SAMPLES.loc[wc.tumor, "purity"],
        tumor_only=tumor_only_args,
        thresholds=json.dumps(SOMATIC["thresholds"]),
        mpileup=shlex.quote(SOMATIC["mpileup_extra"]),
    shell:
        "scce-genomics somatic-call --candidates {input.bcf:q} --tumor {wildcards.tumor:q} "
        "--tumor-bam {input.tumor:q} --normal {params.normal} --fasta {input.fasta:q} "
        "{params.pon} --purity {params.purity} {params.tumor_only} "
        "--params {params.thresholds:q} "
        "--mpileup-extra {params.mpileup} "
        "--out {output.vcf:q} 2> {log:q}"


rule somatic_annotate:
    input:
        vcf=out("somatic/raw/{tumor}.vcf.gz"),
        fasta=out("reference/genome.fa"),
        gff3=out("reference/genes.gff3"),
    output:
        vcf=report(
            out("somatic/{tumor}.vcf.gz"),
            caption="../report/somatic_vcf.rst",
            category="2. Somatic mutations",
        ),
        tbi=out("somatic/{tumor}.vcf.gz.tbi"),
    log:
        out("logs/somatic/annotate/{tumor}.log"),
    conda:
        "../envs/bcftools.yaml"
    resources:
        mem_mb=2000,
        runtime=60,
    shell:
        "(bcftools csq -f {input.fasta:q} -g {input.gff3:q} --local-csq -p a -Oz "
        "-o {output.vcf:q} {input.vcf:q} && tabix -f -p vcf {output.vcf:q}) 2> {log:q}"


rule somatic_maf:
    input:
        vcf=out("somatic/{tumor}.vcf.gz"),
        build=out("reference/build.txt"),
    output:
        out("somatic/{tumor}.maf"),
    log:
        out("logs/somatic/maf/{tumor}.log"),
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        # quoted here: an empty value (tumor-only) must stay an argument; {x:q} drops it
        normal=lambda wc: shlex.quote(matched_normal(wc.tumor)),
        build=config["reference"]["build"],
    shell:
        "scce-genomics somatic-maf --vcf {input.vcf:q} --tumor {wildcards.tumor:q} "
        "--normal {params.normal} --build {params.build} --out {output:q} 2> {log:q}"


rule callable_regions:
    input:
        bam=out("bam/{sample}.bam"),
        bai=out("bam/{sample}.bam.bai"),
    output:
        out("somatic/callable/{sample}.quantized.bed.gz"),
    log:
        out("logs/somatic/callable/{sample}.log"),
    conda:
        "../envs/mosdepth.yaml"
    threads: shared_threads(2)
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        prefix=lambda wc: out(f"somatic/callable/{wc.sample}"),
        min_depth=lambda wc: (
            SOMATIC["thresholds"].get("min_depth", 10)
            if SAMPLES.loc[wc.sample, "type"] == "tumor"
            else SOMATIC["thresholds"].get("min_normal_depth", 8)
        ),
    shell:
        "MOSDEPTH_Q0=NO_COVERAGE MOSDEPTH_Q1=LOW MOSDEPTH_Q2=CALLABLE "
        "mosdepth -t {threads} -n --fast-mode --quantize 0:1:{params.min_depth}: "
        "{params.prefix:q} {input.bam:q} 2> {log:q}"


rule somatic_cohort:
    input:
        mafs=expand(out("somatic/{tumor}.maf"), tumor=TUMORS),
        callable=expand(
            out("somatic/callable/{sample}.quantized.bed.gz"), sample=ALL_SAMPLES
        ),
    output:
        maf=report(
            out("somatic/cohort.maf"),
            caption="../report/somatic_maf.rst",
            category="2. Somatic mutations",
        ),
        tmb=report(
            out("somatic/tmb.tsv"),
            caption="../report/somatic_tmb.rst",
            category="2. Somatic mutations",
        ),
    log:
        out("logs/somatic/cohort.log"),
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        tumors=TUMORS,
        callable=callable_args(),
        targets=flag("--targets", TARGETS_BED),
        min_mb=config.get("biomarkers", {}).get("tmb", {}).get("min_territory_mb", 1.0),
    shell:
        "scce-genomics somatic-cohort --maf {input.mafs:q} --tumors {params.tumors:q} "
        "--callable {params.callable} {params.targets} --min-territory-mb {params.min_mb} "
        "--out-maf {output.maf:q} --out-tmb {output.tmb:q} 2> {log:q}"
