"""Synthetic tumor/normal cohorts with truth, for the demo, tests and benchmarks.

In: a seed and a cohort spec (optionally a real FASTA). Out: genome, reads, sample sheets and
truth files (``scce-genomics simulate``).
"""
