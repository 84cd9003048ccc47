"""COSMIC copy-number signatures fitted to CN48 counts of known mixes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scce_genomics.cnv.cn48 import CN48_CHANNELS, CN48_INDEX
from scce_genomics.cnv.cn_signatures import fit_cn_signatures, read_cn48

pytest.importorskip("SigProfilerAssignment")


def cn_signatures() -> pd.DataFrame:
    from scce_genomics.signatures.fit import load_signatures

    return load_signatures("CN", "3.4", "GRCh37")


def test_signatures_read_from_the_installed_package() -> None:
    sigs = cn_signatures()
    assert set(CN48_CHANNELS) == set(sigs.index)
    assert {"CN1", "CN2", "CN9", "CN17"} <= set(sigs.columns)
    assert np.allclose(sigs.sum(axis=0), 1.0, atol=0.01)


def test_known_mixes_are_recovered() -> None:
    sigs = cn_signatures()
    rng = np.random.default_rng(5)
    mixes = {
        "diploid": {"CN1": 0.7, "CN9": 0.3},
        "tetraploid": {"CN2": 0.6, "CN1": 0.4},
        "loh_chromothripsis": {"CN9": 0.5, "CN17": 0.3, "CN1": 0.2},
    }
    counts = {}
    for name, mix in mixes.items():
        p = sum(w * sigs[s] for s, w in mix.items()).loc[list(CN48_CHANNELS)]
        counts[name] = rng.multinomial(300, p / p.sum())
    catalog = pd.DataFrame(counts, index=pd.Index(CN48_CHANNELS, name=CN48_INDEX))
    catalog["NOT_COMPUTED"] = pd.NA
    out = fit_cn_signatures(catalog, bootstrap=50, signatures=sigs)
    for name, mix in mixes.items():
        got = out[out["sample"] == name].set_index("signature")["fraction"]
        truth = pd.Series(mix)
        keys = sorted(set(got.index) | set(truth.index))
        a = got.reindex(keys, fill_value=0).to_numpy()
        b = truth.reindex(keys, fill_value=0).to_numpy()
        cosine = a @ b / np.linalg.norm(a) / np.linalg.norm(b)
        assert cosine >= 0.9, (name, got.to_dict())
        rows = out[out["sample"] == name]
        assert (rows["ci_low"] <= rows["exposure"] + 1e-9).all()
        assert (rows["exposure"] <= rows["ci_high"] + 1e-9).all()
    na = out[out["sample"] == "NOT_COMPUTED"]
    assert len(na) == 1 and na["flag"].iloc[0].startswith("not computed")


def test_cn48_matrix_reader_accepts_sigprofiler_headers(tmp_path: Path) -> None:
    for header in ("classification", "MutationType"):
        path = tmp_path / f"{header}.tsv"
        pd.DataFrame({header: list(CN48_CHANNELS), "S": 1}).to_csv(path, sep="\t", index=False)
        assert read_cn48(str(path))["S"].sum() == 48
