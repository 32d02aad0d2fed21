"""`ahi-contract selftest`: every fault and SDK bug must be caught, nothing correct flagged."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from harness import selftest
from harness.cli.progress import progress
from harness.emulator.faults import FAULTS_BY_NAME
from harness.report.writers import write_reports
from harness.sdk.reference_adapter import BUGS


def register(subcommands: Any) -> None:
    """Add `selftest` to the root parser."""
    parser = subcommands.add_parser(
        "selftest", help="prove the suites catch every emulator fault and SDK bug"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fault", action="append", help="only these faults")
    parser.add_argument("--bug", action="append", help="only these SDK bugs")
    parser.add_argument("--report-dir", type=Path, default=Path("reports/selftest"))
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    unknown = [f for f in arguments.fault or () if f not in FAULTS_BY_NAME]
    unknown += [b for b in arguments.bug or () if b not in BUGS]
    if unknown:
        print(f"ahi-contract selftest: unknown fault or bug: {', '.join(unknown)}", file=sys.stderr)
        return 2
    with progress(arguments.quiet) as report:
        record = selftest.run(
            arguments.seed, arguments.workers, report, arguments.fault, arguments.bug
        )
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
