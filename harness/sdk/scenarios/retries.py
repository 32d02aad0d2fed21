"""Retries: what is retried, what is final, and when the SDK gives up.

Where the AWS SDKs' 2026 retry behaviour (opted into with
`AWS_NEW_RETRIES_2026=true`) changes what is expected (quota costs, backoff
base, `x-amz-retry-after`), a scenario carries a `retries_2026` variant with
the same ID, played to an adapter whose greeting declares `"retries": "2026"`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from harness.checks import Source
from harness.sdk import matchers
from harness.sdk.scenarios.base import Add, Expect, Scenario, reply
from harness.sdk.scenarios.samples import SAMPLE_INPUT, SAMPLE_OUTPUT, ok
from harness.sdk.stub import Reply

RetryCase = Literal[
    "THROTTLING",
    "GIVES-UP",
    "QUOTA-COST",
    "QUOTA-TIMEOUT-COST",
    "QUOTA-EXHAUSTS",
    "BACKOFF-BOUNDS",
    "AFTER",
    "ATTEMPT-HEADER",
    "ATTEMPT-MAX",
    "TIMEOUT",
    "CONNECTION-RESET",
]
TransientStatus = Literal[500, 502, 503, 504]
FinalStatus = Literal[400, 402, 403, 404, 409]
TRANSIENT: tuple[TransientStatus, ...] = (500, 502, 503, 504)
"""The transient statuses that are retried, one scenario each."""
FINAL_ERRORS: tuple[tuple[FinalStatus, str], ...] = (
    (400, "ValidationException"),
    (402, "ServiceQuotaExceededException"),
    (403, "AccessDeniedException"),
    (404, "ResourceNotFoundException"),
    (409, "ConflictException"),
)
"""The errors that are not retried, one scenario each."""


def retry_id(case: RetryCase | TransientStatus) -> str:
    """The ID of a scenario that is retried (or gives up), or of one transient status's."""
    return f"SDK-RETRY-{case}"


def no_retry_id(status: FinalStatus) -> str:
    """The ID of the scenario whose `status` error is not retried."""
    return f"SDK-NO-RETRY-{status}"


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
# A client call's timeout in the timeout-quota scenario, and how late its reply comes: late
# enough that a client descheduled for seconds on a loaded machine (a socket timeout counts
# only the time spent waiting) still finds no reply when it reads.
SHORT_TIMEOUT = 0.1
LATE_REPLY = 5.0


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
            id=retry_id("THROTTLING"),
            family="sdk-retries",
            rule="ThrottlingException (429) is retried",
            source=Source.AWS_CONVENTION,
            reference="AWS SDK retry behaviour: throttling errors are retryable",
            operation=get,
            params=SAMPLE_INPUT[get],
            replies=(throttled, throttled, ok(get)),
            expect=Expect(outcome="output", attempts=3, output=SAMPLE_OUTPUT[get]),
            request_rules=(matchers.invocation_id_constant(),),
        )
    )
    add(
        Scenario(
            id=retry_id("GIVES-UP"),
            family="sdk-retries",
            rule="After maxAttempts throttled answers the last error is surfaced",
            source=Source.AWS_CONVENTION,
            reference="AWS SDK retry behaviour: maxAttempts is the total",
            operation=get,
            params=SAMPLE_INPUT[get],
            replies=(throttled, throttled, throttled),
            expect=Expect(
                outcome="service",
                code="ThrottlingException",
                modeled=True,
                message="slow down",
                http_status=429,
                attempts=3,
            ),
        )
    )
    for transient in TRANSIENT:
        first = (
            reply(500, {"message": "m"}, "InternalServerException")
            if transient == 500
            else reply(transient, raw=b"<html>gateway trouble</html>")
        )
        add(
            Scenario(
                id=retry_id(transient),
                family="sdk-retries",
                rule=f"A transient {transient} is retried",
                source=Source.AWS_CONVENTION,
                reference="AWS SDK retry behaviour: 500, 502, 503, 504 are transient",
                operation=get,
                params=SAMPLE_INPUT[get],
                replies=(first, ok(get)),
                expect=Expect(outcome="output", attempts=2),
            )
        )
    for status, name in FINAL_ERRORS:
        add(
            Scenario(
                id=no_retry_id(status),
                family="sdk-retries",
                rule=f"A {status} {name} is not retried",
                source=Source.AWS_CONVENTION,
                reference="AWS SDK retry behaviour: client errors are final",
                operation="StartDICOMImportJob",
                params=SAMPLE_INPUT["StartDICOMImportJob"],
                replies=(reply(status, {"message": "m"}, name), ok("StartDICOMImportJob")),
                expect=Expect(
                    outcome="service",
                    code=name,
                    modeled=True,
                    message="m",
                    http_status=status,
                    attempts=1,
                ),
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
        id=retry_id("QUOTA-COST"),
        family="sdk-retries",
        rule=f"Under a burst of 500s one client makes {full} calls of 3 attempts (2 retries "
        f"x {RETRY_COST} tokens from {QUOTA_TOKENS}), then stops retrying (2026 behaviour: "
        f"{RETRY_COST_2026} tokens a retry, {_describe(counts_2026)})",
        source=Source.AWS_CONVENTION,
        reference=f"{standard}; {NEW_RETRIES}",
        operation=get,
        params=SAMPLE_INPUT[get],
        replies=(failed,),
        expect=Expect(
            outcome="service",
            code="InternalServerException",
            modeled=True,
            message="m",
            http_status=500,
            attempts=3 * full + 2,
        ),
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
        id=retry_id("QUOTA-TIMEOUT-COST"),
        family="sdk-retries",
        rule=f"Under a burst of timeouts one client makes {timeouts.count(3)} calls of 3 attempts "
        f"(2 retries x {TIMEOUT_RETRY_COST} tokens from {QUOTA_TOKENS}: half as many as with "
        f"500s), then stops retrying (2026 behaviour: {RETRY_COST_2026} tokens a retry, "
        f"{_describe(timeouts_2026)})",
        source=Source.AWS_CONVENTION,
        reference=f"{standard}; {NEW_RETRIES}; timeouts of {SHORT_TIMEOUT:g} s against replies "
        f"{LATE_REPLY:g} s late keep the run under 10 s (harness choice)",
        operation=get,
        params=SAMPLE_INPUT[get],
        replies=(late,),
        expect=Expect(outcome="client", attempts=sum(timeouts)),
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
                expect=Expect(outcome="client", attempts=sum(timeouts_2026)),
                calls=len(timeouts_2026),
                request_rules=(matchers.attempts_per_call(timeouts_2026),),
            ),
        )
    )
    add(
        Scenario(
            id=retry_id("QUOTA-EXHAUSTS"),
            family="sdk-retries",
            rule="A long burst of 500s exhausts one client's retry quota: its last calls are not "
            "retried and surface the error",
            source=Source.AWS_CONVENTION,
            reference=standard + "; the 2026 defaults (14 tokens per retry) exhaust it sooner",
            operation=get,
            params=SAMPLE_INPUT[get],
            replies=(failed,),
            expect=Expect(
                outcome="service",
                code="InternalServerException",
                modeled=True,
                message="m",
                http_status=500,
            ),
            calls=full + 10,
            request_rules=(matchers.last_calls_single_attempt(2, full + 10),),
            shared_client=True,
        )
    )
    backoff = Scenario(
        id=retry_id("BACKOFF-BOUNDS"),
        family="sdk-retries",
        rule=f"With the SDK's own delays, the waits before retries 1 and 2 stay within "
        f"{BACKOFF_BOUNDS[0]:g} s and {BACKOFF_BOUNDS[1]:g} s (2026 behaviour: "
        f"{BACKOFF_BOUNDS_2026[0]:g} s and {BACKOFF_BOUNDS_2026[1]:g} s) "
        f"(+{BACKOFF_TOLERANCE:g} s measured at the stub)",
        source=Source.AWS_CONVENTION,
        reference="AWS SDKs and Tools Reference Guide, Retry behavior (standard mode): exponential "
        "backoff with full jitter, rand(0,1) x min(2^(i-1), 20) s; botocore "
        f"retries/standard.py ExponentialBackoff; {NEW_RETRIES}; the tolerance is the "
        "harness's choice",
        operation=get,
        params=SAMPLE_INPUT[get],
        replies=(failed, failed, ok(get)),
        expect=Expect(outcome="output", attempts=3),
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
        id=retry_id("AFTER"),
        family="sdk-retries",
        rule=f"A 500 with `x-amz-retry-after: {RETRY_AFTER_MS}`: under the standard behaviour the "
        f"header changes nothing (the wait stays within {BACKOFF_BOUNDS[0]:g} s "
        f"+{BACKOFF_TOLERANCE:g} s); under the 2026 behaviour the SDK waits at least "
        f"{hint:g} s and at most {hint:g} s + the backoff ({BACKOFF_BOUNDS_2026[0]:g} s) "
        f"+{BACKOFF_TOLERANCE:g} s",
        source=Source.AWS_CONVENTION,
        reference=f"{NEW_RETRIES}: delay = max(t, min(retry_after, t + 5 s)); the standard mode "
        "(AWS SDKs and Tools Reference Guide, Retry behavior) has no such header",
        operation=get,
        params=SAMPLE_INPUT[get],
        replies=(hinted, ok(get)),
        expect=Expect(outcome="output", attempts=2),
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
            id=retry_id("ATTEMPT-HEADER"),
            family="sdk-retries",
            rule="Every attempt carries `amz-sdk-request: attempt=N` with its own number",
            source=Source.AWS_CONVENTION,
            reference=header,
            operation=get,
            params=SAMPLE_INPUT[get],
            replies=(failed, failed, ok(get)),
            expect=Expect(outcome="output", attempts=3),
            request_rules=(matchers.attempt_numbers(),),
        )
    )
    add(
        Scenario(
            id=retry_id("ATTEMPT-MAX"),
            family="sdk-retries",
            rule="Every attempt, the first included, carries `max=<maxAttempts>` in "
            "amz-sdk-request",
            source=Source.AWS_CONVENTION,
            reference=header,
            operation=get,
            params=SAMPLE_INPUT[get],
            replies=(failed, failed, ok(get)),
            expect=Expect(outcome="output", attempts=3),
            request_rules=(matchers.attempt_max(3),),
        )
    )
    add(
        Scenario(
            id=retry_id("TIMEOUT"),
            family="sdk-retries",
            rule="A request that times out (no answer within timeoutSeconds) is retried as "
            "transient",
            source=Source.AWS_CONVENTION,
            reference="AWS SDKs and Tools Reference Guide, Retry behavior: transient errors "
            "(timeouts, "
            "connection errors) are retried",
            operation=get,
            params=SAMPLE_INPUT[get],
            replies=(
                Reply(200, (("Content-Type", "application/json"),), b"{}", delay=3.0),
                ok(get),
            ),
            expect=Expect(outcome="output", attempts=2),
            request_rules=(matchers.invocation_id_constant(),),
            timeout=1.0,
        )
    )
    add(
        Scenario(
            id=retry_id("CONNECTION-RESET"),
            family="sdk-retries",
            rule="A connection reset before any answer is retried as transient",
            source=Source.AWS_CONVENTION,
            reference="AWS SDKs and Tools Reference Guide, Retry behavior: transient errors "
            "(timeouts, "
            "connection errors) are retried",
            operation=get,
            params=SAMPLE_INPUT[get],
            replies=(Reply(0, reset=True), ok(get)),
            expect=Expect(outcome="output", attempts=2),
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
