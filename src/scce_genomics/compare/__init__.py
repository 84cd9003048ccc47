"""The SCCE cohort versus ESCC, EAC and SCLC reference profiles.

In: the cohort's matrices, exposures, MAF and copy-number summaries; reference profile folders
under ``resources/references``. Out: per-tumor calibrated probabilities over the references
(one classifier over every family, cross-validated by patient on the references), per-family
cohort statistics with the symmetric verdict, per-feature tests and figures under ``compare/``
(``compare.smk``; columns in :mod:`scce_genomics.compare.run`).
"""
