"""Workflow configuration checked against its JSON schema, one line per problem.

Snakemake's own ``validate()`` prints the whole schema (hundreds of lines) for one misspelt key;
a user needs the key's dotted path, what is wrong and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scce_genomics.errors import InputError

__all__ = ["check_config"]


def _where(path: list[object]) -> str:
    return ".".join(str(p) for p in path) or "the top level"


def _explain(error: Any) -> str:
    """One line for one ``jsonschema.ValidationError``."""
    where = _where(list(error.absolute_path))
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        keys = ", ".join(repr(k) for k in extra)
        return (
            f"unknown key {keys} in {where}; allowed: {', '.join(allowed)} "
            "(misspelt? see config/README.md)"
        )
    if error.validator == "required":
        return f"{where}: {error.message}"
    return f"key {where}: {error.message}"


def check_config(config: Mapping[str, Any], schema: str | Path) -> None:
    """Raise :class:`InputError` naming every key of ``config`` that breaks ``schema``."""
    import jsonschema
    import yaml

    with open(schema) as handle:
        rules = yaml.safe_load(handle)
    validator = jsonschema.Draft202012Validator(rules)
    errors = sorted(validator.iter_errors(dict(config)), key=lambda e: list(e.absolute_path))
    if errors:
        lines = list(dict.fromkeys(_explain(e) for e in errors))
        raise InputError("; ".join(lines[:5]))
