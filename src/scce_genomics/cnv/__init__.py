"""Copy-number summaries of CNVkit output.

In: CNVkit ``.cnr``/``.cns``/``call.cns`` per tumor. Out: purity/ploidy fits, arm and gene
calls, SEG, CN48 matrix and the cohort copy-number summary (``cnv.smk``).
"""
