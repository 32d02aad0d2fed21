"""`ahi-contract server`: certify an endpoint (default: the embedded emulator)."""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError

from harness.arguments.types import unwritable_reason, url
from harness.cli import (
    epilog,
    misplaced,
    refuse,
    refuse_run,
    suggestions,
    unmatched_patterns,
)
from harness.cli.progress import progress
from harness.emulator.faults import FAULTS_BY_NAME
from harness.report.record import RunRecord
from harness.report.terminal import problem_lines
from harness.report.writers import write_reports
from harness.server import environment, units
from harness.server.cleanup import KEEP_VARIABLE
from harness.server.environment import SetupError
from harness.server.options import (
    CredentialsMissing,
    add_options,
    option_values,
    server_options,
)
from harness.server.runner import TargetUnreachable, execute
from harness.server.selection import Selection, UnknownCheck
from harness.server.units import load_checks

ENVIRONMENT = (
    "AWS_ENDPOINT_URL_MEDICAL_IMAGING  the service URL when --endpoint is not given",
    "AWS_ENDPOINT_URL_S3               the S3 endpoint when --s3-endpoint is not given",
    "AWS_PROFILE, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWS_ACCESS_KEY_ID,",
    "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_DEFAULT_REGION",
    "                                  botocore's credential and region resolution (SSO too)",
    f"{KEEP_VARIABLE}=1               what --keep does (the pytest front end too)",
)


def register(subcommands: Any) -> None:
    """Add `server` to the root parser."""
    parser = subcommands.add_parser(
        "server",
        help="certify an endpoint against the spec and the documented behaviour",
        description=(
            "Certify an endpoint against the spec and the documented behaviour. With no "
            "--endpoint (and no AWS_ENDPOINT_URL_MEDICAL_IMAGING) it starts the embedded "
            "emulator and its S3. Credentials and region come from botocore's resolution; "
            "the options override them."
        ),
        epilog=epilog(
            "a check failed (a FAIL line names each, with its source and evidence)",
            ENVIRONMENT,
            success="every check passed, or --list-checks or --plan printed what it was asked",
        ),
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
        help="how --list-checks prints: text (a table for people) or json (a list of "
        "{id, family, rule, source, reference} for tools)",
    )
    parser.add_argument(
        "--plan",
        action="store_true",
        help="print what a run would create on the target and what stays afterwards, then exit",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep everything the run made on the target (image sets, data stores, the S3 "
        "bucket); default: delete it all when the run ends, also after a failure or "
        "SIGINT/SIGTERM",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress on stderr: print only the failures and the summary",
    )
    parser.set_defaults(run=run)


def list_checks(selection: Selection, output: str) -> int:
    """Print the server suite's checks that `selection` selects, as text or JSON."""
    catalogue = load_checks()
    reason = unmatched_patterns(selection, catalogue, "check", PATTERN_OPTIONS)
    if reason is not None:
        return refuse("server", reason)
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
    """The failures, each failed check's replay command, and the counts, as printed."""
    outcomes = record.merged()
    failed = [o for o in outcomes if o.status != "passed"]
    lines = problem_lines(record)
    passed = len(outcomes) - len(failed)
    lines.append(
        f"{passed} passed, {len(failed)} failed"
        f" ({len({o.check_id for o in outcomes})} checks, seed {record.seed})"
    )
    return "\n".join(lines)


# Options that only mean something with another, or that answer and exit.
NEEDS = {"--format": "--list-checks"}
ALONE = {"--list-checks": ("--check", "--exclude-check", "--format")}
EXCLUDES = {
    "--plan": ("--report-dir", "--record", "--quiet", "--seed", "--request-timeout"),
}
PATTERN_OPTIONS = "--check and --exclude-check"
# Options the embedded emulator has no use for: they describe a given --endpoint.
REMOTE_ONLY = {
    "--access-key": "the embedded emulator takes its own test credentials",
    "--secret-key": "the embedded emulator takes its own test credentials",
    "--session-token": "the embedded emulator takes its own test credentials",
    "--s3-endpoint": "the embedded emulator starts its own S3",
    "--datastore-id": "the embedded emulator starts empty",
    "--job-quota": "the embedded emulator's quota is known",
}


def _selection(arguments: argparse.Namespace) -> Selection:
    return Selection(tuple(arguments.check), tuple(arguments.exclude_check))


def _refusal(arguments: argparse.Namespace) -> str | None:
    """Why the parsed options cannot start a run (or a listing or a plan), or None."""
    if arguments.list_checks:
        return None
    if arguments.check or arguments.exclude_check:
        reason = unmatched_patterns(_selection(arguments), load_checks(), "check", PATTERN_OPTIONS)
        if reason is not None:
            return reason
    unknown = [name for name in arguments.fault if name not in FAULTS_BY_NAME]
    if unknown:
        return (
            f"unknown fault(s): {', '.join(unknown)}{suggestions(unknown, FAULTS_BY_NAME)} "
            "(see `ahi-contract emulator --list-faults`)"
        )
    from_environment = os.environ.get("AWS_ENDPOINT_URL_MEDICAL_IMAGING")
    if from_environment and not arguments.endpoint:
        try:
            url(from_environment)
        except argparse.ArgumentTypeError as error:
            return f"AWS_ENDPOINT_URL_MEDICAL_IMAGING: {error}"
    if arguments.fault and (arguments.endpoint or from_environment):
        return "--fault applies to the embedded emulator only"
    if not (arguments.endpoint or from_environment):
        for option, why in REMOTE_ONLY.items():
            if getattr(arguments, option[2:].replace("-", "_")) is not None:
                return f"{option} applies to a given --endpoint only ({why})"
    if (arguments.access_key is None) != (arguments.secret_key is None):
        return "--access-key and --secret-key go together"
    if arguments.session_token is not None and arguments.access_key is None:
        return "--session-token applies only with --access-key and --secret-key"
    if arguments.plan:
        return None
    reason = unwritable_reason(arguments.report_dir)
    return None if reason is None else f"--report-dir: {reason}"


def _configured_region() -> str:
    import boto3

    return boto3.Session().region_name or "us-east-1"


def _refused(arguments: argparse.Namespace, reason: str) -> int:
    """Refuse the run; a run (not a listing or a plan) leaves in its --report-dir a report
    set saying it was refused and why, in place of an earlier run's."""
    if arguments.list_checks or arguments.plan:
        return refuse("server", reason)
    endpoint = arguments.endpoint or os.environ.get("AWS_ENDPOINT_URL_MEDICAL_IMAGING")
    target = {"endpoint": endpoint, "embedded": not endpoint, "faults": arguments.fault}
    return refuse_run(
        "server", reason, arguments.report_dir, target, arguments.seed, arguments.profile
    )


def run(arguments: argparse.Namespace) -> int:
    reason = misplaced(arguments, NEEDS, ALONE, EXCLUDES)
    if reason is not None:
        return _refused(arguments, reason)
    reason = _refusal(arguments)
    if reason is not None:
        return _refused(arguments, reason)
    if arguments.list_checks:
        return list_checks(_selection(arguments), arguments.format)
    if arguments.keep:
        os.environ[KEEP_VARIABLE] = "1"
    if arguments.plan:
        endpoint = arguments.endpoint or os.environ.get("AWS_ENDPOINT_URL_MEDICAL_IMAGING")
        for line in environment.plan(
            endpoint,
            arguments.region or _configured_region(),
            arguments.workers,
            arguments.datastore_id,
            arguments.job_quota,
            len(units.names()),
        ):
            print(line)
        return 0
    try:
        options = server_options(option_values(arguments))
    except (CredentialsMissing, BotoCoreError) as error:
        return _refused(arguments, str(error))
    try:
        with progress(arguments.quiet) as report:
            record = execute(options, report)
    except UnknownCheck as error:
        return _refused(arguments, str(error))
    except (TargetUnreachable, SetupError) as error:
        return _refused(arguments, f"cannot run: {error}")
    paths = write_reports(record, arguments.report_dir)
    print(summary(record))
    for line in record.target.get("leftBehind", ()):
        print(f"left on the target: {line}")
    print("reports: " + ", ".join(str(path) for path in paths))
    return 0 if record.passed else 1
