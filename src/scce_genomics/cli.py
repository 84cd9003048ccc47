"""The ``scce-genomics`` command line: one subcommand per stage, thin wrappers over the library.

Each command module exposes ``add_commands(subparsers)``, registering parsers whose ``func``
default takes the parsed arguments. Add a module to ``COMMAND_MODULES`` to expose it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from scce_genomics import __version__
from scce_genomics.errors import InputError

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

COMMAND_MODULES: tuple[str, ...] = (
    "scce_genomics.simulate.cli",
    "scce_genomics.reference.cli",
    "scce_genomics.align.cli",
    "scce_genomics.qc.cli",
    "scce_genomics.tissue.cli",
    "scce_genomics.somatic.cli",
    "scce_genomics.cnv.cli",
    "scce_genomics.spectra.cli",
    "scce_genomics.signatures.cli",
    "scce_genomics.biomarkers.cli",
    "scce_genomics.compare.references_cli",
    "scce_genomics.compare.cli",
    "scce_genomics.report.cli",
)


def _check_tools(args: argparse.Namespace) -> int:
    from scce_genomics.tools import check_tools

    return 1 if check_tools(verbose=True) else 0


def build_parser() -> argparse.ArgumentParser:
    """Collect every command module's subcommands into one parser."""
    parser = argparse.ArgumentParser(
        prog="scce-genomics",
        description="Somatic mutation and copy-number profiling of SCCE, compared with ESCC.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    tools = sub.add_parser("check-tools", help="check that the command-line tools are installed")
    tools.set_defaults(func=_check_tools)
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; bad input ends with a one-line message and exit status 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
