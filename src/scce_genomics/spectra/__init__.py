"""Mutation catalogues.

In: somatic VCFs and the reference FASTA. Out: SigProfiler-style SBS96/SBS6/DBS78/ID83
matrices, opportunity tables and spectrum plots (``spectra.smk``).
"""
