"""Idempotency tokens: filled when absent, kept when set, the same on every attempt."""

from __future__ import annotations

from harness.checks import Source
from harness.sdk import matchers
from harness.sdk.scenarios.base import Add, Expect, Scenario, reply
from harness.sdk.scenarios.samples import SAMPLE_INPUT, SIGNED, TOKEN, ok


def _idempotency(add: Add) -> None:
    start = {k: v for k, v in SAMPLE_INPUT["StartDICOMImportJob"].items() if k != "clientToken"}
    create = {"datastoreName": "store"}
    rule_source = ("model: clientToken carries idempotencyToken: true", Source.MODEL)
    for operation, params in (("StartDICOMImportJob", start), ("CreateDatastore", create)):
        add(
            Scenario(
                id=f"SDK-TOKEN-FILLED-{operation}",
                family="sdk-idempotency",
                rule=f"{operation}: an absent clientToken is filled with a UUID v4",
                source=rule_source[1],
                reference=rule_source[0],
                operation=operation,
                params=params,
                replies=(ok(operation),),
                expect=Expect(outcome="output", attempts=1),
                request_rules=(matchers.token_is_uuid4(), SIGNED),
            )
        )
    add(
        Scenario(
            id="SDK-TOKEN-FRESH-PER-CALL",
            family="sdk-idempotency",
            rule="Two separate calls without clientToken get two different tokens",
            source=Source.MODEL,
            reference=rule_source[0],
            operation="StartDICOMImportJob",
            params=start,
            replies=(ok("StartDICOMImportJob"), ok("StartDICOMImportJob")),
            expect=Expect(outcome="output", attempts=2),
            calls=2,
            request_rules=(matchers.token_differs_per_call(),),
        )
    )
    add(
        Scenario(
            id="SDK-TOKEN-KEPT",
            family="sdk-idempotency",
            rule="A clientToken the caller set is sent unchanged",
            source=Source.MODEL,
            reference=rule_source[0],
            operation="StartDICOMImportJob",
            params=SAMPLE_INPUT["StartDICOMImportJob"],
            replies=(ok("StartDICOMImportJob"),),
            expect=Expect(outcome="output", attempts=1),
            request_rules=(matchers.token_equals(TOKEN),),
        )
    )
    for key, first in (
        ("500", reply(500, {"message": "m"}, "InternalServerException")),
        ("THROTTLED", reply(429, {"message": "m"}, "ThrottlingException")),
    ):
        add(
            Scenario(
                id=f"SDK-TOKEN-SAME-ON-RETRY-{key}",
                family="sdk-idempotency",
                rule="A filled clientToken is the same on every attempt of one call",
                source=Source.AWS_CONVENTION,
                reference="AWS SDKs generate the token once per call (botocore "
                "before-parameter-build)",
                operation="StartDICOMImportJob",
                params=start,
                replies=(first, ok("StartDICOMImportJob")),
                expect=Expect(outcome="output", attempts=2),
                request_rules=(
                    matchers.token_is_uuid4(),
                    matchers.token_same_across_attempts(),
                    matchers.invocation_id_constant(),
                ),
            )
        )


def scenarios() -> list[Scenario]:
    """The sdk-idempotency family."""
    found: list[Scenario] = []
    _idempotency(found.append)
    return found
