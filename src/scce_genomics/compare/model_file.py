"""The references' fitted model on disk, so that a workflow fits it while tumors are still aligned.

The model (the references' refitted exposures and the cross-validated classifier) depends on
the references, the cohort's assay and the settings, never on the cohort's tumors. A digest of
all of them is stored with it: a comparison whose digest differs does not use the file (it
refits, and says so), so a stale model can cost time but never change a result.

The file is a pickle written by this package for this package (the workflow's own output);
like any pickle it must not come from anyone else.
"""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scce_genomics import __version__
from scce_genomics.compare.classify import ReferenceCache
from scce_genomics.errors import InputError
from scce_genomics.fileio import atomic_path

__all__ = ["digest", "load_model", "save_model"]

_FORMAT = 1


def _feed(h: Any, obj: object) -> None:
    """Add ``obj`` to the hash by value: frames by their cells, dataclasses by their fields."""
    if isinstance(obj, pd.DataFrame | pd.Series):
        frame = obj if isinstance(obj, pd.DataFrame) else obj.to_frame()
        shape = (type(obj).__name__, frame.shape, list(frame.columns), list(map(str, frame.dtypes)))
        h.update(repr(shape).encode())
        h.update(pd.util.hash_pandas_object(obj, index=True).to_numpy().tobytes())
    elif isinstance(obj, np.ndarray):
        h.update(repr((obj.shape, obj.dtype)).encode())
        h.update(np.ascontiguousarray(obj).tobytes())
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        h.update(type(obj).__name__.encode())
        for f in dataclasses.fields(obj):
            h.update(f.name.encode())
            _feed(h, getattr(obj, f.name))
    elif isinstance(obj, dict):
        h.update(b"{")
        for key in sorted(obj, key=repr):
            _feed(h, key)
            _feed(h, obj[key])
        h.update(b"}")
    elif isinstance(obj, set | frozenset):  # str hashes, hence set order, differ per process
        _feed(h, sorted(obj, key=repr))
    elif isinstance(obj, list | tuple):
        h.update(b"[")
        for item in obj:
            _feed(h, item)
        h.update(b"]")
    else:
        h.update(repr(obj).encode())
    h.update(b";")


def digest(*parts: object) -> str:
    """SHA-256 of ``parts`` by value (and of this package's version)."""
    h = hashlib.sha256(__version__.encode())
    for part in parts:
        _feed(h, part)
    return h.hexdigest()


def save_model(cache: ReferenceCache, key: str, path: str | Path) -> None:
    """Write ``cache`` with its digest (atomically: no half-written model is ever left)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        pickle.dump({"format": _FORMAT, "key": key, "cache": cache}, handle, protocol=5)


def load_model(path: str | Path, key: str) -> ReferenceCache | None:
    """The model in ``path`` if it was fitted for ``key``; None when it was not."""
    try:
        with open(path, "rb") as handle:
            stored = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as err:
        raise InputError(
            f"cannot read the reference model ({err}); delete it and run "
            "'scce-genomics compare-model' again",
            path,
        ) from None
    if not isinstance(stored, dict) or stored.get("format") != _FORMAT:
        raise InputError(
            "not a reference model of this version; delete it and run "
            "'scce-genomics compare-model' again",
            path,
        )
    if stored.get("key") != key:
        return None
    cache = stored.get("cache")
    return cache if isinstance(cache, ReferenceCache) else None
