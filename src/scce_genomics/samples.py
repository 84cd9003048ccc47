"""Sample and unit sheets: load, validate with line-numbered errors, and pair tumors with normals.

``samples.tsv``: one row per sequenced sample (``sample``, ``patient``, ``type`` tumor|normal,
``tissue`` ffpe|fresh|blood, optional ``purity`` and ``sex``). ``units.tsv``: one row per lane or
input file (``sample``, ``unit``, ``fq1``, ``fq2`` or ``bam``). Relative paths resolve against the
directory of the sheet that names them, so a sheet can travel with its data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from scce_genomics.errors import InputError

__all__ = [
    "NAME_PATTERN",
    "SAMPLE_TYPES",
    "SEXES",
    "TISSUES",
    "check_name",
    "load_samples",
    "load_units",
    "tumor_normal_pairs",
]

SAMPLE_TYPES = ("tumor", "normal")
TISSUES = ("ffpe", "fresh", "frozen", "blood")
SEXES = ("female", "male", "")
#: The one rule for sample, patient and unit names (also in workflow/schemas/*.schema.yaml):
#: names become file names, wildcards and command-line words, so no '/', space, quote or '$',
#: and no leading '.' or '-' (no '..', no hidden file, no option look-alike).
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_NAME = re.compile(NAME_PATTERN)


def check_name(value: str, column: str, path: str | Path, line: int) -> None:
    """Raise :class:`InputError` unless ``value`` is a valid sample/patient/unit name."""
    if not value:
        raise InputError(f"column {column}: empty {column} name", path, line)
    if not _NAME.match(value):
        raise InputError(
            f"column {column}: {column} name {value!r} may only use letters, digits, '_', '.', "
            "'-' and must start with a letter or digit",
            path,
            line,
        )


def _read_sheet(path: str | Path, required: tuple[str, ...]) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise InputError("sheet not found; check the path in config.yaml", path)
    try:
        df = pd.read_csv(path, sep="\t", dtype=str, comment="#", keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise InputError(
            f"the sheet is empty; it needs a header line ({', '.join(required)}, tab-separated) "
            "and one row per entry",
            path,
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(f"not a readable tab-separated table ({err})", path) from None
    df.columns = [c.strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; the header must name "
            f"{', '.join(required)} (tab-separated)",
            path,
            1,
        )
    df = df.apply(lambda col: col.str.strip())
    df["sheet_line"] = _datasheet_lines(path)[: len(df)]
    return df


def _datasheet_lines(path: Path) -> list[int]:
    """1-based file line numbers of the data rows (after the header, skipping comments/blanks)."""
    lines = []
    header_seen = False
    with open(path) as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            if not header_seen:
                header_seen = True
                continue
            lines.append(number)
    return lines


class _Row:
    """Attribute access to one sheet row (all values are strings)."""

    def __init__(self, values: dict[str, str]):
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> str:  # only for mypy: columns are set in __init__
        raise AttributeError(name)


def _rows(df: pd.DataFrame) -> Iterator[_Row]:
    for record in df.to_dict("records"):
        yield _Row({str(k): str(v) for k, v in record.items()})


def load_samples(path: str | Path) -> pd.DataFrame:
    """Read and validate ``samples.tsv``; raise :class:`InputError` naming the line at fault."""
    df = _read_sheet(path, ("sample", "patient", "type", "tissue"))
    if df.empty:
        raise InputError("no samples listed", path)
    for optional in ("purity", "sex"):
        if optional not in df.columns:
            df[optional] = ""
    seen: dict[str, int] = {}
    for row in _rows(df):
        line = int(row.sheet_line)
        check_name(row.sample, "sample", path, line)
        if row.sample in seen:
            raise InputError(
                f"duplicate sample {row.sample!r} (first on line {seen[row.sample]})", path, line
            )
        seen[row.sample] = line
        if row.type not in SAMPLE_TYPES:
            raise InputError(
                f"column type: sample {row.sample!r}: unknown type {row.type!r}; "
                "use tumor or normal",
                path,
                line,
            )
        if not row.patient:
            raise InputError(
                f"column patient: sample {row.sample!r}: no patient given; every sample needs "
                "its patient so tumors can be paired with normals",
                path,
                line,
            )
        check_name(row.patient, "patient", path, line)
        if row.tissue not in TISSUES:
            raise InputError(
                f"column tissue: sample {row.sample!r}: unknown tissue {row.tissue!r}; use one of "
                f"{', '.join(TISSUES)}",
                path,
                line,
            )
        if row.sex not in SEXES:
            raise InputError(
                f"column sex: sample {row.sample!r}: sex {row.sex!r} must be female, male or empty",
                path,
                line,
            )
        if row.purity:
            try:
                purity = float(row.purity)
            except ValueError:
                purity = -1.0
            if not 0.0 < purity <= 1.0:
                raise InputError(
                    f"column purity: sample {row.sample!r}: purity {row.purity!r} must be a "
                    "number in (0, 1] or empty",
                    path,
                    line,
                )
    normals = df[df["type"] == "normal"]
    dup = normals["patient"].duplicated(keep="first")
    if dup.any():
        first = next(_rows(normals[dup]))
        raise InputError(
            f"patient {first.patient!r} has more than one normal sample; keep one per patient",
            path,
            int(first.sheet_line),
        )
    df["purity"] = pd.to_numeric(df["purity"].replace("", None), errors="coerce").astype(float)
    return df.set_index("sample", drop=False)


def load_units(path: str | Path, samples: pd.DataFrame) -> pd.DataFrame:
    """Read and validate ``units.tsv`` against the samples; input files must exist."""
    path = Path(path)
    df = _read_sheet(path, ("sample", "unit"))
    for optional in ("fq1", "fq2", "bam"):
        if optional not in df.columns:
            df[optional] = ""
    base = path.parent
    seen: dict[tuple[str, str], int] = {}
    for idx, row in zip(df.index, _rows(df), strict=True):
        line = int(row.sheet_line)
        sample, unit = row.sample, row.unit
        if sample not in samples.index:
            raise InputError(
                f"column sample: sample {sample!r} is not in the samples sheet; add it there "
                "or fix the name",
                path,
                line,
            )
        check_name(unit, "unit", path, line)
        if (sample, unit) in seen:
            raise InputError(
                f"duplicate unit {unit!r} of sample {sample!r} (first on line "
                f"{seen[(sample, unit)]})",
                path,
                line,
            )
        seen[(sample, unit)] = line
        has_fq, has_bam = bool(row.fq1), bool(row.bam)
        if has_fq == has_bam:
            raise InputError(
                f"columns fq1/bam: sample {sample!r} unit {unit!r}: give either fq1 (+ fq2) or "
                "bam, not "
                f"{'both' if has_fq else 'neither'}",
                path,
                line,
            )
        if row.fq2 and not has_fq:
            raise InputError(
                f"column fq2: sample {sample!r} unit {unit!r}: fq2 without fq1", path, line
            )
        for column in ("fq1", "fq2", "bam"):
            value = getattr(row, column)
            if value:
                resolved = (base / value).resolve()
                if not resolved.is_file():
                    raise InputError(
                        f"column {column}: sample {sample!r} unit {unit!r}: file {value!r} does "
                        f"not exist (looked for {resolved})",
                        path,
                        line,
                    )
                df.at[idx, column] = str(resolved)
    missing = sorted(set(samples.index) - {s for s, _ in seen})
    if missing:
        raise InputError(
            f"sample(s) {', '.join(missing)} have no units; add their reads to the units sheet",
            path,
        )
    return df.set_index(["sample", "unit"], drop=False).sort_index()


def tumor_normal_pairs(samples: pd.DataFrame) -> pd.DataFrame:
    """One row per tumor with its patient's normal, or an empty ``normal`` (tumor-only)."""
    normals = samples[samples["type"] == "normal"].set_index("patient")["sample"]
    tumors = samples[samples["type"] == "tumor"]
    pairs = pd.DataFrame(
        {
            "tumor": tumors["sample"].to_numpy(),
            "patient": tumors["patient"].to_numpy(),
            "normal": [normals.get(p, "") for p in tumors["patient"]],
        }
    )
    return pairs.set_index("tumor", drop=False)
