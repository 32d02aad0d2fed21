"""`ahi-contract merge RESULTS...`: one set of reports from the shards of a run."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.arguments.types import readable_file, unwritable_reason
from harness.cli import epilog, refuse
from harness.report.compare import ResultsError
from harness.report.merge import MergeError, merge
from harness.report.terminal import problem_lines
from harness.report.writers import write_reports


def register(subcommands: Any) -> None:
    """Add `merge` to the root parser."""
    parser = subcommands.add_parser(
        "merge",
        help="join the results.json of a run's shards into one set of reports",
        description=(
            "Join the results.json files of the N shards of one run (`server`, `sdk` or "
            "`selftest` with --shard K/N, each K once) into one set of reports, as the "
            "unsharded run would have written; `diff` compares the merged results like any "
            "other. Files of different kinds, seeds, profiles, harness or model versions, "
            "faults or SDKs, a missing shard or one given twice are refused."
        ),
        epilog=epilog(
            "a check failed in some shard (or a fault or bug was missed)",
            success="every shard passed",
        ),
    )
    parser.add_argument(
        "results",
        nargs="+",
        type=readable_file,
        metavar="RESULTS",
        help="the results.json of each shard",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="write junit.xml, results.json, summary.md, report.html here",
    )
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    reason = unwritable_reason(arguments.report_dir)
    if reason is not None:
        return refuse("merge", f"--report-dir: {reason}")
    _register_every_check()
    try:
        record = merge(arguments.results)
    except (ResultsError, MergeError) as error:
        return refuse("merge", str(error))
    paths = write_reports(record, arguments.report_dir)
    for line in problem_lines(record):
        print(line)
    statuses = [outcome.status for outcome in record.merged()]
    deviations = statuses.count("deviation")
    print(
        f"{len(arguments.results)} shards of a {record.kind} run: "
        f"{statuses.count('passed')} passed, "
        f"{statuses.count('failed') + statuses.count('error')} failed"
        + (f", {deviations} known deviations" if deviations else "")
    )
    if record.aborted:
        print(f"ended early: {record.aborted}")
    print("reports: " + ", ".join(str(path) for path in paths))
    return 0 if record.passed else 1


def _register_every_check() -> None:
    """Every check a results file may name: the server suite's, the SDK catalogue's and the
    self-test's."""
    from harness.sdk import runner  # noqa: F401  (registers the SDK run's own checks)
    from harness.sdk.scenarios import load_catalogue
    from harness.selftest import trials  # noqa: F401  (registers the self-test's checks)
    from harness.server.units import load_checks

    load_checks()
    load_catalogue()
