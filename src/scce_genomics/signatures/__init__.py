"""COSMIC signature exposures.

In: a SigProfiler-style matrix. Out: per-sample exposures with bootstrap CIs, fit summaries
and a pooled cohort fit (``signatures.smk``).
"""
