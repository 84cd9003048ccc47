"""Signature aetiology groups: every bundled COSMIC SBS name has one; unknown names are errors."""

from __future__ import annotations

import pandas as pd
import pytest

from scce_genomics.compare.signature_groups import (
    GROUPS,
    OTHER,
    bundled_sbs_names,
    group_exposures,
    group_fractions,
    signature_group,
)
from scce_genomics.errors import InputError


def test_every_signature_of_every_bundled_cosmic_file_has_a_group():
    files = bundled_sbs_names()
    # v1, v2, v3, v3.1-v3.6 for GRCh37/GRCh38 (genome and exome) and the mouse/rat builds
    versions = {name.split("_")[1] for name in files}
    assert {"v1", "v2", "v3", "v3.1", "v3.2", "v3.3", "v3.4", "v3.5", "v3.6"} <= versions
    names = set().union(*files.values())
    assert len(names) > 130
    groups = {name: signature_group(name) for name in names}
    assert set(groups.values()) <= set(GROUPS)
    # the members of each group are written once
    members = [sig for sigs in GROUPS.values() for sig in sigs]
    assert len(members) == len(set(members))


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("SBS40", "clock-like (SBS1/5/40)"),
        ("SBS40a", "clock-like (SBS1/5/40)"),
        ("SBS40b", "clock-like (SBS1/5/40)"),
        ("SBS40c", "clock-like (SBS1/5/40)"),
        ("SBS92", "tobacco (SBS4/29/92/100/109)"),
        ("SBS4", "tobacco (SBS4/29/92/100/109)"),
        ("SBS13", "APOBEC (SBS2/13)"),
        ("SBS17b", "SBS17 (a/b)"),
        ("SBS22a", OTHER),
        ("Signature_1A", "clock-like (SBS1/5/40)"),
        ("Signature_7", "UV (SBS7/38)"),
        ("Signature_17", "SBS17 (a/b)"),
        ("Signature_29", "tobacco (SBS4/29/92/100/109)"),
    ],
)
def test_renamed_and_legacy_names_land_in_their_group(name, group):
    assert signature_group(name) == group


@pytest.mark.parametrize("name", ["SBS999", "SBS40d", "MySig", "Signature_99", "sbs1"])
def test_unknown_names_are_an_error_not_other(name):
    with pytest.raises(InputError, match="no aetiology group"):
        signature_group(name)


def test_grouped_tables_sum_members_and_keep_every_group():
    exposures = pd.DataFrame(
        {"SBS1": [10, 0], "SBS40a": [5, 0], "SBS92": [3, 0], "SBS2": [2, 0]}, index=["a", "b"]
    )
    grouped = group_exposures(exposures)
    assert list(grouped.columns) == list(GROUPS)
    assert grouped.loc["a", "clock-like (SBS1/5/40)"] == 15
    assert grouped.loc["a", "tobacco (SBS4/29/92/100/109)"] == 3
    assert grouped.loc["a", OTHER] == 0
    fractions = group_fractions(exposures)
    assert list(fractions.index) == ["a"]  # no attributed mutation: dropped
    assert fractions.loc["a"].sum() == pytest.approx(1.0)
    with pytest.raises(InputError):
        group_exposures(exposures.rename(columns={"SBS2": "custom"}))
