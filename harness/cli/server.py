"""`ahi-contract server`: certify an endpoint (default: the embedded emulator)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from harness.checks import REGISTRY
from harness.cli.progress import progress
from harness.report.record import RunRecord
from harness.report.writers import write_reports
from harness.server.context import PROFILES
from harness.server.environment import SetupError
from harness.server.runner import EMBEDDED_ROLE, ServerOptions, TargetUnreachable, execute
from harness.sigv4 import AwsCredentials


def register(subcommands: Any) -> None:
    """Add `server` to the root parser."""
    parser = subcommands.add_parser(
        "server", help="certify an endpoint against the spec and the documented behaviour"
    )
    parser.add_argument("--endpoint", help="the service URL (default: start the emulator)")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    parser.add_argument("--access-key", default=os.environ.get("AWS_ACCESS_KEY_ID"))
    parser.add_argument("--secret-key", default=os.environ.get("AWS_SECRET_ACCESS_KEY"))
    parser.add_argument("--session-token", default=os.environ.get("AWS_SESSION_TOKEN"))
    parser.add_argument("--s3-endpoint", help="the S3 endpoint the target imports from")
    parser.add_argument("--role-arn", default=EMBEDDED_ROLE, help="dataAccessRoleArn to send")
    parser.add_argument("--datastore-id", help="use this ACTIVE data store instead of creating one")
    parser.add_argument(
        "--job-quota", type=int, help="the target's concurrent-job quota (enables QUOTA-402)"
    )
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument("--seed", type=int, help="replay a run (printed at the start)")
    parser.add_argument("--request-timeout", type=float, default=15.0)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="spread the units over N processes (each its own "
        "data store and bucket); results merge into one report",
    )
    parser.add_argument("--report-dir", type=Path, default=Path("reports"))
    parser.add_argument(
        "--fault", action="append", default=[], help="enable an emulator fault (embedded only)"
    )
    parser.add_argument("--list-checks", action="store_true", help="list every check and exit")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    parser.set_defaults(run=run)


def list_checks() -> None:
    for check in sorted(REGISTRY.values(), key=lambda c: (c.family, c.id)):
        print(f"{check.id:<28} {check.family:<12} [{check.source.value}] {check.rule}")
        print(f"{'':<28} {'':<12} source: {check.reference}")


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
        list_checks()
        return 0
    if arguments.fault and arguments.endpoint:
        print("ahi-contract server: --fault applies to the embedded emulator only", file=sys.stderr)
        return 2
    credentials = AwsCredentials("test", "test")
    if arguments.endpoint:
        if not arguments.access_key or not arguments.secret_key:
            print(
                "ahi-contract server: --endpoint needs credentials (AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, or --access-key and --secret-key)",
                file=sys.stderr,
            )
            return 2
        credentials = AwsCredentials(
            arguments.access_key, arguments.secret_key, arguments.session_token
        )
    options = ServerOptions(
        endpoint=arguments.endpoint,
        region=arguments.region,
        credentials=credentials,
        s3_endpoint=arguments.s3_endpoint,
        role_arn=arguments.role_arn,
        datastore_id=arguments.datastore_id,
        job_quota=arguments.job_quota,
        profile=arguments.profile,
        seed=arguments.seed,
        request_timeout=arguments.request_timeout,
        faults=tuple(arguments.fault),
        workers=arguments.workers,
    )
    try:
        with progress(arguments.quiet) as report:
            record = execute(options, report)
    except (TargetUnreachable, SetupError) as error:
        print(f"ahi-contract server: cannot run: {error}", file=sys.stderr)
        return 2
    paths = write_reports(record, arguments.report_dir)
    print(summary(record))
    print("reports: " + ", ".join(str(path) for path in paths))
    return 0 if record.passed else 1
