"""`ahi-contract server`: certify an endpoint (default: the embedded emulator)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError

from harness.cli import epilog, refuse
from harness.cli.progress import progress
from harness.emulator.faults import FAULTS_BY_NAME
from harness.inputs import unwritable_reason, url
from harness.report.record import RunRecord
from harness.report.writers import write_reports
from harness.server import environment, units
from harness.server.environment import SetupError
from harness.server.options import (
    CredentialsMissing,
    ServerOptions,
    add_options,
    option_values,
    server_options,
)
from harness.server.probe import Probe
from harness.server.registry import load_checks
from harness.server.runner import TargetUnreachable, execute
from harness.server.selection import Selection, UnknownCheck

ENVIRONMENT = (
    "AWS_ENDPOINT_URL_MEDICAL_IMAGING  the service URL when --endpoint is not given",
    "AWS_ENDPOINT_URL_S3               the S3 endpoint when --s3-endpoint is not given",
    "AWS_PROFILE, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWS_ACCESS_KEY_ID,",
    "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_DEFAULT_REGION",
    "                                  botocore's credential and region resolution (SSO too)",
    f"{environment.KEEP_VARIABLE}=1               what --keep does (the pytest front end too)",
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
        epilog=epilog(environment=ENVIRONMENT),
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
        help="how --list-checks prints",
    )
    parser.add_argument(
        "--plan",
        action="store_true",
        help="print what a run would create on the target and what stays afterwards, then exit",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the S3 bucket and the empty scope data store a run would delete "
        "(default: delete them; data stores holding image sets always stay)",
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


def _refusal(arguments: argparse.Namespace) -> str | None:
    """Why the parsed options cannot start a run, or None."""
    unknown = [name for name in arguments.fault if name not in FAULTS_BY_NAME]
    if unknown:
        return f"unknown fault(s): {', '.join(unknown)} (see `ahi-contract emulator --list-faults`)"
    from_environment = os.environ.get("AWS_ENDPOINT_URL_MEDICAL_IMAGING")
    if from_environment and not arguments.endpoint:
        try:
            url(from_environment)
        except argparse.ArgumentTypeError as error:
            return f"AWS_ENDPOINT_URL_MEDICAL_IMAGING: {error}"
    if arguments.fault and (arguments.endpoint or from_environment):
        return "--fault applies to the embedded emulator only"
    if arguments.plan:
        return None
    reason = unwritable_reason(arguments.report_dir)
    return None if reason is None else f"--report-dir: {reason}"


def _configured_region() -> str:
    import boto3

    return boto3.Session().region_name or "us-east-1"


def _datastores(options: ServerOptions) -> dict[str, tuple[str, str]] | None:
    if options.endpoint is None:
        return None
    return environment.datastores(Probe(options.endpoint, options.credentials, options.region))


def run(arguments: argparse.Namespace) -> int:
    if arguments.list_checks:
        return list_checks(
            Selection(tuple(arguments.check), tuple(arguments.exclude_check)), arguments.format
        )
    reason = _refusal(arguments)
    if reason is not None:
        return refuse("server", reason)
    if arguments.keep:
        os.environ[environment.KEEP_VARIABLE] = "1"
    if arguments.plan:
        endpoint = arguments.endpoint or os.environ.get("AWS_ENDPOINT_URL_MEDICAL_IMAGING")
        for line in environment.plan(
            endpoint,
            arguments.region or _configured_region(),
            arguments.workers,
            arguments.datastore_id,
            arguments.job_quota,
            len(units.ALL),
        ):
            print(line)
        return 0
    try:
        options = server_options(option_values(arguments))
    except (CredentialsMissing, BotoCoreError) as error:
        return refuse("server", str(error))
    try:
        before = _datastores(options)
        with progress(arguments.quiet) as report:
            record = execute(options, report)
    except UnknownCheck as error:
        return refuse("server", str(error))
    except (TargetUnreachable, SetupError) as error:
        return refuse("server", f"cannot run: {error}")
    paths = write_reports(record, arguments.report_dir)
    print(summary(record))
    if before is not None:
        after = _datastores(options) or {}
        for line in environment.left_behind(before, after):
            print(f"left on the target: data store {line}")
    print("reports: " + ", ".join(str(path) for path in paths))
    return 0 if record.passed else 1
