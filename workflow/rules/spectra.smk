# Mutation spectra (SBS96/SBS6/DBS78/ID83) of every tumor, COSMIC signature exposures with
# bootstrap CIs, and their plots. Consumes the somatic stage's PASS calls.


rule spectra_matrices:
    input:
        vcfs=expand(out("somatic/{tumor}.vcf.gz"), tumor=TUMORS),
        fasta=out("reference/genome.fa"),
    output:
        sbs96=report(
            out("spectra/SBS96.tsv"),
            caption="../report/spectra_matrices.rst",
            category="3. Mutation spectra",
        ),
        sbs6=out("spectra/SBS6.tsv"),
        dbs78=out("spectra/DBS78.tsv"),
        id83=out("spectra/ID83.tsv"),
        skipped=out("spectra/skipped.tsv"),
    log:
        out("logs/spectra/matrices.log"),
    benchmark:
        out("benchmarks/spectra/matrices.tsv")
    conda:
        "../envs/bcftools.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        vcfs=lambda wc, input: " ".join(f"--vcf {shlex.quote(v)}" for v in input.vcfs),
        names=" ".join(f"--name {shlex.quote(t)}" for t in TUMORS),
        outdir=lambda wc, output: shlex.quote(os.path.dirname(output.sbs96)),
        extra="--doublets-in-sbs" if config["signatures"].get("doublets_in_sbs") else "",
    shell:
        "scce-genomics spectra {params.vcfs} {params.names} --fasta {input.fasta:q} "
        "--outdir {params.outdir} {params.extra} > {log:q} 2>&1"


rule spectra_plots:
    input:
        sbs96=out("spectra/SBS96.tsv"),
        exposures=out("signatures/SBS_exposures.tsv"),
    output:
        spectra=report(
            out("spectra/SBS96.png"),
            caption="../report/spectra_sbs96_plot.rst",
            category="3. Mutation spectra",
        ),
        exposures=report(
            out("signatures/SBS_exposures.png"),
            caption="../report/spectra_exposures_plot.rst",
            category="3. Mutation spectra",
        ),
    log:
        out("logs/spectra/plots.log"),
    resources:
        mem_mb=2000,
        runtime=15,
    shell:
        "MPLBACKEND=Agg scce-genomics plot-spectra --matrix {input.sbs96:q} "
        "--exposures {input.exposures:q} --spectra-png {output.spectra:q} "
        "--exposures-png {output.exposures:q} > {log:q} 2>&1"
