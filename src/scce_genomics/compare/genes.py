"""Driver-gene mutation frequencies versus references (maftools ``mafCompare`` logic).

Per reference, genes mutated (non-silent, per patient) in ≥ ``min_mut`` samples of either cohort
are tested with a two-sided Fisher exact test; odds ratio = conditional MLE with exact CI; BH FDR
across the tested genes. ``always`` genes (RB1, TP53 by default) are always reported. Samples
without any mutation still count in the denominator, so the cohort's sample list is required.

Family similarity: Pearson correlation of the per-gene frequencies over the union of tested genes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scce_genomics.compare.families import FamilyInput, RefMatrix
from scce_genomics.compare.references import CohortData
from scce_genomics.compare.stats import fisher_table

__all__ = ["gene_family", "gene_matrix", "gene_panel", "gene_tests"]

MIN_PANEL = 5


def gene_matrix(data: CohortData, genes: list[str]) -> np.ndarray:
    """Samples × genes 0/1 matrix of non-silent mutation (all ``mutation_samples`` as rows)."""
    assert data.mutated is not None and data.mutation_samples is not None
    hits = data.mutated[data.mutated["gene"].isin(genes)]
    tab = pd.crosstab(hits["sample"], hits["gene"]).clip(upper=1)
    tab = tab.reindex(index=data.mutation_samples, columns=genes, fill_value=0).fillna(0)
    return tab.to_numpy(dtype=float)


def _counts(data: CohortData) -> pd.Series:
    assert data.mutated is not None
    return data.mutated.groupby("gene")["sample"].nunique()


def gene_panel(
    cohort: CohortData, ref: CohortData, min_mut: int, always: tuple[str, ...]
) -> list[str]:
    """Genes mutated in ≥ ``min_mut`` samples of either cohort, plus ``always``."""
    genes: set[str] = set(always)
    for data in (cohort, ref):
        counts = _counts(data)
        genes |= set(counts.index[counts >= min_mut])
    return sorted(genes)


def _cohort_reason(cohort: CohortData, min_samples: int) -> str:
    if cohort.mutated is None or cohort.mutation_samples is None:
        return "cohort has no MAF"
    n = len(cohort.mutation_samples)
    if n < min_samples:
        return f"cohort has {n} sample(s); need ≥ {min_samples} for mutation frequencies"
    return ""


def gene_family(
    cohort: CohortData,
    refs: list[CohortData],
    min_mut: int,
    always: tuple[str, ...],
    min_samples: int = 3,
) -> FamilyInput:
    """Pearson correlation of gene frequencies over the tested genes."""
    fam = FamilyInput(family="driver genes", metric="pearson", kind="rows", n_cohort=0, refs={})
    fam.cohort_reason = _cohort_reason(cohort, min_samples)
    if cohort.mutation_samples is not None:
        fam.n_cohort = len(cohort.mutation_samples)
    have = [r for r in refs if r.mutated is not None and r.mutation_samples]
    for ref in refs:
        if ref not in have:
            fam.unavailable[ref.name] = f"reference {ref.name} has no per-patient mutation data"
    if fam.cohort_reason:
        fam.unavailable.update({r.name: fam.cohort_reason for r in have})
        return fam
    panel: set[str] = set()
    for ref in have:
        panel |= set(gene_panel(cohort, ref, min_mut, always))
    genes = sorted(panel)
    if len(genes) < MIN_PANEL:
        why = f"only {len(genes)} gene(s) reach min_mut={min_mut}; need ≥ {MIN_PANEL}"
        fam.unavailable.update({r.name: why for r in have})
        return fam
    xc = gene_matrix(cohort, genes)
    for ref in have:
        fam.refs[ref.name] = RefMatrix(xc, gene_matrix(ref, genes))
    return fam


def gene_tests(
    cohort: CohortData,
    refs: list[CohortData],
    min_mut: int = 5,
    always: tuple[str, ...] = ("TP53", "RB1"),
    min_samples: int = 3,
    level: float = 0.95,
) -> pd.DataFrame:
    """Per reference and gene: counts, frequencies, Fisher p, odds ratio (CI), BH FDR."""
    reason = _cohort_reason(cohort, min_samples)
    rows: list[dict[str, object]] = []
    for ref in refs:
        if ref.mutated is None or not ref.mutation_samples:
            rows += [
                {"reference": ref.name, "gene": g, "cohort_alt": 0, "cohort_n": 0, "ref_alt": 0,
                 "ref_n": 0, "reason": f"reference {ref.name} has no per-patient mutation data"}
                for g in always
            ]  # fmt: skip
            continue
        if reason:
            rows += [
                {"reference": ref.name, "gene": g, "cohort_alt": 0, "cohort_n": 0, "ref_alt": 0,
                 "ref_n": len(ref.mutation_samples), "reason": reason}
                for g in always
            ]  # fmt: skip
            continue
        assert cohort.mutation_samples is not None
        genes = gene_panel(cohort, ref, min_mut, always)
        cc, rc = _counts(cohort), _counts(ref)
        for g in genes:
            rows.append(
                {
                    "reference": ref.name,
                    "gene": g,
                    "cohort_alt": int(cc.get(g, 0)),
                    "cohort_n": len(cohort.mutation_samples),
                    "ref_alt": int(rc.get(g, 0)),
                    "ref_n": len(ref.mutation_samples),
                    "reason": "",
                }
            )
    table = fisher_table(pd.DataFrame(rows), level=level)
    table["always_reported"] = table["gene"].isin(always)
    table["selection"] = f"altered in ≥ {min_mut} samples of either cohort, or always reported"
    return table.sort_values(["reference", "p_value", "gene"], na_position="last").reset_index(
        drop=True
    )
