"""The config schema refuses unknown keys at every level and documents every key it allows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from scce_genomics.config import check_config
from scce_genomics.errors import InputError

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "workflow/schemas/config.schema.yaml"


def objects(node: object, where: str = "") -> Iterator[tuple[str, dict]]:
    """Every object schema (one with properties) and its dotted place."""
    if isinstance(node, dict):
        if "properties" in node:
            yield where or "top level", node
            for key, sub in node["properties"].items():
                yield from objects(sub, f"{where}.{key}".lstrip("."))
        for key in ("definitions", "$defs"):
            for name, sub in node.get(key, {}).items():
                yield from objects(sub, f"#{name}")


def test_every_object_refuses_unknown_keys() -> None:
    schema = yaml.safe_load(SCHEMA.read_text())
    open_objects = [w for w, o in objects(schema) if o.get("additionalProperties") is not False]
    assert not open_objects, f"objects that accept any key: {open_objects}"


def test_the_default_config_is_valid_and_every_key_is_documented() -> None:
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    check_config(config, SCHEMA)
    text = (REPO / "config/README.md").read_text().splitlines()
    rows = [line for line in text if "|" in line or line.startswith("#")]  # tables, headings
    schema = yaml.safe_load(SCHEMA.read_text())
    undocumented = [
        f"{where}.{key}"
        for where, obj in objects(schema)
        for key in obj["properties"]
        if not where.startswith("#")
        and not any(re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", row) for row in rows)
    ]
    assert not undocumented, f"keys missing from config/README.md: {undocumented}"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"out_dir": "x"}, "unknown key 'out_dir' in the top level"),
        ({"alignment": {"realign": False}}, "unknown key 'realign' in alignment"),
        ({"qc": {"max_duplication": {"warn": 0.3, "fail": 0.6, "x": 1}}}, "in qc.max_duplication"),
        ({"cnv": {"bin_size": "big"}}, "key cnv.bin_size: 'big' is not of type 'integer'"),
    ],
)
def test_bad_keys_give_one_line_naming_them(config: dict, message: str) -> None:
    base = yaml.safe_load((REPO / "config/config.yaml").read_text())
    for key, value in config.items():
        base[key] = {**base[key], **value} if isinstance(value, dict) and key in base else value
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        check_config(base, SCHEMA)
    assert "\n" not in str(err.value)
