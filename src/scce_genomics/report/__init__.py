"""The one self-contained HTML report and the versions table.

In: every stage's contract files. Out: ``report/report.html`` and ``report/tables/*.tsv``
(``report.smk``). One view per section (``sections/``, data only) and one Jinja2 template per
section (``templates/``, markup only); docs/report.md says how to add one. Stages never import
this package.
"""
