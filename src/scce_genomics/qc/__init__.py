"""Alignment QC.

In: samtools stats and mosdepth summaries per sample. Out: ``qc/qc_table.tsv`` with a
pass/warn/fail verdict and its reasons (``qc.smk``).
"""
