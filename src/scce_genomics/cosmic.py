"""COSMIC reference signatures and mutation-channel names, read from installed packages.

COSMIC's signature files are not vendored (their licence is not open); SigProfilerAssignment
(BSD-2) bundles them, so we read them from that package with ``importlib.resources``. Channels
are always matched by label (``A[C>A]A``), never by row position: tools order them differently.
"""

from __future__ import annotations

import itertools
from importlib import resources
from pathlib import Path

import pandas as pd

from scce_genomics.errors import InputError

__all__ = [
    "BASES",
    "SBS6_CHANNELS",
    "SBS96_CHANNELS",
    "cosmic_signature_path",
    "cosmic_signatures",
]

BASES = "ACGT"
SBS6_CHANNELS: tuple[str, ...] = ("C>A", "C>G", "C>T", "T>A", "T>C", "T>G")
#: SigProfilerMatrixGenerator order: 5' base, substitution, 3' base, all alphabetical.
SBS96_CHANNELS: tuple[str, ...] = tuple(
    f"{five}[{sub}]{three}"
    for five, sub, three in sorted(
        itertools.product(BASES, SBS6_CHANNELS, BASES), key=lambda t: (t[0], t[1], t[2])
    )
)


def cosmic_signature_path(
    kind: str = "SBS", version: str = "3.4", build: str = "GRCh38", exome: bool = False
) -> Path:
    """Path of a COSMIC signature file inside the installed SigProfilerAssignment package."""
    suffix = "_exome" if exome else ""
    name = f"COSMIC_v{version}_{kind}_{build}{suffix}.txt"
    try:
        root = resources.files("SigProfilerAssignment") / "data" / "Reference_Signatures"
    except ModuleNotFoundError:
        raise InputError(
            "SigProfilerAssignment is not installed; it provides the COSMIC signatures "
            "(pip install sigprofilerassignment, or run the project's set-up step)"
        ) from None
    path = Path(str(root / build / name))
    if not path.is_file():
        raise InputError(
            f"no COSMIC file {name} in SigProfilerAssignment; check signatures.cosmic_version "
            "and reference.build (GRCh37 or GRCh38) in the config",
            path,
        )
    return path


def cosmic_signatures(
    kind: str = "SBS",
    version: str = "3.4",
    build: str = "GRCh38",
    exome: bool = False,
    path: str | Path | None = None,
) -> pd.DataFrame:
    """COSMIC signatures as a channels × signatures frame (columns sum to 1).

    ``path`` overrides the packaged file with a user-given COSMIC-format table.
    """
    source = Path(path) if path else cosmic_signature_path(kind, version, build, exome)
    table = pd.read_csv(source, sep="\t", index_col=0)
    table.index.name = "MutationType"
    if kind == "SBS":
        missing = set(SBS96_CHANNELS) - set(table.index)
        if missing:
            raise InputError(
                f"not an SBS96 signature table: {len(missing)} channels missing", source
            )
        table = table.loc[list(SBS96_CHANNELS)]
    return table.astype(float)
