"""The `ahi-contract` command line: one subcommand module per front end."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from harness import __version__
from harness.cli import diff as diff_command
from harness.cli import emulator as emulator_command
from harness.cli import sdk as sdk_command
from harness.cli import selftest as selftest_command
from harness.cli import server as server_command
from harness.cli import spec as spec_command


def build_parser() -> argparse.ArgumentParser:
    """The root parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="ahi-contract",
        description=(
            "Contract test harness for the AWS HealthImaging DICOM import-job API: "
            "certify endpoints and SDKs against the service model and documented behaviour."
        ),
    )
    parser.add_argument("--version", action="version", version=f"ahi-contract {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    spec_command.register(subcommands)
    emulator_command.register(subcommands)
    server_command.register(subcommands)
    sdk_command.register(subcommands)
    diff_command.register(subcommands)
    selftest_command.register(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit status."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        status: int = arguments.run(arguments)
    except KeyboardInterrupt:
        return 130
    except (OSError, ValueError) as error:
        print(f"ahi-contract {arguments.command}: {error}", file=sys.stderr)
        return 2
    return status
