"""Stored-tissue QC: identity, contamination, damage, early purity, sex.

In: allele counts at germline sites and read-orientation counts. Out: per-pair identity and
contamination, the cohort duplicate check and ``qc/tissue_qc.tsv`` (``tissue.smk``).
"""
