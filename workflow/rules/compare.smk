# Comparison of the cohort with the reference profiles (ESCC target; EAC and SCLC contrasts):
# one calibrated per-tumor classifier over spectra, signatures, driver genes and copy number,
# cross-validated on the references, and the symmetric ESCC-like verdict per family.

CMP = config.get("comparison", {})
CMP_VERDICT = CMP.get("verdict", {})
CMP_POSTERIOR = CMP.get("posterior", {})
SIG = config["signatures"]
CMP_REFERENCES = [
    # relative paths name folders of the run directory if they exist, else shipped ones
    r if os.path.isabs(r) or os.path.exists(r) else os.path.join(workflow.basedir, r)
    for r in CMP.get(
        "references",
        [
            "resources/references/ESCC",
            "resources/references/EAC",
            "resources/references/SCLC",
        ],
    )
]
CMP_HUMAN = config["reference"]["build"] in ("GRCh37", "GRCh38")


CMP_SETTINGS = " ".join(
    [
        flag("--target", CMP.get("target", "ESCC")),
        f"--min-mut {CMP.get('min_mut', 5)}",
        f"--always-genes {','.join(CMP.get('always_genes', ['TP53', 'RB1']))}",
        f"--fdr {CMP.get('fdr', 0.05)}",
        f"--bootstrap {CMP.get('bootstrap', 500)}",
        f"--seed {CMP.get('seed', 1)}",
        f"--min-samples {CMP.get('min_samples', 3)}",
        f"--presence-min {CMP.get('presence_min', 0.05)}",
        f"--alpha {CMP_VERDICT.get('alpha', 0.05)}",
        f"--min-support {CMP_VERDICT.get('min_support', 0.9)}",
        f"--min-posterior {CMP_POSTERIOR.get('min_posterior', 0.9)}",
        f"--folds {CMP.get('cv_folds', 5)}",
        # the references' signatures are refitted as the cohort's were (signatures.smk)
        f"--cosmic-version {SIG['cosmic_version']}",
        f"--signature-build {config['reference']['build'] if CMP_HUMAN else 'GRCh38'}",
        f"--signature-candidates {shlex.quote(','.join(SIG['candidates']))}",
        f"--signature-method {SIG.get('method', 'cohort-prior')}",
    ]
    + (["--signature-exome"] if TARGETS_BED else [])
    + (
        [f"--signature-file {shlex.quote(SIG['signature_file'])}"]
        if SIG.get("signature_file")
        else []
    )
    + (
        [f"--arm-threshold {CMP['arm_threshold']}"]
        if CMP.get("arm_threshold") is not None
        else []
    )
    + (["--use-arm-calls"] if CMP.get("use_arm_calls", False) else [])
    + [f"--reference {shlex.quote(r)}" for r in CMP_REFERENCES]
    + [
        f"--versus {shlex.quote(f'{name}={path}')}"
        for name, path in CMP.get("versus", {}).items()
    ]
)
# Trinucleotide abundance of the cohort's assay: a shipped table (GRCh37/GRCh38, genome or
# exome) or counted from the reference FASTA (custom genomes, within the targets if any).
CMP_OPPORTUNITY = (
    f"--opportunity {config['reference']['build']}_{'exome' if TARGETS_BED else 'genome'}"
    if CMP_HUMAN
    else f"--fasta {shlex.quote(out('reference/genome.fa'))}"
    + (f" --targets {shlex.quote(TARGETS_BED)}" if TARGETS_BED else "")
)


# The references' side of the comparison (refitted exposures, cross-validated classifier)
# depends on no tumor: fitted as soon as the reference FASTA is ready, off the final path.
rule compare_model:
    input:
        fasta=out("reference/genome.fa"),
        profiles=[f"{r}/profile.yaml" for r in CMP_REFERENCES],
    output:
        out("compare/reference_model.pkl"),
    log:
        out("logs/compare/reference_model.log"),
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        opportunity=CMP_OPPORTUNITY,
        settings=CMP_SETTINGS,
    shell:
        "scce-genomics compare-model {params.opportunity} {params.settings} --out {output:q} "
        "> {log:q} 2>&1"


rule compare:
    input:
        model=out("compare/reference_model.pkl"),
        sbs96=out("spectra/SBS96.tsv"),
        id83=out("spectra/ID83.tsv"),
        dbs78=out("spectra/DBS78.tsv"),
        exposures=out("signatures/SBS_exposures.tsv"),
        maf=out("somatic/cohort.maf"),
        arms=out("cnv/arm_calls.tsv"),
        genes=out("cnv/gene_calls.tsv"),
        samples=config["samples"],
        fasta=out("reference/genome.fa"),
        profiles=[f"{r}/profile.yaml" for r in CMP_REFERENCES],
    output:
        summary=report(
            out("compare/summary.tsv"),
            caption="../report/compare_summary.rst",
            category="5. Comparison with references",
        ),
        tumors=out("compare/tumors.tsv"),
        calibration=out("compare/calibration.tsv"),
        reliability=out("compare/reliability.tsv"),
        text=out("compare/summary.txt"),
        signatures=out("compare/signatures.tsv"),
        genes=out("compare/genes.tsv"),
        arms=out("compare/arms.tsv"),
        focal=out("compare/focal.tsv"),
        spectra_png=report(
            out("compare/sbs96_spectra.png"),
            caption="../report/compare_spectra.rst",
            category="5. Comparison with references",
        ),
        forest_png=report(
            out("compare/gene_forest.png"),
            caption="../report/compare_genes.rst",
            category="5. Comparison with references",
        ),
        arms_png=report(
            out("compare/arm_frequencies.png"),
            caption="../report/compare_arms.rst",
            category="5. Comparison with references",
        ),
        reliability_png=report(
            out("compare/reliability.png"),
            caption="../report/compare_reliability.rst",
            category="5. Comparison with references",
        ),
    log:
        out("logs/compare/compare.log"),
    benchmark:
        out("benchmarks/compare/compare.tsv")
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        opportunity=CMP_OPPORTUNITY,
        settings=CMP_SETTINGS,
        outdir=lambda wildcards, output: os.path.dirname(output.summary),
    shell:
        "scce-genomics compare --name SCCE --samples {input.samples:q} --sbs96 {input.sbs96:q}"
        " --id83 {input.id83:q} --dbs78 {input.dbs78:q} --exposures {input.exposures:q}"
        " --maf {input.maf:q} --arms {input.arms:q} --genes {input.genes:q} {params.opportunity}"
        " {params.settings} --model {input.model:q} --outdir {params.outdir:q} 2> {log:q}"
