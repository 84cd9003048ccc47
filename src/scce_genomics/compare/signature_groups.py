"""COSMIC SBS signatures by aetiology group, for every name any bundled COSMIC version uses.

Exposures are compared by group, not by signature: the references carry SigProfiler
attributions with COSMIC v3.0 names, a cohort may be fitted with v3.4 (SBS40 became
SBS40a/b/c, SBS22 became SBS22a/b) or any other bundled version, and flat signatures trade
places between fits. The rule, applied to a name after the legacy renaming below:

* the aetiology subgroups of SigProfilerAssignment 1.1.5 (``decomposition.py``,
  ``default_subgroups_siglists``) give APOBEC, tobacco (SBS4, SBS29, SBS92, SBS100, SBS109),
  UV, HR deficiency, other repair deficiencies (MMR, polymerase, BER), treatment and
  sequencing artefacts;
* clock-like: SBS1, SBS5 and SBS40 with its v3.4 split SBS40a/b/c (flat, clock-like in
  COSMIC); SBS16, SBS17a/b and SBS18 (ROS) keep their own groups because they separate ESCC
  (SBS16) from EAC (SBS17, SBS18);
* every remaining bundled name is listed explicitly as ``other`` (other known or unknown
  aetiology); a name in no list is an error, never silently "other".

COSMIC v1/v2 names ``Signature_N`` take the group of their v3 successor ``SBSN``
(N ≤ 30; ``Signature_1A``/``1B`` → SBS1; ``Signature_7``/``10``/``17`` → SBS7a/SBS10a/SBS17a).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pandas as pd

from scce_genomics.errors import InputError

__all__ = [
    "GROUPS",
    "OTHER",
    "bundled_sbs_names",
    "group_exposures",
    "group_fractions",
    "signature_group",
]


def _sbs(*numbers: str) -> tuple[str, ...]:
    return tuple(f"SBS{n}" for n in numbers)


OTHER = "other"

_ARTEFACT = ("27", "43", *(str(n) for n in range(45, 61)), "95")
#: other known aetiologies: aristolochic acid, aflatoxin, haloalkanes, colibactin, lymphoid
_OTHER_KNOWN = ("22", "22a", "22b", "22c", "24", "42", "88", "9", "84", "85")
_UNKNOWN = (
    "8", "12", "19", "23", "33", "34", "37", "39", "41", "89", "91", "93", "94", "96", "97",
    "98", "101", "102", "103", "104", "105", "106", "107", "108", "110", "111", "112", "113",
)  # fmt: skip

#: group -> member signatures (v3 names). Order is the column order of grouped tables.
GROUPS: dict[str, tuple[str, ...]] = {
    "clock-like (SBS1/5/40)": _sbs("1", "5", "40", "40a", "40b", "40c"),
    "APOBEC (SBS2/13)": _sbs("2", "13"),
    "tobacco (SBS4/29/92/100/109)": _sbs("4", "29", "92", "100", "109"),
    "HR deficiency (SBS3)": _sbs("3"),
    "SBS16": _sbs("16"),
    "SBS17 (a/b)": _sbs("17a", "17b"),
    "ROS (SBS18)": _sbs("18"),
    "repair deficiency (MMR/POL/BER)": _sbs(
        "6", "14", "15", "20", "21", "26", "44", "10a", "10b", "10c", "10d", "28", "30", "36"
    ),
    "UV (SBS7/38)": _sbs("7a", "7b", "7c", "7d", "38"),
    "treatment": _sbs("11", "25", "31", "32", "35", "86", "87", "90", "99"),
    "artefact": _sbs(*_ARTEFACT),
    OTHER: _sbs(*_OTHER_KNOWN, *_UNKNOWN),
}

_MEMBER: dict[str, str] = {sig: group for group, sigs in GROUPS.items() for sig in sigs}
_LEGACY = re.compile(r"^Signature_(\d+)([AB]?)$")
_LEGACY_MAX = 30  # COSMIC v2 has Signature_1 … Signature_30


def _v3_name(name: str) -> str:
    """A v1/v2 ``Signature_N`` name as its v3 successor; other names unchanged."""
    hit = _LEGACY.match(name)
    if not hit or not 1 <= int(hit.group(1)) <= _LEGACY_MAX:
        return name
    plain = f"SBS{hit.group(1)}"
    return plain if plain in _MEMBER else f"{plain}a"


def signature_group(name: str) -> str:
    """The aetiology group of a COSMIC SBS signature name; unknown names are an error."""
    group = _MEMBER.get(_v3_name(str(name)))
    if group is None:
        raise InputError(
            f"signature {name!r} has no aetiology group: exposures must use COSMIC SBS names "
            "(SBS1 … SBS113, or v1/v2 Signature_N); map custom signatures to COSMIC names "
            "before comparing"
        )
    return group


def group_exposures(exposures: pd.DataFrame) -> pd.DataFrame:
    """Samples × groups sums of a samples × signatures table (mutations or fractions)."""
    groups = [signature_group(c) for c in exposures.columns]
    summed = exposures.T.groupby(groups, sort=False).sum().T
    return summed.reindex(columns=list(GROUPS), fill_value=0.0).astype(float)


def group_fractions(exposures: pd.DataFrame) -> pd.DataFrame:
    """Samples × groups fractions of attributed mutations; samples with none are dropped."""
    grouped = group_exposures(exposures)
    totals = grouped.sum(axis=1)
    kept = grouped[totals > 0]
    return kept.div(totals[totals > 0], axis=0)


def bundled_sbs_names() -> dict[str, set[str]]:
    """Signature names of every SBS96 file SigProfilerAssignment bundles, by file name."""
    try:
        root = Path(str(resources.files("SigProfilerAssignment") / "data" / "Reference_Signatures"))
    except ModuleNotFoundError:
        raise InputError("SigProfilerAssignment is not installed") from None
    out: dict[str, set[str]] = {}
    for path in sorted(root.glob("*/COSMIC_v*_SBS_*.txt")):
        header = pd.read_csv(path, sep="\t", index_col=0, nrows=0)
        out[path.name] = {str(c) for c in header.columns}
    return out
