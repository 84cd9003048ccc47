"""COSMIC copy-number signatures (CN1-CN25…) fitted to each tumor's CN48 counts.

The signatures are read at run time from the installed SigProfilerAssignment (COSMIC's CN
signatures exist for GRCh37 only; CN48 channels do not depend on the build). The fit is the
SBS fitter of ``signatures.fit`` (stepwise NNLS selection, multinomial bootstrap CIs) run on
segment counts instead of mutations, with no always-kept background signature. A tumor whose
CN48 column is NA (no allele-specific segments) gets no exposures, with that reason.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from scce_genomics.cnv.cn48 import CN48_CHANNELS, CN48_INDEX
from scce_genomics.errors import InputError

__all__ = ["CN_SIGNATURE_COLUMNS", "fit_cn_signatures", "read_cn48"]

CN_SIGNATURE_COLUMNS = (
    "sample", "signature", "exposure", "fraction", "ci_low", "ci_high", "n_segments",
    "cosine", "flag",
)  # fmt: skip


def read_cn48(path: str) -> pd.DataFrame:
    """A CN48 matrix (``classification`` or ``MutationType`` first) as channels × samples."""
    try:
        table = pd.read_csv(path, sep="\t", index_col=0)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"cannot read the CN48 matrix: {err}", path) from None
    missing = set(CN48_CHANNELS) - set(table.index.astype(str))
    if missing:
        raise InputError(f"not a CN48 matrix: {len(missing)} channels missing", path)
    table.index.name = CN48_INDEX
    return table.loc[list(CN48_CHANNELS)]


def fit_cn_signatures(
    cn48: pd.DataFrame,
    version: str = "3.4",
    bootstrap: int = 100,
    min_segments: int = 20,
    seed: int = 1,
    signatures: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Long table (``CN_SIGNATURE_COLUMNS``) of exposures with bootstrap CIs per tumor."""
    from scce_genomics.signatures.fit import FitSettings, fit_samples, load_signatures

    sigs = signatures if signatures is not None else load_signatures("CN", version, "GRCh37")
    computed = [c for c in cn48.columns if cn48[c].notna().all()]
    skipped = [c for c in cn48.columns if c not in computed]
    settings = replace(
        FitSettings(), background=(), bootstrap=bootstrap, min_mutations=min_segments, seed=seed
    )
    rows = []
    if computed:
        fit = fit_samples(cn48[computed].astype(float), sigs, "all", settings)
        long = fit.long().rename(columns={"n_mutations": "n_segments"})
        long["flag"] = long["flag"].replace({"low_mutation_count": "few_segments"})
        rows.append(long[long["exposure"] > 0].loc[:, list(CN_SIGNATURE_COLUMNS)])
    if skipped:
        rows.append(
            pd.DataFrame(
                {
                    "sample": skipped,
                    "signature": "NA",
                    "flag": "not computed: no allele-specific CN48 counts",
                }
            ).reindex(columns=list(CN_SIGNATURE_COLUMNS))
        )
    if not rows:
        return pd.DataFrame(columns=list(CN_SIGNATURE_COLUMNS))
    return pd.concat(rows, ignore_index=True)
