"""Sex chromosomes in copy number: the sample's sex, and the X and Y copy numbers it implies.

A CNVkit ratio on chrX compares the sample with the reference's X: CNVkit builds its pooled
reference as female (two X, log2 0) unless ``--male-reference`` (one X, log2 −1); chrY is
always stored as one copy. So a male tumor with an intact X reads log2 −1 against a female
reference and a female tumor +1 against a male one, which an arm summary that ignores sex
calls a loss or a gain. Here the expected X ratio follows from both sexes, X arms are called
on the ratio relative to it, and Y is reported on its own (present or absent, as expected).
The sex comes from the sample sheet, else from the tissue-QC sex check (read coverage of X and
Y), else it is unknown and X/Y calls are NA with that reason.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.errors import InputError

__all__ = [
    "SexCall",
    "autosomes",
    "is_sex_chromosome",
    "is_x",
    "is_y",
    "read_sex_call",
    "resolve_sex",
    "write_sex_call",
]

SEXES = ("female", "male")
_ALIASES = {"f": "female", "female": "female", "x": "female", "m": "male", "male": "male"}


def is_x(chrom: str) -> bool:
    return str(chrom).removeprefix("chr").upper() in ("X", "23")


def is_y(chrom: str) -> bool:
    return str(chrom).removeprefix("chr").upper() in ("Y", "24")


def is_sex_chromosome(chrom: str) -> bool:
    return is_x(chrom) or is_y(chrom)


def autosomes(table: pd.DataFrame, column: str = "chromosome") -> pd.DataFrame:
    """The rows of ``table`` not on X or Y."""
    keep = [not is_sex_chromosome(c) for c in table[column].astype(str)]
    return table.loc[np.array(keep, dtype=bool)]


@dataclass(frozen=True)
class SexCall:
    """The sample's sex, where it came from, and the X/Y expectations it sets."""

    sample: str
    sex: str  # female, male or NA
    source: str  # sheet, sex_check or NA
    reference_sex: str  # female or male: the X ploidy of CNVkit's reference
    reason: str = ""

    @property
    def known(self) -> bool:
        return self.sex in SEXES

    @property
    def expected_cn_x(self) -> float:
        return {"female": 2.0, "male": 1.0}.get(self.sex, math.nan)

    @property
    def expected_cn_y(self) -> float:
        return {"female": 0.0, "male": 1.0}.get(self.sex, math.nan)

    @property
    def expected_log2_x(self) -> float:
        """CNVkit log2 of an unchanged X: the sample's X copies over the reference's."""
        ref = 2.0 if self.reference_sex == "female" else 1.0
        return math.log2(self.expected_cn_x / ref) if self.known else math.nan

    def cnvkit_args(self) -> list[str]:
        """``cnvkit.py call`` options: the sample's sex when known, -y for a male reference."""
        args = ["--sample-sex", self.sex] if self.known else []
        return args + (["--male-reference"] if self.reference_sex == "male" else [])


def _norm(value: object) -> str:
    text = "" if value is None else str(value).strip().lower()
    return _ALIASES.get(text, "")


def resolve_sex(
    sample: str, sheet_sex: str, sex_check: str | Path | None, reference_sex: str = "female"
) -> SexCall:
    """Sex from the sheet, else from the tissue-QC sex check JSON, else NA with the reason."""
    if _norm(reference_sex) not in SEXES:
        raise InputError(f"reference sex must be female or male, got {reference_sex!r}")
    reference_sex = _norm(reference_sex)
    inferred, check_reason = "", "no sex check"
    if sex_check:
        try:
            data = json.loads(Path(sex_check).read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise InputError(f"cannot read the sex check: {err}", sex_check) from None
        inferred = _norm(data.get("inferred_sex"))
        check_reason = str(data.get("reason") or f"sex check: {data.get('inferred_sex', 'NA')}")
    sheet = _norm(sheet_sex)
    if str(sheet_sex).strip() and str(sheet_sex).strip().lower() not in ("na", "nan") and not sheet:
        raise InputError(f"sex {sheet_sex!r} of {sample} in the sample sheet: use female or male")
    if sheet:
        note = "" if not inferred or inferred == sheet else f"the sex check inferred {inferred}"
        return SexCall(sample, sheet, "sheet", reference_sex, note)
    if inferred:
        return SexCall(sample, inferred, "sex_check", reference_sex, "")
    return SexCall(
        sample, "NA", "NA", reference_sex, f"sex not in the sheet and not inferred ({check_reason})"
    )


def write_sex_call(call: SexCall, path: str | Path) -> None:
    from scce_genomics.fileio import atomic_open

    payload = asdict(call) | {
        "expected_cn_x": None if math.isnan(call.expected_cn_x) else call.expected_cn_x,
        "expected_cn_y": None if math.isnan(call.expected_cn_y) else call.expected_cn_y,
        "expected_log2_x": None if math.isnan(call.expected_log2_x) else call.expected_log2_x,
    }
    with atomic_open(path) as handle:
        json.dump(payload, handle, indent=2)
        handle.write("\n")


def read_sex_call(path: str | Path) -> SexCall:
    try:
        data = json.loads(Path(path).read_text())
        return SexCall(
            str(data["sample"]),
            str(data["sex"]),
            str(data["source"]),
            str(data["reference_sex"]),
            str(data.get("reason", "")),
        )
    except (OSError, json.JSONDecodeError, KeyError) as err:
        raise InputError(f"cannot read the CNV sex call: {err}", path) from None
