"""`ahi-contract diff OLD.json NEW.json`: what changed between two runs."""

from __future__ import annotations

import argparse
from typing import Any

from harness.arguments.types import readable_file
from harness.cli import epilog, refuse
from harness.report.compare import ResultsError, compare, format_json, format_text, load_results


def register(subcommands: Any) -> None:
    """Add `diff` to the root parser."""
    parser = subcommands.add_parser(
        "diff",
        help="compare two results.json files; exit 1 on any regression",
        description=(
            "Compare two results.json files of the same kind (server, sdk or selftest): "
            "regressions (passed or known deviation -> failed or error), fixes, new checks, "
            "vanished checks and changed tool or SDK versions."
        ),
        epilog=epilog(
            "a regression, or a check of OLD missing from NEW (unless --allow-vanished)",
            success="no regression and no vanished check",
        ),
    )
    parser.add_argument(
        "old", type=readable_file, metavar="OLD", help="results.json of the last good run"
    )
    parser.add_argument(
        "new", type=readable_file, metavar="NEW", help="results.json of the run to judge"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="how the comparison prints: text for people, json for tools",
    )
    parser.add_argument(
        "--allow-vanished",
        action="store_true",
        help="do not fail when checks of OLD are missing from NEW (a narrower run, say)",
    )
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    try:
        diff = compare(load_results(arguments.old), load_results(arguments.new))
    except ResultsError as error:
        return refuse("diff", str(error))
    print(format_json(diff) if arguments.format == "json" else format_text(diff))
    vanished = bool(diff.removed_checks) and not arguments.allow_vanished
    return 1 if diff.regressions or vanished else 0
