"""The `ahi-contract` command line: one subcommand module per front end."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from harness import __version__

SUBCOMMANDS: dict[str, str] = {
    "spec": "build, check or diff the OpenAPI document generated from the service model",
    "emulator": "run the reference emulator and its S3",
    "server": "certify an endpoint (default: the embedded emulator)",
    "sdk": "certify an SDK through an adapter (default: the reference client)",
    "diff": "compare two results.json files; exit 1 on any regression",
    "selftest": "prove the harness's power: every emulator fault and SDK bug caught",
}


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The root parser; only the subcommand named in `argv` is imported and registered in full.

    Subcommands import their suites when used, so `--version`, `--help` and `diff` start
    without loading schemathesis, hypothesis, moto or pydicom.
    """
    parser = argparse.ArgumentParser(
        prog="ahi-contract",
        description=(
            "Contract test harness for the AWS HealthImaging API: certify endpoints and SDKs "
            "against the service model and documented behaviour."
        ),
    )
    parser.add_argument("--version", action="version", version=f"ahi-contract {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = next((word for word in argv if word in SUBCOMMANDS), None)
    for name, summary in SUBCOMMANDS.items():
        if name == chosen:
            importlib.import_module(f"harness.cli.{name}").register(subcommands)
        else:
            subcommands.add_parser(name, help=summary)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    arguments = build_parser(words).parse_args(words)
    try:
        status: int = arguments.run(arguments)
    except KeyboardInterrupt:
        return 130
    except (OSError, ValueError) as error:
        print(f"ahi-contract {arguments.command}: {error}", file=sys.stderr)
        return 2
    return status
