"""`ahi-contract sdk`: certify an SDK through its adapter against the loopback stub."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.cli import epilog, refuse
from harness.cli.progress import progress
from harness.inputs import readable_file, unwritable_reason
from harness.report.writers import write_reports
from harness.sdk.bundled import ADAPTERS_DIR, BUNDLED, PROTOCOL_DOC, deviations_problem
from harness.sdk.bundled import unusable_reason as adapter_unusable
from harness.sdk.runner import certify
from harness.sdk.scenarios import BY_ID, CATALOGUE

ENVIRONMENT = (
    "none read by the harness; the adapter runs without AWS_* credential, region,",
    "profile and endpoint variables (docs/sdk-adapter-protocol.md, Process)",
)


def register(subcommands: Any) -> None:
    """Add `sdk` to the root parser."""
    parser = subcommands.add_parser(
        "sdk",
        help="certify an SDK: errors, idempotency tokens, retries, (de)serialization",
        description=(
            "Certify an SDK: the harness plays the service on a loopback stub and an adapter "
            "makes each scenario's calls through the SDK, as the adapter protocol defines "
            "(--protocol-doc prints where it is)."
        ),
        epilog=epilog(" or an adapter broke the protocol", ENVIRONMENT),
    )
    parser.add_argument(
        "--adapter",
        default="reference",
        metavar="NAME|COMMAND",
        help=f"reference (the harness's client, in-process), a bundled adapter "
        f"({', '.join(sorted(BUNDLED))}; in {ADAPTERS_DIR}), or the command line of any "
        "adapter program",
    )
    parser.add_argument(
        "--known-deviations",
        type=readable_file,
        metavar="FILE",
        help="the adapter's known deviations: a JSON list of {scenario, observed, why, where} "
        "(default: the bundled adapter's own list; none for other adapters)",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="ID",
        help="run only this scenario; repeat for more (default: the whole catalogue)",
    )
    parser.add_argument(
        "--retries-2026",
        action="store_true",
        help="start the adapter with AWS_NEW_RETRIES_2026=true (the SDKs' opt-in to the 2026 "
        "retry behaviour); retry scenarios follow the behaviour the adapter's greeting declares",
    )
    parser.add_argument(
        "--list-scenarios", action="store_true", help="list every scenario and exit"
    )
    parser.add_argument(
        "--protocol-doc",
        action="store_true",
        help="print the path of the adapter protocol document shipped with the package, and exit",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="write junit.xml, results.json, summary.md, report.html here",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    parser.set_defaults(run=run)


def _refusal(arguments: argparse.Namespace) -> str | None:
    """Why the parsed options cannot start a run, or None."""
    unknown = [name for name in arguments.scenario if name not in BY_ID]
    if unknown:
        return f"unknown scenario(s): {', '.join(unknown)} (see --list-scenarios)"
    reason = adapter_unusable(arguments.adapter)
    if reason is None and arguments.known_deviations is not None:
        reason = deviations_problem(arguments.known_deviations)
    if reason is None:
        problem = unwritable_reason(arguments.report_dir)
        reason = None if problem is None else f"--report-dir: {problem}"
    return reason


def run(arguments: argparse.Namespace) -> int:
    if arguments.list_scenarios:
        for scenario in CATALOGUE:
            print(f"{scenario.id:<58} [{scenario.source.value}] {scenario.rule}")
        return 0
    if arguments.protocol_doc:
        print(PROTOCOL_DOC)
        return 0
    reason = _refusal(arguments)
    if reason is not None:
        return refuse("sdk", reason)
    scenarios = [BY_ID[name] for name in arguments.scenario] or None
    with progress(arguments.quiet) as report:
        record = certify(
            arguments.adapter,
            scenarios,
            progress=report,
            known_deviations=arguments.known_deviations,
            retries_2026=arguments.retries_2026,
        )
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
