# COSMIC signature exposures of the cohort's SBS96 matrix (NNLS with stepwise selection and
# bootstrap CIs), per tumor and pooled. Consumes the spectra stage's matrix.


rule signature_exposures:
    input:
        sbs96=out("spectra/SBS96.tsv"),
    output:
        exposures=report(
            out("signatures/SBS_exposures.tsv"),
            caption="../report/spectra_exposures.rst",
            category="3. Mutation spectra",
        ),
        cohort=out("signatures/SBS_exposures_cohort.tsv"),
        summary=out("signatures/SBS_fit_summary.tsv"),
    log:
        out("logs/spectra/signatures.log"),
    benchmark:
        out("benchmarks/spectra/signatures.tsv")
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        version=config["signatures"]["cosmic_version"],
        # COSMIC build: GRCh37/GRCh38 as the reference; custom genomes use GRCh38 signatures.
        build=(
            config["reference"]["build"]
            if config["reference"]["build"] in ("GRCh37", "GRCh38")
            else "GRCh38"
        ),
        exome="--exome" if TARGETS_BED else "",
        candidates=",".join(config["signatures"]["candidates"]),
        background=",".join(config["signatures"]["background"]),
        min_mut=config["signatures"]["min_mutations"],
        bootstrap=config["signatures"]["bootstrap"],
        seed=config["signatures"]["seed"],
        add_pen=config["signatures"]["add_penalty"],
        remove_pen=config["signatures"]["remove_penalty"],
        initial_pen=config["signatures"]["initial_remove_penalty"],
        metric=config["signatures"]["metric"],
        method=config["signatures"].get("method", "cohort-prior"),
        sigfile=(
            f"--signature-file {config['signatures']['signature_file']}"
            if config["signatures"].get("signature_file")
            else ""
        ),
    shell:
        "scce-genomics signatures --matrix {input.sbs96:q} --out {output.exposures:q} "
        "--summary {output.summary:q} --cohort-out {output.cohort:q} "
        "--cosmic-version {params.version} --build {params.build} {params.exome} "
        "{params.sigfile} --candidates '{params.candidates}' --background '{params.background}' "
        "--min-mutations {params.min_mut} --bootstrap {params.bootstrap} --seed {params.seed} "
        "--add-penalty {params.add_pen} --remove-penalty {params.remove_pen} "
        "--initial-remove-penalty {params.initial_pen} --metric {params.metric} "
        "--method {params.method} > {log:q} 2>&1"
