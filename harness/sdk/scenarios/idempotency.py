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
                f"SDK-TOKEN-FILLED-{operation}",
                "sdk-idempotency",
                f"{operation}: an absent clientToken is filled with a UUID v4",
                rule_source[1],
                rule_source[0],
                operation,
                params,
                (ok(operation),),
                Expect("output", attempts=1),
                request_rules=(matchers.token_is_uuid4(), SIGNED),
            )
        )
    add(
        Scenario(
            "SDK-TOKEN-FRESH-PER-CALL",
            "sdk-idempotency",
            "Two separate calls without clientToken get two different tokens",
            Source.MODEL,
            rule_source[0],
            "StartDICOMImportJob",
            start,
            (ok("StartDICOMImportJob"), ok("StartDICOMImportJob")),
            Expect("output", attempts=2),
            calls=2,
            request_rules=(matchers.token_differs_per_call(),),
        )
    )
    add(
        Scenario(
            "SDK-TOKEN-KEPT",
            "sdk-idempotency",
            "A clientToken the caller set is sent unchanged",
            Source.MODEL,
            rule_source[0],
            "StartDICOMImportJob",
            SAMPLE_INPUT["StartDICOMImportJob"],
            (ok("StartDICOMImportJob"),),
            Expect("output", attempts=1),
            request_rules=(matchers.token_equals(TOKEN),),
        )
    )
    for key, first in (
        ("500", reply(500, {"message": "m"}, "InternalServerException")),
        ("THROTTLED", reply(429, {"message": "m"}, "ThrottlingException")),
    ):
        add(
            Scenario(
                f"SDK-TOKEN-SAME-ON-RETRY-{key}",
                "sdk-idempotency",
                "A filled clientToken is the same on every attempt of one call",
                Source.AWS_CONVENTION,
                "AWS SDKs generate the token once per call (botocore before-parameter-build)",
                "StartDICOMImportJob",
                start,
                (first, ok("StartDICOMImportJob")),
                Expect("output", attempts=2),
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
