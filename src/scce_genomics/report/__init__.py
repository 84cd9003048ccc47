"""The one self-contained HTML report and the versions table.

In: every stage's contract files. Out: ``report/report.html`` (``report.smk``). Stages never
import this package.
"""
