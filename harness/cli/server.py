"""`ahi-contract server`: certify an endpoint (default: the embedded emulator)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from harness.cli.progress import progress
from harness.report.record import RunRecord
from harness.report.writers import write_reports
from harness.server.environment import SetupError
from harness.server.options import CredentialsMissing, add_options, option_values, server_options
from harness.server.registry import load_checks
from harness.server.runner import TargetUnreachable, execute
from harness.server.selection import Selection, UnknownCheck


def register(subcommands: Any) -> None:
    """Add `server` to the root parser."""
    parser = subcommands.add_parser(
        "server", help="certify an endpoint against the spec and the documented behaviour"
    )
    add_options(parser.add_argument)
    parser.set_defaults(report_dir=Path("reports"))
    parser.add_argument(
        "--list-checks",
        action="store_true",
        help="list the server suite's checks (those --check selects) and exit",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="how --list-checks prints (default: text)",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    parser.set_defaults(run=run)


def list_checks(selection: Selection, output: str) -> int:
    """Print the server suite's checks that `selection` selects, as text or JSON."""
    catalogue = load_checks()
    unknown = selection.unmatched(catalogue)
    if unknown:
        print(
            f"ahi-contract server: no check ID or family matches {', '.join(unknown)}",
            file=sys.stderr,
        )
        return 2
    chosen = sorted(
        (check for check in catalogue if selection.selects(check)), key=lambda c: (c.family, c.id)
    )
    if output == "json":
        print(
            json.dumps(
                [{**asdict(check), "source": check.source.value} for check in chosen], indent=2
            )
        )
        return 0
    for check in chosen:
        print(f"{check.id:<28} {check.family:<12} [{check.source.value}] {check.rule}")
        print(f"{'':<28} {'':<12} source: {check.reference}")
    return 0


def summary(record: RunRecord) -> str:
    outcomes = record.merged()
    failed = [o for o in outcomes if o.status != "passed"]
    lines = []
    for outcome in failed:
        check = outcome.check
        lines.append(f"FAIL {check.id} [{outcome.subject}] {check.rule}")
        lines.append(f"     source: {check.source.value} ({check.reference})")
        lines.append(
            f"     {outcome.message.splitlines()[0] if outcome.message else outcome.status}"
        )
        for evidence in outcome.evidence[:1]:
            if evidence.curl:
                lines.append(f"     {evidence.curl}")
            if evidence.status is not None:
                body = (evidence.response_body or "").replace("\n", " ")[:200]
                lines.append(f"     -> HTTP {evidence.status} {body}")
    passed = len(outcomes) - len(failed)
    lines.append(
        f"{passed} passed, {len(failed)} failed"
        f" ({len({o.check_id for o in outcomes})} checks, seed {record.seed})"
    )
    return "\n".join(lines)


def run(arguments: argparse.Namespace) -> int:
    if arguments.list_checks:
        return list_checks(
            Selection(tuple(arguments.check), tuple(arguments.exclude_check)), arguments.format
        )
    if arguments.fault and arguments.endpoint:
        print("ahi-contract server: --fault applies to the embedded emulator only", file=sys.stderr)
        return 2
    try:
        options = server_options(option_values(arguments))
    except CredentialsMissing as error:
        print(f"ahi-contract server: {error}", file=sys.stderr)
        return 2
    try:
        with progress(arguments.quiet) as report:
            record = execute(options, report)
    except UnknownCheck as error:
        print(f"ahi-contract server: {error}", file=sys.stderr)
        return 2
    except (TargetUnreachable, SetupError) as error:
        print(f"ahi-contract server: cannot run: {error}", file=sys.stderr)
        return 2
    paths = write_reports(record, arguments.report_dir)
    print(summary(record))
    print("reports: " + ", ".join(str(path) for path in paths))
    return 0 if record.passed else 1
