"""`ahi-contract sdk`: certify an SDK through its adapter against the loopback stub."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from harness.arguments.selection import Selection
from harness.arguments.shard import Shard, shard
from harness.arguments.types import readable_file, unwritable_reason
from harness.cli import epilog, misplaced, refuse, refuse_run, unmatched_patterns
from harness.cli.progress import progress
from harness.report.terminal import problem_lines
from harness.report.writers import write_reports
from harness.sdk.bundled import BUNDLED, PROTOCOL_DOC, deviations_problem
from harness.sdk.bundled import unusable_reason as adapter_unusable
from harness.sdk.protocol import AdapterNotStarted
from harness.sdk.runner import certify
from harness.sdk.scenarios import Scenario, load_catalogue

ENVIRONMENT = (
    "AWS_* credential, region, profile and endpoint variables",
    "                                  not read, and removed from the adapter's environment",
    "                                  (docs/sdk-adapter-protocol.md, Process)",
    "AWS_NEW_RETRIES_2026              set to true for the adapter by --retries-2026 only",
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
        epilog=epilog(
            "a scenario failed (beyond the known deviations), or the adapter broke the "
            "protocol\n       (crashed, hung, or answered out of turn) and the run ended early",
            ENVIRONMENT,
            success="every scenario passed or deviated as the adapter's list says, or a "
            "listing was printed",
        ),
    )
    parser.add_argument(
        "--adapter",
        default="reference",
        metavar="NAME|COMMAND",
        help=f"reference (the harness's client, in-process), a bundled adapter "
        f"({', '.join(sorted(BUNDLED))}; shipped in the package's harness/sdk/adapters), "
        "or the command line of any "
        "adapter program (started once, speaking JSON lines on stdin and stdout)",
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
        metavar="PATTERN",
        help="run only the scenarios matching this ID or family (glob, case-insensitive, "
        "e.g. 'SDK-RETRY-*' or sdk-retries); repeatable (default: the whole catalogue)",
    )
    parser.add_argument(
        "--exclude-scenario",
        action="append",
        default=[],
        metavar="PATTERN",
        help="do not run the scenarios matching this ID or family (glob); repeatable; "
        "wins over --scenario",
    )
    parser.add_argument(
        "--retries-2026",
        action="store_true",
        help="start the adapter with AWS_NEW_RETRIES_2026=true (the SDKs' opt-in to the 2026 "
        "retry behaviour); retry scenarios follow the behaviour the adapter's greeting declares",
    )
    parser.add_argument(
        "--shard",
        type=shard,
        metavar="K/N",
        help="run part K of N of the scenarios (1 <= K <= N), for a CI matrix; "
        "`ahi-contract merge` joins the parts' results.json (default: every scenario)",
    )
    parser.add_argument(
        "--list-scenarios",
        action="store_true",
        help="list the scenarios (those --scenario, --exclude-scenario and --shard select) "
        "and exit",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="how --list-scenarios prints: text (a table for people) or json (a list of "
        "{id, family, operation, rule, source, reference} for tools)",
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
        help="write junit.xml, results.json, summary.md, report.html here (checked before the run)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress on stderr: print only the failures and the summary",
    )
    parser.set_defaults(run=run)


# Options that only mean something with another, or that answer and exit.
NEEDS = {"--format": "--list-scenarios"}
ALONE = {
    "--list-scenarios": ("--scenario", "--exclude-scenario", "--format", "--shard"),
    "--protocol-doc": (),
}
PATTERN_OPTIONS = "--scenario and --exclude-scenario"


def _selection(arguments: argparse.Namespace) -> Selection:
    return Selection(tuple(arguments.scenario), tuple(arguments.exclude_scenario))


def list_scenarios(selection: Selection, output: str, part: Shard | None = None) -> int:
    """Print the scenarios `selection` selects (those of shard `part` of them), in catalogue
    order, as text or JSON."""
    chosen = selection.chosen(load_catalogue())
    if part is not None:
        chosen = part.pick(chosen)
    if output == "json":
        print(json.dumps([_listed(scenario) for scenario in chosen], indent=2))
        return 0
    for scenario in chosen:
        print(f"{scenario.id:<58} {scenario.family:<19} [{scenario.source.value}] {scenario.rule}")
    return 0


def _listed(scenario: Scenario) -> dict[str, str]:
    return {
        "id": scenario.id,
        "family": scenario.family,
        "operation": scenario.operation,
        "rule": scenario.rule,
        "source": scenario.source.value,
        "reference": scenario.reference,
    }


def _refusal(arguments: argparse.Namespace) -> str | None:
    """Why the parsed options cannot start a run, or None."""
    reason = unmatched_patterns(
        _selection(arguments), load_catalogue(), "scenario", PATTERN_OPTIONS
    )
    if reason is None:
        reason = adapter_unusable(arguments.adapter)
    if reason is None and arguments.known_deviations is not None:
        reason = deviations_problem(arguments.known_deviations)
    if reason is None:
        problem = unwritable_reason(arguments.report_dir)
        reason = None if problem is None else f"--report-dir: {problem}"
    return reason


def run(arguments: argparse.Namespace) -> int:
    reason = misplaced(arguments, NEEDS, ALONE)
    if reason is not None:
        if arguments.list_scenarios or arguments.protocol_doc:
            return refuse("sdk", reason)
        return refuse_run("sdk", reason, arguments.report_dir, {"adapter": arguments.adapter})
    if arguments.list_scenarios:
        selection = _selection(arguments)
        reason = unmatched_patterns(selection, load_catalogue(), "scenario", PATTERN_OPTIONS)
        if reason:
            return refuse("sdk", reason)
        return list_scenarios(selection, arguments.format, arguments.shard)
    if arguments.protocol_doc:
        print(PROTOCOL_DOC)
        return 0
    reason = _refusal(arguments)
    if reason is not None:
        return refuse_run("sdk", reason, arguments.report_dir, {"adapter": arguments.adapter})
    selection = _selection(arguments)
    scenarios = None if selection.everything else selection.chosen(load_catalogue())
    try:
        with progress(arguments.quiet) as report:
            record = certify(
                arguments.adapter,
                scenarios,
                progress=report,
                known_deviations=arguments.known_deviations,
                retries_2026=arguments.retries_2026,
                shard=arguments.shard,
            )
    except AdapterNotStarted as error:
        return refuse_run("sdk", str(error), arguments.report_dir, {"adapter": arguments.adapter})
    record.target["selection"] = selection.as_json()
    paths = write_reports(record, arguments.report_dir)
    outcomes = record.merged()
    for line in problem_lines(record, first_line_only=False):
        print(line)
    counts = {
        status: sum(o.status == status for o in outcomes)
        for status in ("passed", "deviation", "failed", "error")
    }
    print(
        f"{counts['passed']} passed, {counts['failed'] + counts['error']} failed, "
        f"{counts['deviation']} known deviations "
        f"({record.target.get('sdk', {}).get('sdk') or arguments.adapter})"
    )
    if record.aborted:
        print(f"run ended early: {record.aborted}")
    print("reports: " + ", ".join(str(path) for path in paths))
    return 0 if record.passed else 1
