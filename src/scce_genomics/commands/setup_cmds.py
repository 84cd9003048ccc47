"""``scce-genomics check-tools``: report required command-line tools and their versions."""

from __future__ import annotations

import argparse

from scce_genomics.tools import check_tools

__all__ = ["add_commands"]


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check-tools", help="check that the command-line tools are installed")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    missing = check_tools(verbose=True)
    return 1 if missing else 0
