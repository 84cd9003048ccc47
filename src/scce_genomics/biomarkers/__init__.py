"""Immunotherapy biomarkers: microsatellite instability, TMB with its uncertainty, HRD.

In: the reference FASTA (microsatellite scan), BAMs (repeat lengths per site), the somatic
stage's ``tmb.tsv`` and, when present, the copy-number stage's HRD table. Out: microsatellite
sites per reference, MSI scores per tumor (tumor–normal or against a baseline of normals) and
one biomarker panel row per tumor (``biomarkers.smk``).
"""
