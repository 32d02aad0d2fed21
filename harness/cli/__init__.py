"""The `ahi-contract` command line: one subcommand module per front end.

Every refusal is one line on stderr with exit status 2; no traceback reaches
a user unless `AHI_CONTRACT_TRACEBACK=1` asks for it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any, NoReturn

from harness import __version__

SUBCOMMANDS: dict[str, str] = {
    "spec": "build, check or diff the OpenAPI document generated from the service model",
    "emulator": "run the reference emulator and its S3",
    "server": "certify an endpoint (default: the embedded emulator)",
    "sdk": "certify an SDK through an adapter (default: the reference client)",
    "diff": "compare two results.json files; exit 1 on any regression",
    "selftest": "prove the harness's power: every emulator fault and SDK bug caught",
}
TRACEBACK_VARIABLE = "AHI_CONTRACT_TRACEBACK"
EXIT_CODES = (
    "exit status:\n"
    "  0  every check passed\n"
    "  1  a check failed{extra}\n"
    "  2  bad input, or the run could not start (one line on stderr says why)\n"
)


def epilog(extra_exit: str = "", environment: Sequence[str] = ()) -> str:
    """The help's closing text: exit codes, then the environment variables honoured."""
    text = EXIT_CODES.format(extra=extra_exit)
    lines = [
        *environment,
        f"{TRACEBACK_VARIABLE}=1          show the traceback of an internal error",
    ]
    text += "\nenvironment:\n" + "".join(f"  {line}\n" for line in lines)
    return text


class HelpFormatter(argparse.HelpFormatter):
    """Wraps one-paragraph descriptions, keeps laid-out text (the epilog) as it is, and
    appends a default that the help does not already state."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        shown = default not in (None, False, [], argparse.SUPPRESS)
        if shown and "default" not in text and action.option_strings:
            text += " (default: %(default)s)"
        return text


class Parser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line on stderr and exit 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {' '.join(message.split())} (see --help)\n")


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The root parser; only the subcommand named in `argv` is imported and registered in full.

    Subcommands import their suites when used, so `--version`, `--help` and `diff` start
    without loading schemathesis, hypothesis, moto or pydicom.
    """
    parser = Parser(
        prog="ahi-contract",
        description=(
            "Contract test harness for the AWS HealthImaging API: certify endpoints and SDKs "
            "against the service model and documented behaviour."
        ),
        epilog=epilog(
            " (server, sdk, selftest); a regression or a vanished check (diff);\n"
            "     a breaking change, or a spec out of date (spec)",
            ("AWS_PROFILE, AWS_ENDPOINT_URL_MEDICAL_IMAGING and more: see `server --help`",),
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


def refuse(command: str, reason: str) -> int:
    """Print a one-line refusal for `command` and return exit status 2."""
    print(f"ahi-contract {command}: {' '.join(reason.split())}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    arguments = build_parser(words).parse_args(words)
    try:
        status: int = arguments.run(arguments)
    except KeyboardInterrupt:
        return 130
    except (OSError, ValueError) as error:
        return refuse(arguments.command, str(error))
    except Exception as error:
        if os.environ.get(TRACEBACK_VARIABLE) == "1":
            traceback.print_exc()
        return refuse(
            arguments.command,
            f"internal error: {type(error).__name__}: {error} "
            f"(set {TRACEBACK_VARIABLE}=1 to see where)",
        )
    return status
