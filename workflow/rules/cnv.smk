# Copy number with CNVkit: bins (WGS by default; hybrid/amplicon from the targets BED), read
# depth per bin, a pooled reference from every normal in the sheet (flat without normals),
# CBS segmentation, a purity/ploidy fit (sheet purity first), allele-specific `call` with B-allele
# frequencies at the matched normal's heterozygous SNPs, then cohort tables and plots. call,
# scatter and diagram run through `scce-genomics cnvkit`, which goes on when no bin is left
# (a note in the log, a "not computed" figure) where CNVkit itself would stop.

CNV = config["cnv"]
CNV_METHOD = "hybrid" if TARGETS_BED and CNV["method"] == "wgs" else CNV["method"]
if CNV_METHOD != "wgs" and not TARGETS_BED:
    raise WorkflowError(
        f"cnv.method {CNV_METHOD} needs a targets BED (config key targets)"
    )
CNV_LEVELS = ("amp", "gain", "loss", "deep_del")


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
            )
        ]
    )


def cnv_sex_arg(sample):
    sex = str(SAMPLES.loc[sample, "sex"]) if "sex" in SAMPLES.columns else ""
    return f"--sample-sex {sex}" if sex in ("male", "female") else ""


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
    shell:
        "MPLBACKEND=Agg cnvkit.py reference {params.sources} -f {input.fasta:q} {params.extra}"
        " -o {output:q} 2> {log:q}"


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
        " {params.edge} -i {wildcards.sample:q} -o {output:q} 2> {log:q}"


rule cnv_segment:
    input:
        out("cnv/{sample}.cnr"),
    output:
        out("cnv/{sample}.cns"),
    log:
        out("logs/cnv/segment/{sample}.log"),
    threads: 2
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        method=CNV["segment_method"],
        extra=CNV["segment_extra"],
    shell:
        "MPLBACKEND=Agg cnvkit.py segment {input:q} -m {params.method} {params.extra}"
        " -p {threads} -o {output:q} 2> {log:q}"


rule cnv_het_sites:
    input:
        tumor=out("bam/{sample}.bam"),
        normal=lambda wc: out(f"bam/{matched_normal(wc.sample)}.bam"),
        fasta=out("reference/genome.fa"),
        fai=out("reference/genome.fa.fai"),
    output:
        out("cnv/baf/{sample}.hets.vcf.gz"),
    log:
        out("logs/cnv/baf/{sample}.log"),
    resources:
        mem_mb=2000,
        runtime=240,
    params:
        mpileup=CNV["het_mpileup_extra"],
        normal=lambda wc: matched_normal(wc.sample),
    shell:
        # germline SNPs called jointly; kept where the matched normal is heterozygous
        "(bcftools mpileup -f {input.fasta:q} -a FORMAT/AD,FORMAT/DP {params.mpileup} -Ou"
        " {input.normal:q} {input.tumor:q}"
        " | bcftools call -mv -Ou"
        " | bcftools view -v snps -m2 -M2 -i 'GT[0]=\"het\"' -Oz -o {output:q}) 2> {log:q}"


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
        "scce-genomics cnv-purity --cns {input:q} --sample {wildcards.sample:q}"
        " --sheet-purity {params.sheet:q} --sigma {params.fit[sigma]}"
        " --penalty {params.fit[penalty]} --max-cn {params.fit[max_cn]}"
        " --min-altered-fraction {params.fit[min_altered_fraction]}"
        " --out {output.json:q} --out-args {output.args:q} 2> {log:q}"


def cnv_call_inputs(wildcards):
    inputs = {
        "cns": out(f"cnv/{wildcards.sample}.cns"),
        "args": out(f"cnv/purity/{wildcards.sample}.call_args.txt"),
    }
    if matched_normal(wildcards.sample):
        inputs["vcf"] = out(f"cnv/baf/{wildcards.sample}.hets.vcf.gz")
    return inputs


def cnv_vcf_arg(wildcards, input):
    normal = matched_normal(wildcards.sample)
    if not normal:
        return ""
    return f"--vcf {shlex.quote(input.vcf)} -i {shlex.quote(wildcards.sample)} -n {shlex.quote(normal)}"


rule cnv_call:
    input:
        unpack(cnv_call_inputs),
    output:
        out("cnv/{sample}.call.cns"),
    log:
        out("logs/cnv/call/{sample}.log"),
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        vcf=cnv_vcf_arg,
        sex=lambda wc: cnv_sex_arg(wc.sample),
        method=CNV["call_method"],
        depth=CNV["min_variant_depth"],
    shell:
        "MPLBACKEND=Agg scce-genomics cnvkit call {input.cns:q} $(cat {input.args:q}) -m {params.method}"
        " {params.vcf} --min-variant-depth {params.depth} {params.sex} -o {output:q} 2> {log:q}"


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
        "MPLBACKEND=Agg scce-genomics cnvkit scatter {input.cnr:q} -s {input.cns:q}"
        " --title {wildcards.sample:q} -o {output:q} 2> {log:q}"


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
        "MPLBACKEND=Agg scce-genomics cnvkit diagram {input.cnr:q} -s {input.cns:q} -o {output:q} 2> {log:q}"


rule cnv_summarise:
    input:
        cns=expand(out("cnv/{sample}.call.cns"), sample=TUMORS),
        cnr=expand(out("cnv/{sample}.cnr"), sample=TUMORS),
        purity=expand(out("cnv/purity/{sample}.json"), sample=TUMORS),
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
    shell:
        "scce-genomics cnv-summarise --cns {input.cns:q} --cnr {input.cnr:q}"
        " --purity {input.purity:q} --arms {input.arms:q} --gff3 {input.gff3:q}"
        " --drivers {params.drivers:q} --arm-by {params.arms[by]}"
        " --arm-log2 {params.arms[log2]} --arm-cn-delta {params.arms[cn_delta]}"
        " --min-arm-covered {params.arms[min_covered_fraction]}"
        " --min-arm-event {params.arms[min_event_fraction]}"
        " --gene-by {params.genes[by]} --gene-log2={params.gene_log2}"
        " --gene-cn={params.gene_cn}"
        " --gene-max-bin-distance {params.genes[max_bin_distance]}"
        " --fga-log2 {params.fga} --min-genome-fraction {params.min_genome}"
        " --out-arms {output.arms:q} --out-genes {output.genes:q} --out-seg {output.seg:q}"
        " --out-cn48 {output.cn48:q} --out-summary {output.summary:q} 2> {log:q}"
