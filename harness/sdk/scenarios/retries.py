"""Retries: what is retried, what is final, and when the SDK gives up.

Where the AWS SDKs' 2026 retry behaviour (opted into with
`AWS_NEW_RETRIES_2026=true`) changes what is expected (quota costs, backoff
base, `x-amz-retry-after`), a scenario carries a `retries_2026` variant with
the same ID, played to an adapter whose greeting declares `"retries": "2026"`.
"""

from __future__ import annotations

from dataclasses import replace

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
TIMEOUT_RETRY_COST = 10
# The 2026 behaviour (botocore 1.43 retries/standard.py with AWS_NEW_RETRIES_2026=true:
# RetryQuotaChecker._RETRY_COST_V2 for every non-throttling retry, timeouts included;
# ExponentialBackoff non_throttling_base_scale 0.05 s; x-amz-retry-after in milliseconds,
# waited for at least, and at most _RETRY_AFTER_MAX_ADDITIONAL = 5 s beyond the backoff).
RETRY_COST_2026 = 14
BACKOFF_BOUNDS_2026 = [0.05, 0.1]
RETRY_AFTER_MS = 2500
RETRY_AFTER_MAX_ADDITIONAL = 5.0
NEW_RETRIES = (
    "the 2026 retry behaviour: botocore 1.43 retries/standard.py with AWS_NEW_RETRIES_2026=true "
    "(RetryQuotaChecker._RETRY_COST_V2 = 14, _THROTTLING_RETRY_COST = 5; ExponentialBackoff "
    "non_throttling_base_scale 0.05, _RETRY_AFTER_HEADER, _RETRY_AFTER_MAX_ADDITIONAL = 5); "
    "@smithy/core retry (Retry.cost() 14, Retry.delay() 50 ms, parseRetryAfterHeader)"
)
# A client call's timeout in the timeout-quota scenario, and how late its reply comes.
SHORT_TIMEOUT = 0.1
LATE_REPLY = 0.4


def quota_counts(tokens: int, cost: int, attempts: int, calls: int) -> list[int]:
    """Requests per call when every attempt fails and each retry takes `cost` from `tokens`."""
    counts = []
    for _ in range(calls):
        made = 1
        while made < attempts and tokens >= cost:
            tokens -= cost
            made += 1
        counts.append(made)
    return counts


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
    full_2026 = QUOTA_TOKENS // (2 * RETRY_COST_2026)
    counts_2026 = quota_counts(QUOTA_TOKENS, RETRY_COST_2026, 3, full_2026 + 2)
    quota_cost = Scenario(
        "SDK-RETRY-QUOTA-COST",
        "sdk-retries",
        f"Under a burst of 500s one client makes {full} calls of 3 attempts (2 retries "
        f"x {RETRY_COST} tokens from {QUOTA_TOKENS}), then stops retrying (2026 behaviour: "
        f"{RETRY_COST_2026} tokens a retry, {_describe(counts_2026)})",
        Source.AWS_CONVENTION,
        f"{standard}; {NEW_RETRIES}",
        get,
        SAMPLE_INPUT[get],
        (failed,),
        Expect("service", "InternalServerException", True, "m", 500, attempts=3 * full + 2),
        calls=full + 2,
        request_rules=(matchers.attempts_per_call([3] * full + [1, 1]),),
        shared_client=True,
    )
    add(
        replace(
            quota_cost,
            retries_2026=replace(
                quota_cost,
                expect=replace(quota_cost.expect, attempts=sum(counts_2026)),
                calls=len(counts_2026),
                request_rules=(matchers.attempts_per_call(counts_2026),),
            ),
        )
    )
    timeouts = quota_counts(QUOTA_TOKENS, TIMEOUT_RETRY_COST, 3, 27)
    timeouts_2026 = quota_counts(QUOTA_TOKENS, RETRY_COST_2026, 3, full_2026 + 2)
    late = Reply(200, (("Content-Type", "application/json"),), b"{}", delay=LATE_REPLY)
    timeout_cost = Scenario(
        "SDK-RETRY-QUOTA-TIMEOUT-COST",
        "sdk-retries",
        f"Under a burst of timeouts one client makes {timeouts.count(3)} calls of 3 attempts "
        f"(2 retries x {TIMEOUT_RETRY_COST} tokens from {QUOTA_TOKENS}: half as many as with "
        f"500s), then stops retrying (2026 behaviour: {RETRY_COST_2026} tokens a retry, "
        f"{_describe(timeouts_2026)})",
        Source.AWS_CONVENTION,
        f"{standard}; {NEW_RETRIES}; timeouts of {SHORT_TIMEOUT:g} s against replies "
        f"{LATE_REPLY:g} s late keep the run under 10 s (harness choice)",
        get,
        SAMPLE_INPUT[get],
        (late,),
        Expect("client", attempts=sum(timeouts)),
        calls=len(timeouts),
        request_rules=(matchers.attempts_per_call(timeouts),),
        shared_client=True,
        timeout=SHORT_TIMEOUT,
    )
    add(
        replace(
            timeout_cost,
            retries_2026=replace(
                timeout_cost,
                expect=Expect("client", attempts=sum(timeouts_2026)),
                calls=len(timeouts_2026),
                request_rules=(matchers.attempts_per_call(timeouts_2026),),
            ),
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
    backoff = Scenario(
        "SDK-RETRY-BACKOFF-BOUNDS",
        "sdk-retries",
        f"With the SDK's own delays, the waits before retries 1 and 2 stay within "
        f"{BACKOFF_BOUNDS[0]:g} s and {BACKOFF_BOUNDS[1]:g} s (2026 behaviour: "
        f"{BACKOFF_BOUNDS_2026[0]:g} s and {BACKOFF_BOUNDS_2026[1]:g} s) "
        f"(+{BACKOFF_TOLERANCE:g} s measured at the stub)",
        Source.AWS_CONVENTION,
        "AWS SDKs and Tools Reference Guide, Retry behavior (standard mode): exponential "
        "backoff with full jitter, rand(0,1) x min(2^(i-1), 20) s; botocore "
        f"retries/standard.py ExponentialBackoff; {NEW_RETRIES}; the tolerance is the "
        "harness's choice",
        get,
        SAMPLE_INPUT[get],
        (failed, failed, ok(get)),
        Expect("output", attempts=3),
        request_rules=(matchers.backoff_within(BACKOFF_BOUNDS, BACKOFF_TOLERANCE),),
        short_backoff=False,
    )
    add(
        replace(
            backoff,
            retries_2026=replace(
                backoff,
                request_rules=(matchers.backoff_within(BACKOFF_BOUNDS_2026, BACKOFF_TOLERANCE),),
            ),
        )
    )
    hinted = Reply(
        500,
        (
            ("X-Amzn-Errortype", "InternalServerException"),
            ("Content-Type", "application/json"),
            ("x-amz-retry-after", str(RETRY_AFTER_MS)),
        ),
        b'{"message": "m"}',
    )
    hint = RETRY_AFTER_MS / 1000
    retry_after = Scenario(
        "SDK-RETRY-AFTER",
        "sdk-retries",
        f"A 500 with `x-amz-retry-after: {RETRY_AFTER_MS}`: under the standard behaviour the "
        f"header changes nothing (the wait stays within {BACKOFF_BOUNDS[0]:g} s "
        f"+{BACKOFF_TOLERANCE:g} s); under the 2026 behaviour the SDK waits at least "
        f"{hint:g} s and at most {hint:g} s + the backoff ({BACKOFF_BOUNDS_2026[0]:g} s) "
        f"+{BACKOFF_TOLERANCE:g} s",
        Source.AWS_CONVENTION,
        f"{NEW_RETRIES}: delay = max(t, min(retry_after, t + 5 s)); the standard mode "
        "(AWS SDKs and Tools Reference Guide, Retry behavior) has no such header",
        get,
        SAMPLE_INPUT[get],
        (hinted, ok(get)),
        Expect("output", attempts=2),
        request_rules=(matchers.backoff_within(BACKOFF_BOUNDS[:1], BACKOFF_TOLERANCE),),
        short_backoff=False,
    )
    add(
        replace(
            retry_after,
            retries_2026=replace(
                retry_after,
                request_rules=(
                    matchers.first_wait_at_least(hint),
                    matchers.backoff_within([hint + BACKOFF_BOUNDS_2026[0]], BACKOFF_TOLERANCE),
                ),
            ),
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


def _describe(counts: list[int]) -> str:
    """`[3, 3, 2, 1]` as `2 calls of 3 attempts, then 2, 1`."""
    full = counts.count(3)
    rest = ", ".join(str(count) for count in counts[full:])
    return f"{full} calls of 3 attempts, then {rest}"


def scenarios() -> list[Scenario]:
    """The sdk-retries family."""
    found: list[Scenario] = []
    _retries(found.append)
    _beyond(found.append)
    return found
