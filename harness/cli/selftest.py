"""`ahi-contract selftest`: every fault and SDK bug must be caught, nothing correct flagged."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.arguments.shard import shard
from harness.arguments.types import non_negative_int, positive_int, unwritable_reason
from harness.cli import epilog, refuse, refuse_run, suggestions
from harness.cli.progress import progress
from harness.emulator.faults import FAULTS_BY_NAME
from harness.report.writers import write_reports
from harness.sdk.protocol import AdapterNotStarted
from harness.sdk.reference_bugs import BUGS
from harness.selftest import trials as selftest


def register(subcommands: Any) -> None:
    """Add `selftest` to the root parser."""
    parser = subcommands.add_parser(
        "selftest",
        help="prove the suites catch every emulator fault and SDK bug",
        description=(
            "Run the server suite against the embedded emulator with each fault alone and "
            "without, and the SDK suite against the reference client with each bug alone and "
            "without: every fault and bug must be caught by the checks that declare it, and "
            "nothing correct flagged."
        ),
        epilog=epilog(
            "a fault or bug missed (MISSED), or the clean emulator or client flagged (FLAGGED)",
            success="every fault and bug caught by its declared checks, nothing correct flagged",
        ),
    )
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=1,
        metavar="N",
        help="the server runs' seed, 0 or more",
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=3,
        metavar="N",
        help="processes running server trials side by side, 1 or more (the trials that mostly "
        "wait, SDK runs and two slow faults, run on twice as many); the default suits 2 cores",
    )
    parser.add_argument(
        "--fault",
        action="append",
        metavar="NAME",
        help="only this emulator fault (`ahi-contract emulator --list-faults`); repeatable "
        "(default: every fault)",
    )
    parser.add_argument(
        "--bug",
        action="append",
        metavar="NAME",
        help="only this reference-client bug; repeatable (default: every bug)",
    )
    parser.add_argument(
        "--shard",
        type=shard,
        metavar="K/N",
        help="run part K of N of the trials (1 <= K <= N), for a CI matrix; "
        "`ahi-contract merge` joins the parts' results.json (default: every trial)",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports/selftest"),
        metavar="DIR",
        help="write junit.xml, results.json, summary.md, report.html here (checked before the run)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress on stderr: print only the verdicts and the summary",
    )
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    unknown = [f for f in arguments.fault or () if f not in FAULTS_BY_NAME]
    unknown += [b for b in arguments.bug or () if b not in BUGS]
    if unknown:
        unknown_text = f"unknown fault or bug: {', '.join(unknown)}" + suggestions(
            unknown, [*FAULTS_BY_NAME, *BUGS]
        )
        return refuse_run("selftest", unknown_text, arguments.report_dir, seed=arguments.seed)
    reason = unwritable_reason(arguments.report_dir)
    if reason is not None:
        return refuse("selftest", f"--report-dir: {reason}")
    try:
        with progress(arguments.quiet) as report:
            record = selftest.run(
                arguments.seed,
                arguments.workers,
                report,
                arguments.fault,
                arguments.bug,
                arguments.shard,
            )
    except AdapterNotStarted as error:
        return refuse_run("selftest", str(error), arguments.report_dir, seed=arguments.seed)
    paths = write_reports(record, arguments.report_dir)
    for outcome in record.merged():
        verdict = "caught" if outcome.check_id != selftest.CLEAN.id else "clean"
        if outcome.status != "passed":
            verdict = "MISSED" if outcome.check_id != selftest.CLEAN.id else "FLAGGED"
        print(f"{verdict:<8} {outcome.subject:<32} {outcome.message[:150]}")
    missed = sum(o.status != "passed" for o in record.outcomes)
    print(f"{len(record.outcomes) - missed} passed, {missed} failed")
    print("reports: " + ", ".join(str(path) for path in paths))
    return 0 if record.passed else 1
