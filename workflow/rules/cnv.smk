# Copy number with CNVkit: bins (WGS by default; hybrid/amplicon from the targets BED), read
# depth per bin, a pooled reference from every normal in the sheet (flat without normals; its X
# ploidy from cnv.reference_sex), CBS segmentation of depth and B-allele frequencies, a
# purity/ploidy fit (sheet purity first), `call` with the sample's sex (sheet, else the tissue-QC
# sex check), allele-specific segments refitted from heterozygous SNPs (the matched normal's, or
# the tumor's own when tumor-only), then cohort tables (arms, genes, CN48, sex chromosomes, HRD
# scar score), COSMIC copy-number signatures and plots.

import re

CNV = config["cnv"]
CNV_METHOD = "hybrid" if TARGETS_BED and CNV["method"] == "wgs" else CNV["method"]
if CNV_METHOD != "wgs" and not TARGETS_BED:
    raise WorkflowError(
        f"cnv.method {CNV_METHOD} needs a targets BED (config key targets)"
    )
CNV_LEVELS = ("amp", "gain", "loss", "deep_del")
CNV_REFERENCE_SEX = CNV.get("reference_sex", "female")
if re.search(
    r"(^|\s)(-y|--male-reference|--haploid-x-reference)(\s|$)", CNV["reference_extra"]
):
    raise WorkflowError(
        "cnv.reference_extra sets a male reference: use cnv.reference_sex: male instead, so "
        "that cnvkit.py call and the summaries know it"
    )
CNV_ALLELES = CNV.get("alleles", {})
CNV_HRD = CNV.get("hrd", {})
CNV_SIGNATURES = CNV.get("signatures", {})
GERMLINE_RESOURCE = config.get("somatic", {}).get("germline_resource", "")
GERMLINE_AF_FIELD = config.get("somatic", {}).get("germline_resource_af_field", "AF")


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


rule cnv_access:
    input:
        fasta=out("reference/genome.fa"),
        fai=out("reference/genome.fa.fai"),
    output:
        out("cnv/bins/access.bed"),
    log:
        out("logs/cnv/access.log"),
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        gap=CNV["access_min_gap"],
    shell:
        "MPLBACKEND=Agg cnvkit.py access {input.fasta:q} -s {params.gap} -o {output:q} 2> {log:q}"


rule cnv_bins:
    input:
        access=out("cnv/bins/access.bed"),
        targets=TARGETS_BED or [],
    output:
        target=out("cnv/bins/target.bed"),
        antitarget=out("cnv/bins/antitarget.bed"),
    log:
        out("logs/cnv/bins.log"),
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        method=CNV_METHOD,
        bin_size=CNV["bin_size"],
        target_size=CNV["target_bin_size"],
        antitarget_size=CNV["antitarget_bin_size"],
    shell:
        "(if [ {params.method} = wgs ]; then "
        "cnvkit.py target {input.access:q} --split --avg-size {params.bin_size} -o {output.target:q}"
        " && : > {output.antitarget:q}; "
        "else cnvkit.py target {input.targets:q} --split --avg-size {params.target_size}"
        " -o {output.target:q}; "
        "if [ {params.method} = hybrid ]; then cnvkit.py antitarget {input.targets:q}"
        " -g {input.access:q} --avg-size {params.antitarget_size} -o {output.antitarget:q};"
        " else : > {output.antitarget:q}; fi; fi) 2> {log:q}"


rule cnv_coverage:
    input:
        bam=out("bam/{sample}.bam"),
        bai=out("bam/{sample}.bam.bai"),
        bed=out("cnv/bins/{kind}.bed"),
    output:
        out("cnv/coverage/{sample}.{kind}coverage.cnn"),
    log:
        out("logs/cnv/coverage/{sample}.{kind}.log"),
    wildcard_constraints:
        kind="target|antitarget",
    threads: 2
    resources:
        mem_mb=2000,
        runtime=120,
    params:
        min_mapq=CNV["min_mapq"],
    shell:
        "MPLBACKEND=Agg cnvkit.py coverage {input.bam:q} {input.bed:q} -q {params.min_mapq}"
        " -p {threads} -o {output:q} 2> {log:q}"


rule cnv_reference:
    input:
        cnn=expand(
            out("cnv/coverage/{sample}.{kind}coverage.cnn"),
            sample=NORMALS,
            kind=("target", "antitarget"),
        ),
        target=out("cnv/bins/target.bed"),
        antitarget=out("cnv/bins/antitarget.bed"),
        fasta=out("reference/genome.fa"),
    output:
        out("cnv/reference.cnn"),
    log:
        out("logs/cnv/reference.log"),
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        # pooled from the normals' coverage; a flat reference (-t/-a) when there are none
        sources=lambda wc, input: (
            " ".join(map(shlex.quote, input.cnn))
            if NORMALS
            else f"-t {shlex.quote(input.target)} -a {shlex.quote(input.antitarget)}"
        ),
        extra=CNV["reference_extra"],
        sex=cnv_reference_sex_args(),
    shell:
        "MPLBACKEND=Agg cnvkit.py reference {params.sources} -f {input.fasta:q} {params.sex}"
        " {params.extra} -o {output:q} 2> {log:q}"


rule cnv_fix:
    input:
        target=out("cnv/coverage/{sample}.targetcoverage.cnn"),
        antitarget=out("cnv/coverage/{sample}.antitargetcoverage.cnn"),
        reference=out("cnv/reference.cnn"),
    output:
        out("cnv/{sample}.cnr"),
    log:
        out("logs/cnv/fix/{sample}.log"),
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        edge="" if CNV_METHOD == "hybrid" else "--no-edge",
    shell:
        "MPLBACKEND=Agg cnvkit.py fix {input.target:q} {input.antitarget:q} {input.reference:q}"
        " {params.edge} -i {wildcards.sample} -o {output:q} 2> {log:q}"


def cnv_baf_args(wildcards, input):
    """-v/-i/-n options that give CNVkit the heterozygous SNPs (normal's, or the tumor's own)."""
    normal = matched_normal(wildcards.sample)
    args = f"--vcf {shlex.quote(input.vcf)} -i {shlex.quote(wildcards.sample)}"
    return args + (f" -n {shlex.quote(normal)}" if normal else "")


rule cnv_segment:
    input:
        out("cnv/{sample}.cnr"),
    output:
        out("cnv/{sample}.cns"),
    log:
        out("logs/cnv/segment/{sample}.log"),
    conda:
        "../envs/r-dnacopy.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        method=CNV["segment_method"],
        extra=CNV["segment_extra"],
    shell:
        # depth only: CNVkit 0.9.14's B-allele re-segmentation (--vcf) returns overlapping
        # whole-chromosome segments; cnv-alleles splits segments by B-allele frequency instead
        "MPLBACKEND=Agg cnvkit.py segment {input:q} -m {params.method} {params.extra}"
        " -p {threads} -o {output:q} 2> {log:q}"


def cnv_het_bams(wildcards):
    normal = matched_normal(wildcards.sample)
    return [out(f"bam/{normal}.bam")] * bool(normal) + [
        out(f"bam/{wildcards.sample}.bam")
    ]


rule cnv_het_sites:
    input:
        bams=cnv_het_bams,
        fasta=out("reference/genome.fa"),
        fai=out("reference/genome.fa.fai"),
    output:
        out("cnv/baf/{sample}.hets.vcf.gz"),
    log:
        out("logs/cnv/baf/{sample}.log"),
    conda:
        "../envs/bcftools.yaml"
    resources:
        mem_mb=2000,
        runtime=240,
    params:
        mpileup=CNV["het_mpileup_extra"],
        # paired: germline SNPs called jointly, kept where the matched normal is heterozygous;
        # tumor-only: every SNP site of the tumor (cnv-alleles keeps allele fractions 0.05-0.95)
        keep=lambda wc: "-i 'GT[0]=\"het\"'" if matched_normal(wc.sample) else "",
    shell:
        "(bcftools mpileup -f {input.fasta:q} -a FORMAT/AD,FORMAT/DP {params.mpileup} -Ou"
        " {input.bams:q}"
        " | bcftools call -mv -Ou"
        " | bcftools view -v snps -m2 -M2 {params.keep} -Oz -o {output:q}) 2> {log:q}"


rule cnv_sex:
    input:
        out("qc/sex/{sample}.json"),
    output:
        json=out("cnv/sex/{sample}.json"),
        args=out("cnv/sex/{sample}.call_args.txt"),
    log:
        out("logs/cnv/sex/{sample}.log"),
    resources:
        mem_mb=500,
        runtime=5,
    params:
        sex=lambda wc: sheet_sex(wc.sample),
        reference=CNV_REFERENCE_SEX,
    shell:
        "scce-genomics cnv-sex --sample {wildcards.sample} --sheet-sex '{params.sex}'"
        " --sex-check {input:q} --reference-sex {params.reference}"
        " --out {output.json:q} --out-args {output.args:q} 2> {log:q}"


rule cnv_purity:
    input:
        out("cnv/{sample}.cns"),
    output:
        json=out("cnv/purity/{sample}.json"),
        args=out("cnv/purity/{sample}.call_args.txt"),
    log:
        out("logs/cnv/purity/{sample}.log"),
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        sheet=lambda wc: SAMPLES.loc[wc.sample, "purity"],
        fit=CNV["purity_fit"],
    shell:
        "scce-genomics cnv-purity --cns {input:q} --sample {wildcards.sample}"
        " --sheet-purity '{params.sheet}' --sigma {params.fit[sigma]}"
        " --penalty {params.fit[penalty]} --max-cn {params.fit[max_cn]}"
        " --min-altered-fraction {params.fit[min_altered_fraction]}"
        " --out {output.json:q} --out-args {output.args:q} 2> {log:q}"


rule cnv_call:
    input:
        cns=out("cnv/{sample}.cns"),
        args=out("cnv/purity/{sample}.call_args.txt"),
        sex=out("cnv/sex/{sample}.call_args.txt"),
        vcf=out("cnv/baf/{sample}.hets.vcf.gz"),
    output:
        out("cnv/{sample}.call.cns"),
    log:
        out("logs/cnv/call/{sample}.log"),
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        vcf=cnv_baf_args,
        method=CNV["call_method"],
        depth=CNV["min_variant_depth"],
    shell:
        # the args files hold only numbers and the words female/male (written by scce-genomics)
        "MPLBACKEND=Agg cnvkit.py call {input.cns:q} $(cat {input.args:q}) $(cat {input.sex:q})"
        " -m {params.method} {params.vcf} --min-variant-depth {params.depth}"
        " -o {output:q} 2> {log:q}"


rule cnv_alleles:
    input:
        cns=out("cnv/{sample}.call.cns"),
        vcf=out("cnv/baf/{sample}.hets.vcf.gz"),
        purity=out("cnv/purity/{sample}.json"),
        resource=lambda wc: [] if matched_normal(wc.sample) else GERMLINE_RESOURCE or [],
    output:
        out("cnv/{sample}.alleles.tsv"),
    log:
        out("logs/cnv/alleles/{sample}.log"),
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        normal=lambda wc: shlex.quote(matched_normal(wc.sample)),
        resource=lambda wc, input: (
            f"--germline-resource {shlex.quote(input.resource)}"
            f" --af-field {shlex.quote(GERMLINE_AF_FIELD)}"
            if input.resource
            else ""
        ),
        min_het=CNV_ALLELES.get("min_het_snps", 10),
        min_depth=CNV["min_variant_depth"],
        min_af=CNV_ALLELES.get("min_population_af", 0.01),
    shell:
        "scce-genomics cnv-alleles --cns {input.cns:q} --vcf {input.vcf:q}"
        " --tumor {wildcards.sample} --normal {params.normal} --purity {input.purity:q}"
        " --min-het-snps {params.min_het} --min-depth {params.min_depth}"
        " {params.resource} --min-population-af {params.min_af} --out {output:q} 2> {log:q}"


rule cnv_scatter:
    input:
        cnr=out("cnv/{sample}.cnr"),
        cns=out("cnv/{sample}.call.cns"),
    output:
        report(
            out("cnv/plots/{sample}.scatter.png"),
            caption="../report/cnv_scatter.rst",
            category="Copy number",
        ),
    log:
        out("logs/cnv/plots/{sample}.scatter.log"),
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "MPLBACKEND=Agg cnvkit.py scatter {input.cnr:q} -s {input.cns:q}"
        " --title {wildcards.sample} -o {output:q} 2> {log:q}"


rule cnv_diagram:
    input:
        cnr=out("cnv/{sample}.cnr"),
        cns=out("cnv/{sample}.call.cns"),
    output:
        out("cnv/plots/{sample}.diagram.pdf"),
    log:
        out("logs/cnv/plots/{sample}.diagram.log"),
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "MPLBACKEND=Agg cnvkit.py diagram {input.cnr:q} -s {input.cns:q} -o {output:q} 2> {log:q}"


rule cnv_summarise:
    input:
        cns=expand(out("cnv/{sample}.call.cns"), sample=TUMORS),
        cnr=expand(out("cnv/{sample}.cnr"), sample=TUMORS),
        purity=expand(out("cnv/purity/{sample}.json"), sample=TUMORS),
        sex=expand(out("cnv/sex/{sample}.json"), sample=TUMORS),
        alleles=expand(out("cnv/{sample}.alleles.tsv"), sample=TUMORS),
        arms=out("reference/arms.tsv"),
        gff3=out("reference/genes.gff3"),
    output:
        arms=report(
            out("cnv/arm_calls.tsv"),
            caption="../report/cnv_arms.rst",
            category="Copy number",
        ),
        genes=out("cnv/gene_calls.tsv"),
        seg=out("cnv/cohort.seg"),
        cn48=out("cnv/cn48.tsv"),
        summary=report(
            out("cnv/summary.tsv"),
            caption="../report/cnv_summary.rst",
            category="Copy number",
        ),
        sex=out("cnv/sex_chromosomes.tsv"),
        hrd=out("cnv/hrd.tsv"),
    log:
        out("logs/cnv/summarise.log"),
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        drivers=",".join(CNV["drivers"]),
        arms=CNV["arm_calls"],
        genes=CNV["gene_calls"],
        gene_log2=",".join(str(CNV["gene_calls"]["log2"][k]) for k in CNV_LEVELS),
        gene_cn=",".join(str(CNV["gene_calls"]["cn"][k]) for k in CNV_LEVELS),
        fga=CNV["fga_log2"],
        min_genome=CNV["min_genome_fraction"],
        hrd_scale=CNV_HRD.get("length_scale", 1.0),
        hrd_fraction=CNV_HRD.get("min_allele_fraction", 0.5),
    shell:
        "scce-genomics cnv-summarise --cns {input.cns:q} --cnr {input.cnr:q}"
        " --purity {input.purity:q} --sex {input.sex:q} --alleles {input.alleles:q}"
        " --arms {input.arms:q} --genes {input.gff3:q}"
        " --hrd-length-scale {params.hrd_scale}"
        " --hrd-min-allele-fraction {params.hrd_fraction}"
        " --drivers {params.drivers} --arm-by {params.arms[by]}"
        " --arm-log2 {params.arms[log2]} --arm-cn-delta {params.arms[cn_delta]}"
        " --min-arm-covered {params.arms[min_covered_fraction]}"
        " --min-arm-event {params.arms[min_event_fraction]}"
        " --gene-by {params.genes[by]} --gene-log2={params.gene_log2}"
        " --gene-cn={params.gene_cn}"
        " --gene-max-bin-distance {params.genes[max_bin_distance]}"
        " --fga-log2 {params.fga} --min-genome-fraction {params.min_genome}"
        " --out-arms {output.arms:q} --out-genes {output.genes:q} --out-seg {output.seg:q}"
        " --out-cn48 {output.cn48:q} --out-summary {output.summary:q}"
        " --out-sex {output.sex:q} --out-hrd {output.hrd:q} 2> {log:q}"


rule cnv_signatures:
    input:
        out("cnv/cn48.tsv"),
    output:
        out("cnv/cn_signatures.tsv"),
    log:
        out("logs/cnv/signatures.log"),
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        version=CNV_SIGNATURES.get("cosmic_version", "3.4"),
        bootstrap=CNV_SIGNATURES.get("bootstrap", 100),
        min_segments=CNV_SIGNATURES.get("min_segments", 20),
    shell:
        "scce-genomics cnv-signatures --cn48 {input:q} --cosmic-version {params.version}"
        " --bootstrap {params.bootstrap} --min-segments {params.min_segments}"
        " --out {output:q} 2> {log:q}"
