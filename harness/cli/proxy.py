"""`ahi-contract proxy`: judge an application's live traffic on its way to an endpoint."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from harness.arguments.types import unwritable_reason, url
from harness.cli import TRACEBACK_VARIABLE, refuse
from harness.proxy.judge import judged_checks
from harness.proxy.session import ContractProxy, ProxySettings
from harness.proxy.upstream import AWS
from harness.report.har import Recording
from harness.report.record import Outcome, RunRecord
from harness.report.terminal import problem_lines
from harness.report.writers import write_reports
from harness.server.options import resolve_credentials

DESCRIPTION = (
    "Listen on a local port and pass an application's HealthImaging requests on to "
    "--upstream (a URL, or `aws` for the service's own endpoints), judging each request "
    "its SDK sends (path, labels, query, body, idempotency tokens, host prefix, SigV4, "
    "retry headers) and each answer the endpoint gives (the spec's schemas and error "
    "shapes, and the oracle's rules fed by everything seen so far). A violation is printed "
    "as it happens; when the session ends (Ctrl-C, SIGTERM, --duration or --requests) the "
    "history is judged as a whole and the reports are written. Toward a URL a request "
    "passes with its own signature; toward AWS, or with --resign, the proxy signs it again "
    "with the credentials of the standard AWS chain."
)
EPILOG = f"""\
printed on stdout at start: the proxy's URL and the lines that point an application at it
  reverse mode: the SDK's endpoint is the proxy (turn its runtime- host prefix off)
  forward mode: the SDK's HTTP proxy is the proxy and its endpoint the upstream (http://)
then one line per violation as it is found, and at the end the failures, a summary of
what each check judged, and the reports written

exit status:
  0  the session ended (SIGINT, SIGTERM, --duration or --requests) and its reports were
     written
  1  as 0, and a check failed with --fail-on violation
  2  refused before serving: a bad option or value, a port in use, an unwritable
     --report-dir, no credentials to sign again with; one line on stderr says why

environment:
  AWS_PROFILE, AWS_ACCESS_KEY_ID, ...  the proxy's own credentials (signing again, polling
                                       jobs at the end) and region
  {TRACEBACK_VARIABLE}=1          show the traceback of an internal error
"""


def register(subcommands: Any) -> None:
    """Add `proxy` to the root parser."""
    parser = subcommands.add_parser(
        "proxy",
        help="judge an application's live traffic to an endpoint",
        description=DESCRIPTION,
        epilog=EPILOG,
    )
    parser.add_argument(
        "--upstream",
        required=True,
        type=_upstream,
        help="where requests go: an endpoint URL, or `aws` (the service in --region)",
    )
    parser.add_argument("--region", help="the upstream's region (default: botocore's)")
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    parser.add_argument("--port", type=int, default=0, help="the port (default: a free one)")
    parser.add_argument(
        "--resign",
        action="store_true",
        help="sign every request again with the proxy's credentials (always with `aws`)",
    )
    parser.add_argument("--duration", type=float, help="end the session after SECONDS")
    parser.add_argument("--requests", type=int, help="end it after N judged requests")
    parser.add_argument(
        "--job-timeout",
        type=float,
        default=60.0,
        help="seconds to poll, at the end, the import jobs last seen running",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports"),
        help="where the reports go when the session ends",
    )
    parser.add_argument("--record", type=Path, help="write every judged exchange to this HAR file")
    parser.add_argument(
        "--fail-on",
        choices=("violation", "never"),
        default="never",
        help="exit 1 when a check failed (violation), for CI",
    )
    parser.add_argument("--list-checks", action="store_true", help="list what is judged")
    parser.set_defaults(run=run)


def _upstream(value: str) -> str:
    return AWS if value == AWS else url(value)


def run(arguments: argparse.Namespace) -> int:
    if arguments.list_checks:
        from harness.checks import REGISTRY

        for check_id in judged_checks():
            check = REGISTRY[check_id]
            print(f"{check.id:<28} {check.family:<12} [{check.source.value}] {check.rule}")
        return 0
    reason = unwritable_reason(arguments.report_dir)
    if reason is not None:
        return refuse("proxy", f"--report-dir: {reason}")
    credentials, region = resolve_credentials({"region": arguments.region})
    resign = arguments.resign or arguments.upstream == AWS
    if resign and credentials is None:
        return refuse(
            "proxy",
            "signing again needs the proxy's own credentials: none in the environment, "
            "AWS_PROFILE or the AWS config and credentials files",
        )
    settings = ProxySettings(
        arguments.upstream,
        region or "us-east-1",
        arguments.host,
        arguments.port,
        arguments.resign,
        arguments.job_timeout,
    )
    with Recording(arguments.record) as recording:
        if credentials is not None:
            recording.secrets += [credentials.secret_key, credentials.session_token]
        with ContractProxy(settings, credentials, _print_violation) as proxy:
            _announce(proxy)
            proxy.limit = arguments.requests
            _serve(proxy.judged, arguments.duration)
            record = proxy.finish()
            recording.record = record
            recording.keep(proxy.judge.context.probe.history)
    written = write_reports(record, arguments.report_dir)
    print("\n".join(summary(record)))
    print(f"reports: {', '.join(str(path) for path in written)}")
    failed = any(outcome.status == "failed" for outcome in record.outcomes)
    return 1 if failed and arguments.fail_on == "violation" else 0


def _announce(proxy: ContractProxy) -> None:
    upstream = proxy.upstream
    lines = [
        f"proxy: {proxy.url} -> {upstream.base}",
        "reverse mode (the proxy is the SDK's endpoint):",
        f"  export AWS_ENDPOINT_URL_MEDICAL_IMAGING={proxy.url}",
        "  export AWS_DISABLE_HOST_PREFIX_INJECTION=true",
    ]
    if upstream.url is not None and upstream.url.startswith("http://"):
        lines += [
            "forward mode (the proxy is the SDK's HTTP proxy; the runtime- prefix works):",
            f"  export AWS_ENDPOINT_URL_MEDICAL_IMAGING={upstream.url}",
            f"  export HTTP_PROXY={proxy.url}",
        ]
    lines.append("ready")
    print("\n".join(lines), flush=True)


def _print_violation(outcome: Outcome) -> None:
    first = (outcome.message or outcome.status).splitlines()[0]
    label = "FAIL" if outcome.status == "failed" else "ERROR"
    print(f"{label} {outcome.check_id} [{outcome.subject}] {first}", flush=True)


def _serve(done: threading.Event, duration: float | None) -> None:
    """Wait for the session's end: `done` (the request limit), `duration`, or Ctrl-C or
    SIGTERM, which end it as the other two do."""
    ends = time.monotonic() + duration if duration is not None else None
    try:
        while not done.wait(0.2):
            if ends is not None and time.monotonic() >= ends:
                return
    except KeyboardInterrupt:
        print("stopping: judging the whole history", file=sys.stderr)


def summary(record: RunRecord) -> list[str]:
    """The failures, what each check judged, and the counts."""
    judged = Counter(outcome.check_id for outcome in record.outcomes)
    failed = Counter(o.check_id for o in record.outcomes if o.status in ("failed", "error"))
    idle = record.target.get("nothingToJudge", [])
    lines = problem_lines(record)
    lines.append(
        f"{record.target.get('requests', 0)} requests judged "
        f"({record.target.get('passedThrough', 0)} passed through unjudged); "
        f"{sum(judged.values()) - sum(failed.values())} passed, {sum(failed.values())} failed "
        f"over {len(judged)} checks"
    )
    if idle:
        lines.append(f"nothing to judge for: {', '.join(idle)}")
    return lines
