# The run's self-contained HTML report (results/report/report.html, tables beside it as TSV) and
# the versions of the tools the run used. The report waits for the final outputs of every stage
# in the workflow and says what could not be computed for the ones that are absent.

REPORT_CONFIG_JSON = json.dumps(config, default=str)


rule versions:
    output:
        report(
            out("report/versions.tsv"),
            caption="../report/report_versions.rst",
            category="6. Report",
        ),
    log:
        out("logs/report/versions.log"),
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "scce-genomics versions --out {output:q} > {log:q} 2>&1"


rule report_html:
    input:
        stages=report_stage_inputs,
        versions=out("report/versions.tsv"),
        samples=config["samples"],
    output:
        html=report(
            out("report/report.html"),
            caption="../report/report_html.rst",
            category="6. Report",
        ),
        tables=directory(out("report/tables")),
    log:
        out("logs/report/report.log"),
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        results=lambda wildcards, output: os.path.dirname(os.path.dirname(output.html)),
        config=REPORT_CONFIG_JSON,
    shell:
        "MPLBACKEND=Agg scce-genomics report --results {params.results:q} "
        "--config-json {params.config:q} --samples {input.samples:q} --out {output.html:q} "
        "> {log:q} 2>&1"


localrules:
    versions,
    report_html,
