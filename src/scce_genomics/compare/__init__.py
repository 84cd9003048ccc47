"""The SCCE cohort versus ESCC, EAC and SCLC reference profiles.

In: the cohort's matrices, exposures, MAF and copy-number summaries; reference profile folders
under ``resources/references``. Out: per-family statistics, per-tumor classification and the
verdict tables under ``compare/`` (``compare.smk``).
"""
