"""Somatic SNV/indel calling.

In: bcftools mpileup candidates of a tumor (and its normal). Out: a scored, filtered somatic
VCF, a MAF per tumor and for the cohort, TMB per callable megabase (``somatic.smk``).
"""
