# Copy number with CNVkit: bins (WGS by default; hybrid/amplicon from the targets BED), read
# depth per bin, a pooled reference from every normal in the sheet (flat without normals; its X
# ploidy from cnv.reference_sex), CBS segmentation of depth, a purity/ploidy fit (sheet purity
# first), `call` with the sample's sex (sheet, else the tissue-QC sex check), allele-specific
# segments refitted from heterozygous SNPs (the matched normal's, or the tumor's own when
# tumor-only), plots, then cohort tables (arms, genes, CN48, sex chromosomes, HRD scar score) and
# COSMIC copy-number signatures.
# CNVkit's steps run through its Python API in a few processes (`scce-genomics cnv-bins` once,
# `cnv-coverage` per sample, `cnv-tumor` per tumor), so its imports are paid once per job, not
# once per step. A tumor's coverage, the stage's longest step, needs only its BAM: it runs while
# the somatic stage piles up the B-allele SNPs that `cnv-tumor` waits for.

import re

CNV_METHOD = "hybrid" if TARGETS_BED and CNV["method"] == "wgs" else CNV["method"]
if CNV_METHOD != "wgs" and not TARGETS_BED:
    raise WorkflowError(
        f"cnv.method {CNV_METHOD} needs a targets BED (config key targets)"
    )
# CNVkit processes of one sample's coverage and segmentation: cnv.threads at most, no more
# than its bins fill (a tiny genome gets one, so it does not hold a second core), and no more
# than half the cores of a local run
CNV_PROCESSES = cnvkit_processes(
    shared_threads(CNV.get("threads", 4)),
    cnv_bin_count(
        CNV_METHOD,
        GENOME_BP,
        TARGET_BP,
        CNV["bin_size"],
        CNV["target_bin_size"],
        CNV["antitarget_bin_size"],
    ),
)
CNV_LEVELS = ("amp", "gain", "loss", "deep_del")
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


rule cnv_bins:
    input:
        fasta=out("reference/genome.fa"),
        fai=out("reference/genome.fa.fai"),
        targets=TARGETS_BED or [],
    output:
        access=out("cnv/bins/access.bed"),
        target=out("cnv/bins/target.bed"),
        antitarget=out("cnv/bins/antitarget.bed"),
    log:
        out("logs/cnv/bins.log"),
    # every tumor's cnv_tumor waits for the bins and the CNVkit reference: they go first
    priority: 10
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        method=CNV_METHOD,
        targets=lambda wc, input: (
            f"--targets {shlex.quote(input.targets)}" if input.targets else ""
        ),
        gap=CNV["access_min_gap"],
        bin_size=CNV["bin_size"],
        target_size=CNV["target_bin_size"],
        antitarget_size=CNV["antitarget_bin_size"],
    shell:
        "MPLBACKEND=Agg scce-genomics cnv-bins --fasta {input.fasta:q} --method {params.method}"
        " {params.targets} --access-min-gap {params.gap} --bin-size {params.bin_size}"
        " --target-bin-size {params.target_size}"
        " --antitarget-bin-size {params.antitarget_size} --out-access {output.access:q}"
        " --out-target {output.target:q} --out-antitarget {output.antitarget:q} 2> {log:q}"


rule cnv_coverage:
    input:
        bam=out("bam/{sample}.bam"),
        bai=out("bam/{sample}.bam.bai"),
        target=out("cnv/bins/target.bed"),
        antitarget=out("cnv/bins/antitarget.bed"),
    output:
        target=out("cnv/coverage/{sample}.targetcoverage.cnn"),
        antitarget=out("cnv/coverage/{sample}.antitargetcoverage.cnn"),
    log:
        out("logs/cnv/coverage/{sample}.log"),
    wildcard_constraints:
        sample=alternatives(ALL_SAMPLES),
    # normals' feed the reference; a tumor's is the stage's longest step
    priority: 10
    threads: CNV_PROCESSES
    resources:
        mem_mb=2000,
        runtime=240,
    params:
        min_mapq=CNV["min_mapq"],
    shell:
        "MPLBACKEND=Agg scce-genomics cnv-coverage --bam {input.bam:q}"
        " --target-bed {input.target:q} --antitarget-bed {input.antitarget:q}"
        " --min-mapq {params.min_mapq} -p {threads} --out-target {output.target:q}"
        " --out-antitarget {output.antitarget:q} 2> {log:q}"


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
    priority: 10
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


# The germline SNPs come from the somatic stage's pileup (somatic_candidates_chunk): paired,
# called jointly and kept where the matched normal is heterozygous; tumor-only, every SNP site
# of the tumor (cnv-tumor keeps allele fractions 0.05-0.95).
rule cnv_het_sites:
    input:
        expand(
            out("somatic/candidates/{{sample}}/{chunk}.germline.bcf"),
            chunk=SOMATIC_CHUNKS,
        ),
    output:
        out("cnv/baf/{sample}.hets.vcf.gz"),
    log:
        out("logs/cnv/baf/{sample}.log"),
    conda:
        "../envs/bcftools.yaml"
    resources:
        mem_mb=1000,
        runtime=30,
    shell:
        "bcftools concat -Oz -o {output:q} {input:q} 2> {log:q}"


rule cnv_tumor:
    input:
        unpack(cnv_tumor_inputs),
    output:
        cnr=out("cnv/{sample}.cnr"),
        cns=out("cnv/{sample}.cns"),
        purity=out("cnv/purity/{sample}.json"),
        purity_args=out("cnv/purity/{sample}.call_args.txt"),
        sex=out("cnv/sex/{sample}.json"),
        sex_args=out("cnv/sex/{sample}.call_args.txt"),
        call=out("cnv/{sample}.call.cns"),
        alleles=out("cnv/{sample}.alleles.tsv"),
        scatter=report(
            out("cnv/plots/{sample}.scatter.png"),
            caption="../report/cnv_scatter.rst",
            category="Copy number",
        ),
        diagram=out("cnv/plots/{sample}.diagram.pdf"),
    log:
        out("logs/cnv/tumor/{sample}.log"),
    wildcard_constraints:
        sample=alternatives(TUMORS),
    conda:
        # CBS segmentation runs R's DNAcopy; CNVkit itself comes with the package
        "../envs/r-dnacopy.yaml"
    # CNVkit segment's processes
    threads: CNV_PROCESSES
    resources:
        mem_mb=2000,
        runtime=120,
    params:
        normal=lambda wc: shlex.quote(matched_normal(wc.sample)),
        edge="--edge" if CNV_METHOD == "hybrid" else "",
        method=CNV["segment_method"],
        # depth only: CNVkit 0.9.14's B-allele re-segmentation (--vcf) returns overlapping
        # whole-chromosome segments; the allele step splits segments by B-allele frequency
        extra=shlex.quote(CNV["segment_extra"]),
        call=CNV["call_method"],
        depth=CNV["min_variant_depth"],
        sheet_purity=lambda wc: shlex.quote(str(SAMPLES.loc[wc.sample, "purity"])),
        fit=CNV["purity_fit"],
        sheet_sex=lambda wc: shlex.quote(sheet_sex(wc.sample)),
        reference_sex=CNV_REFERENCE_SEX,
        resource=lambda wc, input: (
            f"--germline-resource {shlex.quote(input.resource)}"
            f" --af-field {shlex.quote(GERMLINE_AF_FIELD)}"
            if "resource" in input.keys()
            else ""
        ),
        min_het=CNV_ALLELES.get("min_het_snps", 10),
        min_af=CNV_ALLELES.get("min_population_af", 0.01),
    shell:
        "MPLBACKEND=Agg scce-genomics cnv-tumor --target-coverage {input.target:q}"
        " --antitarget-coverage {input.antitarget:q}"
        " --reference {input.reference:q} --sample {wildcards.sample:q}"
        " --normal {params.normal} --vcf {input.vcf:q} {params.edge} -p {threads}"
        " --segment-method {params.method} --segment-extra={params.extra}"
        " --call-method {params.call} --min-variant-depth {params.depth}"
        " --sheet-purity {params.sheet_purity} --sigma {params.fit[sigma]}"
        " --penalty {params.fit[penalty]} --max-cn {params.fit[max_cn]}"
        " --min-altered-fraction {params.fit[min_altered_fraction]}"
        " --sheet-sex {params.sheet_sex} --sex-check {input.sex_check:q}"
        " --reference-sex {params.reference_sex}"
        " --min-het-snps {params.min_het} {params.resource} --min-population-af {params.min_af}"
        " --out-cnr {output.cnr:q} --out-cns {output.cns:q}"
        " --out-purity {output.purity:q} --out-purity-args {output.purity_args:q}"
        " --out-sex {output.sex:q} --out-sex-args {output.sex_args:q}"
        " --out-call-cns {output.call:q} --out-alleles {output.alleles:q}"
        " --out-scatter {output.scatter:q} --out-diagram {output.diagram:q} 2> {log:q}"


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
        " --drivers {params.drivers:q} --arm-by {params.arms[by]}"
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
