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
    "scce_genomics.commands.setup_cmds",
    "scce_genomics.commands.simulate_cmds",
    "scce_genomics.commands.align_cmds",
    "scce_genomics.commands.qc_cmds",
    "scce_genomics.commands.somatic_cmds",
    "scce_genomics.commands.reference_cmds",
    "scce_genomics.commands.compare_cmds",
    "scce_genomics.commands.spectra_cmds",
    "scce_genomics.commands.report_cmds",
    "scce_genomics.commands.tissue_qc_cmds",
    "scce_genomics.commands.cnv_cmds",
)


def build_parser() -> argparse.ArgumentParser:
    """Collect every command module's subcommands into one parser."""
    parser = argparse.ArgumentParser(
        prog="scce-genomics",
        description="Somatic mutation and copy-number profiling of SCCE, compared with ESCC.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
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
