"""Clock skew: a signature refused for its time, the server's `Date` far off, is signed anew.

Modelled on the cross-SDK clock-skew test cases (awslabs/aws-sdk-rust
`sdk/aws-runtime/test-data/clock-skew-test-cases.json`, replayed by the
JavaScript and Go SDKs): a definite clock-skew error (`RequestTimeTooSkewed`)
or a possible one (`InvalidSignatureException`) whose response `Date` is at
least 5 minutes from the client's clock makes the SDK adopt the server's time
and retry; the offset persists to the next operation of that client; a skew
under the threshold, or no `Date`, is not a clock-skew retry.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from harness.checks import Source
from harness.sdk import matchers
from harness.sdk.scenarios.base import Add, Expect, Scenario
from harness.sdk.scenarios.samples import SAMPLE_INPUT, ok
from harness.sdk.stub import Reply

SkewError = Literal["RequestTimeTooSkewed", "InvalidSignatureException"]
ClockSkewCase = Literal[SkewError, "PERSISTS", "NO-DATE", "BELOW-THRESHOLD"]
SKEW_ERRORS: tuple[tuple[SkewError, str], ...] = (
    ("RequestTimeTooSkewed", "a definite"),
    ("InvalidSignatureException", "a possible"),
)
"""The clock-skew errors retried once at the server's time, and what kind each is."""


def clock_skew_id(case: ClockSkewCase) -> str:
    """The ID of one clock-skew scenario (a skew error's, by its code)."""
    return f"SDK-CLOCK-SKEW-{case}"


# Beyond the 15 minutes SigV4 allows, so that a real service refuses the signature.
SKEW = 1200.0
# X-Amz-Date and Date both have whole seconds; the rest is time spent on a busy machine.
TOLERANCE = 60.0
_REFERENCE = (
    "AWS SDK clock skew correction, cross-SDK test cases (awslabs/aws-sdk-rust "
    "sdk/aws-runtime/test-data/clock-skew-test-cases.json: 'Definite clock skew error on first "
    "attempt, retry succeeds, ClientSkew persists to next operation', 'Possible clock skew error "
    "with skew above detection threshold is retried and succeeds')"
)
_GET = "GetDatastore"


EXPIRED = b'{"message": "Signature expired: the request time is too far from the server time"}'
MISMATCH = (
    b'{"message": "The request signature we calculated does not match the signature you provided."}'
)


def _refused(code: str, offset: float | None, message: bytes = EXPIRED) -> Reply:
    return Reply(
        403,
        (("X-Amzn-Errortype", code), ("Content-Type", "application/json")),
        message,
        date_offset=offset,
    )


def _served(offset: float) -> Reply:
    """The success answer, from a server whose clock is `offset` s off."""
    return replace(ok(_GET), date_offset=offset)


def _clock_skew(add: Add) -> None:
    for code, kind in SKEW_ERRORS:
        add(
            Scenario(
                id=clock_skew_id(code),
                family="sdk-clock-skew",
                rule=f"A 403 {code} ({kind} clock-skew error) with a Date 20 minutes ahead is "
                "retried "
                "once, signed at the server's time",
                source=Source.AWS_CONVENTION,
                reference=_REFERENCE,
                operation=_GET,
                params=SAMPLE_INPUT[_GET],
                replies=(_refused(code, SKEW), _served(SKEW)),
                expect=Expect(outcome="output", attempts=2),
                request_rules=(matchers.signed_at_server_time([1], SKEW, TOLERANCE),),
                shared_client=True,
            )
        )
    add(
        Scenario(
            id=clock_skew_id("PERSISTS"),
            family="sdk-clock-skew",
            rule="The corrected clock persists: the client's next operation is signed at the "
            "server's time on its first attempt",
            source=Source.AWS_CONVENTION,
            reference=_REFERENCE,
            operation=_GET,
            params=SAMPLE_INPUT[_GET],
            replies=(_refused("RequestTimeTooSkewed", SKEW), _served(SKEW), _served(SKEW)),
            expect=Expect(outcome="output", attempts=3),
            calls=2,
            request_rules=(matchers.signed_at_server_time([1, 2], SKEW, TOLERANCE),),
            shared_client=True,
        )
    )
    add(
        Scenario(
            id=clock_skew_id("NO-DATE"),
            family="sdk-clock-skew",
            rule="A clock-skew error without a Date header is not retried as clock skew",
            source=Source.AWS_CONVENTION,
            reference="clock-skew test case 'Clock skew error with no Date header is not treated "
            "as a "
            "candidate'; client errors are final",
            operation=_GET,
            params=SAMPLE_INPUT[_GET],
            replies=(_refused("RequestTimeTooSkewed", None), ok(_GET)),
            expect=Expect(
                outcome="service",
                code="RequestTimeTooSkewed",
                modeled=False,
                message=None,
                http_status=403,
                attempts=1,
            ),
            shared_client=True,
        )
    )
    add(
        Scenario(
            id=clock_skew_id("BELOW-THRESHOLD"),
            family="sdk-clock-skew",
            rule="An InvalidSignatureException for a wrong signature, its Date 2 minutes off "
            "(under "
            "the 5-minute threshold), is not retried",
            source=Source.AWS_CONVENTION,
            reference="clock-skew test case 'Possible clock skew error with skew below detection "
            "threshold "
            "is not retried as clock skew'",
            operation=_GET,
            params=SAMPLE_INPUT[_GET],
            replies=(_refused("InvalidSignatureException", 120.0, MISMATCH), ok(_GET)),
            expect=Expect(
                outcome="service",
                code="InvalidSignatureException",
                modeled=False,
                message=None,
                http_status=403,
                attempts=1,
            ),
            shared_client=True,
        )
    )


def scenarios() -> list[Scenario]:
    """The sdk-clock-skew family."""
    found: list[Scenario] = []
    _clock_skew(found.append)
    return found
