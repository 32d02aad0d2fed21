"""Retries: what is retried, what is final, and when the SDK gives up."""

from __future__ import annotations

from harness.checks import Source
from harness.sdk import matchers
from harness.sdk.scenarios.base import Add, Expect, Scenario, reply
from harness.sdk.scenarios.samples import SAMPLE_INPUT, SAMPLE_OUTPUT, ok
from harness.sdk.stub import Reply

# The retry quota of the AWS SDKs' standard mode (AWS SDKs and Tools Reference Guide,
# "Retry behavior"): a bucket of 500 tokens per client; a retry takes 5 (10 after a timeout);
# a retry that cannot take its tokens is not made, and the error is surfaced.
QUOTA_TOKENS = 500
RETRY_COST = 5
# Standard mode backoff: attempt i (1-based) waits rand(0, 1) * min(2 ** (i - 1), 20) s.
BACKOFF_BOUNDS = [1.0, 2.0]
# Request handling and scheduling on a busy machine, added to each bound (harness choice).
BACKOFF_TOLERANCE = 0.5


def _retries(add: Add) -> None:
    get = "GetDICOMImportJob"
    throttled = reply(429, {"message": "slow down"}, "ThrottlingException")
    add(
        Scenario(
            "SDK-RETRY-THROTTLING",
            "sdk-retries",
            "ThrottlingException (429) is retried",
            Source.AWS_CONVENTION,
            "AWS SDK retry behaviour: throttling errors are retryable",
            get,
            SAMPLE_INPUT[get],
            (throttled, throttled, ok(get)),
            Expect("output", attempts=3, output=SAMPLE_OUTPUT[get]),
            request_rules=(matchers.invocation_id_constant(),),
        )
    )
    add(
        Scenario(
            "SDK-RETRY-GIVES-UP",
            "sdk-retries",
            "After maxAttempts throttled answers the last error is surfaced",
            Source.AWS_CONVENTION,
            "AWS SDK retry behaviour: maxAttempts is the total",
            get,
            SAMPLE_INPUT[get],
            (throttled, throttled, throttled),
            Expect("service", "ThrottlingException", True, "slow down", 429, attempts=3),
        )
    )
    for status in (500, 502, 503, 504):
        first = (
            reply(500, {"message": "m"}, "InternalServerException")
            if status == 500
            else reply(status, raw=b"<html>gateway trouble</html>")
        )
        add(
            Scenario(
                f"SDK-RETRY-{status}",
                "sdk-retries",
                f"A transient {status} is retried",
                Source.AWS_CONVENTION,
                "AWS SDK retry behaviour: 500, 502, 503, 504 are transient",
                get,
                SAMPLE_INPUT[get],
                (first, ok(get)),
                Expect("output", attempts=2),
            )
        )
    for status, name in (
        (400, "ValidationException"),
        (402, "ServiceQuotaExceededException"),
        (403, "AccessDeniedException"),
        (404, "ResourceNotFoundException"),
        (409, "ConflictException"),
    ):
        add(
            Scenario(
                f"SDK-NO-RETRY-{status}",
                "sdk-retries",
                f"A {status} {name} is not retried",
                Source.AWS_CONVENTION,
                "AWS SDK retry behaviour: client errors are final",
                "StartDICOMImportJob",
                SAMPLE_INPUT["StartDICOMImportJob"],
                (reply(status, {"message": "m"}, name), ok("StartDICOMImportJob")),
                Expect("service", name, True, "m", status, attempts=1),
            )
        )


def _beyond(add: Add) -> None:
    """The parts of the standard retry behaviour beyond which answers are retried."""
    get = "GetDICOMImportJob"
    failed = reply(500, {"message": "m"}, "InternalServerException")
    standard = (
        "AWS SDKs and Tools Reference Guide, Retry behavior (standard mode): retry quota of "
        "500 tokens, 5 per retry, 10 per retry after a timeout"
    )
    full = QUOTA_TOKENS // (2 * RETRY_COST)
    add(
        Scenario(
            "SDK-RETRY-QUOTA-COST",
            "sdk-retries",
            f"Under a burst of 500s one client makes {full} calls of 3 attempts (2 retries "
            f"x {RETRY_COST} tokens from {QUOTA_TOKENS}), then stops retrying",
            Source.AWS_CONVENTION,
            standard,
            get,
            SAMPLE_INPUT[get],
            (failed,),
            Expect("service", "InternalServerException", True, "m", 500, attempts=3 * full + 2),
            calls=full + 2,
            request_rules=(matchers.attempts_per_call([3] * full + [1, 1]),),
            shared_client=True,
        )
    )
    add(
        Scenario(
            "SDK-RETRY-QUOTA-EXHAUSTS",
            "sdk-retries",
            "A long burst of 500s exhausts one client's retry quota: its last calls are not "
            "retried and surface the error",
            Source.AWS_CONVENTION,
            standard + "; the 2026 defaults (14 tokens per retry) exhaust it sooner",
            get,
            SAMPLE_INPUT[get],
            (failed,),
            Expect("service", "InternalServerException", True, "m", 500),
            calls=full + 10,
            request_rules=(matchers.last_calls_single_attempt(2, full + 10),),
            shared_client=True,
        )
    )
    add(
        Scenario(
            "SDK-RETRY-BACKOFF-BOUNDS",
            "sdk-retries",
            f"With the SDK's own delays, the waits before retries 1 and 2 stay within "
            f"{BACKOFF_BOUNDS[0]:g} s and {BACKOFF_BOUNDS[1]:g} s (+{BACKOFF_TOLERANCE:g} s "
            "measured at the stub)",
            Source.AWS_CONVENTION,
            "AWS SDKs and Tools Reference Guide, Retry behavior (standard mode): exponential "
            "backoff with full jitter, rand(0,1) x min(2^(i-1), 20) s; botocore "
            "retries/standard.py ExponentialBackoff; the tolerance is the harness's choice",
            get,
            SAMPLE_INPUT[get],
            (failed, failed, ok(get)),
            Expect("output", attempts=3),
            request_rules=(matchers.backoff_within(BACKOFF_BOUNDS, BACKOFF_TOLERANCE),),
            short_backoff=False,
        )
    )
    header = (
        "AWS SDK convention: amz-sdk-request carries the attempt number and the attempt limit "
        "(@smithy/middleware-retry; botocore handlers.add_retry_headers)"
    )
    add(
        Scenario(
            "SDK-RETRY-ATTEMPT-HEADER",
            "sdk-retries",
            "Every attempt carries `amz-sdk-request: attempt=N` with its own number",
            Source.AWS_CONVENTION,
            header,
            get,
            SAMPLE_INPUT[get],
            (failed, failed, ok(get)),
            Expect("output", attempts=3),
            request_rules=(matchers.attempt_numbers(),),
        )
    )
    add(
        Scenario(
            "SDK-RETRY-ATTEMPT-MAX",
            "sdk-retries",
            "Every attempt, the first included, carries `max=<maxAttempts>` in amz-sdk-request",
            Source.AWS_CONVENTION,
            header,
            get,
            SAMPLE_INPUT[get],
            (failed, failed, ok(get)),
            Expect("output", attempts=3),
            request_rules=(matchers.attempt_max(3),),
        )
    )
    add(
        Scenario(
            "SDK-RETRY-TIMEOUT",
            "sdk-retries",
            "A request that times out (no answer within timeoutSeconds) is retried as transient",
            Source.AWS_CONVENTION,
            "AWS SDKs and Tools Reference Guide, Retry behavior: transient errors (timeouts, "
            "connection errors) are retried",
            get,
            SAMPLE_INPUT[get],
            (Reply(200, (("Content-Type", "application/json"),), b"{}", delay=3.0), ok(get)),
            Expect("output", attempts=2),
            request_rules=(matchers.invocation_id_constant(),),
            timeout=1.0,
        )
    )
    add(
        Scenario(
            "SDK-RETRY-CONNECTION-RESET",
            "sdk-retries",
            "A connection reset before any answer is retried as transient",
            Source.AWS_CONVENTION,
            "AWS SDKs and Tools Reference Guide, Retry behavior: transient errors (timeouts, "
            "connection errors) are retried",
            get,
            SAMPLE_INPUT[get],
            (Reply(0, reset=True), ok(get)),
            Expect("output", attempts=2),
        )
    )


def scenarios() -> list[Scenario]:
    """The sdk-retries family."""
    found: list[Scenario] = []
    _retries(found.append)
    _beyond(found.append)
    return found
