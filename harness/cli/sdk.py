"""`ahi-contract sdk`: certify an SDK through its adapter against the loopback stub."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from harness.cli.progress import progress
from harness.report.writers import write_reports
from harness.sdk.runner import BUNDLED, certify
from harness.sdk.scenarios import BY_ID, CATALOGUE


def register(subcommands: Any) -> None:
    """Add `sdk` to the root parser."""
    parser = subcommands.add_parser(
        "sdk", help="certify an SDK: errors, idempotency tokens, retries, (de)serialization"
    )
    parser.add_argument(
        "--adapter",
        default="reference",
        help=f"reference (in-process), {', '.join(sorted(BUNDLED))}, or an adapter command line",
    )
    parser.add_argument("--scenario", action="append", default=[], help="run only these IDs")
    parser.add_argument("--list-scenarios", action="store_true")
    parser.add_argument("--report-dir", type=Path, default=Path("reports"))
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    if arguments.list_scenarios:
        for scenario in CATALOGUE:
            print(f"{scenario.id:<58} [{scenario.source.value}] {scenario.rule}")
        return 0
    unknown = [name for name in arguments.scenario if name not in BY_ID]
    if unknown:
        print(f"ahi-contract sdk: unknown scenario(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    scenarios = [BY_ID[name] for name in arguments.scenario] or None
    with progress(arguments.quiet) as report:
        record = certify(arguments.adapter, scenarios, progress=report)
    paths = write_reports(record, arguments.report_dir)
    outcomes = record.merged()
    for outcome in outcomes:
        if outcome.status == "passed":
            continue
        label = {"deviation": "KNOWN", "failed": "FAIL", "error": "ERROR"}[outcome.status]
        print(f"{label} {outcome.check_id} [{outcome.subject}] {outcome.check.rule}")
        print(f"     source: {outcome.check.source.value} ({outcome.check.reference})")
        print(f"     {outcome.message[:400]}")
    counts = {
        status: sum(o.status == status for o in outcomes)
        for status in ("passed", "deviation", "failed", "error")
    }
    print(
        f"{counts['passed']} passed, {counts['failed'] + counts['error']} failed, "
        f"{counts['deviation']} known deviations ({record.target.get('sdk', {}).get('sdk')})"
    )
    if record.aborted:
        print(f"run ended early: {record.aborted}")
    print("reports: " + ", ".join(str(path) for path in paths))
    return 0 if record.passed else 1
