"""Idempotency tokens: filled when absent, kept when set, the same on every attempt."""

from __future__ import annotations

from typing import Literal

from harness.checks import Source
from harness.sdk import matchers
from harness.sdk.scenarios.base import Add, Expect, Scenario, reply
from harness.sdk.scenarios.samples import SAMPLE_INPUT, SIGNED, TOKEN, ok
from harness.sdk.stub import Reply

TokenCase = Literal["FRESH-PER-CALL", "KEPT", "SAME-ON-RETRY-500", "SAME-ON-RETRY-THROTTLED"]


def token_id(case: TokenCase) -> str:
    """The ID of one of the family's scenarios that are not per operation."""
    return f"SDK-TOKEN-{case}"


def token_filled_id(operation: str) -> str:
    """The ID of the scenario that leaves `operation`'s clientToken to the SDK."""
    return f"SDK-TOKEN-FILLED-{operation}"


def _idempotency(add: Add) -> None:
    start = {k: v for k, v in SAMPLE_INPUT["StartDICOMImportJob"].items() if k != "clientToken"}
    create = {"datastoreName": "store"}
    rule_source = ("model: clientToken carries idempotencyToken: true", Source.MODEL)
    for operation, params in (("StartDICOMImportJob", start), ("CreateDatastore", create)):
        add(
            Scenario(
                id=token_filled_id(operation),
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
            id=token_id("FRESH-PER-CALL"),
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
            id=token_id("KEPT"),
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
    retried: tuple[tuple[TokenCase, Reply], ...] = (
        ("SAME-ON-RETRY-500", reply(500, {"message": "m"}, "InternalServerException")),
        ("SAME-ON-RETRY-THROTTLED", reply(429, {"message": "m"}, "ThrottlingException")),
    )
    for case, first in retried:
        add(
            Scenario(
                id=token_id(case),
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
