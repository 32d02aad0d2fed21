"""The headers every answer carries, whatever the operation: AWS's request id, HTTP's Date,
and the Content-Type of a JSON body; and request ids unique over the whole run."""

from __future__ import annotations

from collections import defaultdict
from email.utils import parsedate_to_datetime

from harness.checks import Check, Source
from harness.model import operations
from harness.report.record import Outcome
from harness.server.context import SuiteContext
from harness.server.derived import every_operation
from harness.server.expect import SHOWN, judge_answers
from harness.server.observation import Observation
from harness.server.registry import RunTotals, Trigger, server_check


def _header_problems(seen: Observation) -> list[str]:
    exchange = seen.exchange
    problems = []
    if not (exchange.header("x-amzn-RequestId") or "").strip():
        problems.append("no x-amzn-RequestId")
    date = exchange.header("Date")
    try:
        parsedate_to_datetime(date or "")
    except (TypeError, ValueError):
        problems.append(f"Date {date!r} is not an HTTP date")
    blob = exchange.status == 200 and operations()[seen.operation].blob_output
    content_type = (exchange.header("Content-Type") or "").split(";")[0].strip().lower()
    if exchange.body and not blob and content_type != "application/json":
        problems.append(f"a JSON body sent as Content-Type {content_type or '(none)'!r}")
    return problems


@server_check(
    "RESPONSE-HEADERS",
    "protocol",
    "Every answer, success or error, carries x-amzn-RequestId and an HTTP Date, and a JSON "
    "body is sent as application/json",
    Source.AWS_CONVENTION,
    "x-amzn-RequestId: the request id AWS SDKs read into ResponseMetadata.RequestId "
    "(botocore parsers.py); Date: RFC 9110 section 6.6.1; Content-Type: Smithy restJson1, "
    "JSON documents and errors are application/json",
    trigger=Trigger.HISTORY,
    covers=every_operation,
)
def response_headers(context: SuiteContext, check: Check) -> None:
    answered = (seen for seen in context.model.observations if seen.exchange.status is not None)
    judge_answers(context, check, answered, _header_problems)


@server_check(
    "REQUEST-ID-UNIQUE",
    "protocol",
    "No two answers of a run, in any of its worker processes, carry the same x-amzn-RequestId",
    Source.AWS_CONVENTION,
    "the request id names one request, for AWS Support and CloudTrail (AWS SDK developer "
    "guides: 'request ID'); botocore parsers.py reads it into ResponseMetadata.RequestId",
    trigger=Trigger.RUN,
)
def request_ids_unique(totals: RunTotals, check: Check) -> None:
    seen: dict[str, list[str]] = defaultdict(list)
    for answered in totals.answers:
        if answered.request_id:
            seen[answered.request_id].append(answered.operation)
    repeated = {request_id: ops for request_id, ops in seen.items() if len(ops) > 1}
    totals.record.add(
        Outcome(
            check.id,
            "every answer",
            "failed" if repeated else "passed",
            f"{len(repeated)} request ids answered more than once, e.g. "
            + "; ".join(
                f"{request_id} ({', '.join(sorted(set(ops)))}, {len(ops)} answers)"
                for request_id, ops in list(repeated.items())[:SHOWN]
            )
            if repeated
            else f"{len(seen)} request ids, each answered once",
        )
    )
