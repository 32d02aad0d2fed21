"""Empty bodies: no payload means no body bytes and no payload headers; empty outputs are outputs.

Smithy restJson1 tests RestJsonHttpGetWithNoModeledBody and
RestJsonHttpGetWithNoInput forbid Content-Type and Content-Length on a GET
without a modelled body; RestJsonHttpPostWithNoModeledBody forbids
Content-Type on a POST (a `Content-Length: 0` there is allowed). A chunked
empty body is a body all the same (RFC 9110 §6.4: GET content has no defined
semantics). RestJsonEmptyInputAndEmptyOutput: an empty response body is an
empty output.
"""

from __future__ import annotations

from harness.checks import Source
from harness.model import IN_SCOPE_OPERATIONS, operations
from harness.sdk import matchers
from harness.sdk.matchers import RequestRule
from harness.sdk.scenarios.base import Add, Expect, Scenario
from harness.sdk.scenarios.samples import SAMPLE_INPUT, ok
from harness.sdk.stub import Reply


def empty_body_id(operation: str) -> str:
    """The ID of the scenario checking that `operation` sends no body."""
    return f"SDK-EMPTY-BODY-{operation}"


def empty_output_id(operation: str) -> str:
    """The ID of the scenario answering `operation` with no body at all."""
    return f"SDK-EMPTY-OUTPUT-{operation}"


def _empty_bodies(add: Add) -> None:
    for operation in IN_SCOPE_OPERATIONS:
        binding = operations()[operation]
        if binding.has_request_body:
            continue
        rules: tuple[RequestRule, ...] = (matchers.no_framing(),)
        test = (
            "RestJsonHttpGetWithNoModeledBody"
            if binding.method == "GET"
            else ("RestJsonHttpPostWithNoModeledBody")
        )
        if not SAMPLE_INPUT[operation]:
            rules += (matchers.query_empty(),)
            test = "RestJsonHttpGetWithNoInput"
        add(
            Scenario(
                id=empty_body_id(operation),
                family="sdk-empty-bodies",
                rule=f"{operation} ({binding.method}, no modelled body) sends no body, no "
                "Content-Type "
                "and no Transfer-Encoding"
                + (", and no Content-Length" if binding.method == "GET" else ""),
                source=Source.SMITHY,
                reference=f"restJson1 test {test} (forbidHeaders); RFC 9110 §6.4",
                operation=operation,
                params=SAMPLE_INPUT[operation],
                replies=(ok(operation),),
                expect=Expect(outcome="output", attempts=1),
                request_rules=rules,
            )
        )
    for operation in ("TagResource", "UntagResource"):
        add(
            Scenario(
                id=empty_output_id(operation),
                family="sdk-empty-bodies",
                rule=f"{operation}: a 200 with no body at all is the empty output, not an error",
                source=Source.SMITHY,
                reference='restJson1 test RestJsonEmptyInputAndEmptyOutput (response body ""); '
                "model: "
                f"{operation}Response has no members",
                operation=operation,
                params=SAMPLE_INPUT[operation],
                replies=(Reply(200),),
                expect=Expect(outcome="output", attempts=1, output={}),
            )
        )


def scenarios() -> list[Scenario]:
    """The sdk-empty-bodies family."""
    found: list[Scenario] = []
    _empty_bodies(found.append)
    return found
