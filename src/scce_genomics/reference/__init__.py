"""Reference genome preparation.

In: a FASTA (plain/gzip/bgzip), an Ensembl GFF3, an arm table. Out: a plain indexed FASTA,
a filtered GFF3, the arm table and a build tag named like the FASTA (``reference.smk``).
"""
