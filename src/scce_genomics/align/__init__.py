"""Read input checks and alignment helpers.

In: FASTQ pairs or BAM/CRAM per unit. Out: a one-line verdict per unit (read count JSON)
before bwa runs (``align.smk``).
"""
