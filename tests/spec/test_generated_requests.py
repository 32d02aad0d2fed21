"""schemathesis's positive requests on the spec satisfy the model, operation by operation.

The generated case is read back into model member names the way a server reads
the wire: labels percent-decoded (an ARN travels as one `%2F`/`%3A`-encoded
segment), query booleans from their `true`/`false` spelling, an omitted optional
payload left out, a payload body as the payload member's value. The emulator's
model-driven validator then judges every value, patterns full-matched.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import unquote

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core import NOT_SET

from harness.emulator.http.validation import InputValidator
from harness.model import Member, Operation, load_pinned_model, operations
from harness.spec.build import build_spec

SOURCE = load_pinned_model()
VALIDATOR = InputValidator(SOURCE)
SCHEMA = schemathesis.openapi.from_dict(build_spec(SOURCE))
ROUTES = dict(operations())


def _scalar(kind: str | None, value: Any) -> Any:
    if kind == "boolean" and isinstance(value, str):
        return {"true": True, "false": False}.get(value, value)
    if kind in ("integer", "long") and isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value


def _query_value(member: Member, value: Any) -> Any:
    if member.type == "list":
        items = value if isinstance(value, list) else [value]
        return [_scalar(member.list_member_type, item) for item in items]
    return _scalar(member.type, value)


def model_input(route: Operation, case: Any) -> dict[str, Any]:
    """The operation's input, in model member names, as a server reads the case."""
    values: dict[str, Any] = {}
    path = case.path_parameters or {}
    for member in route.labels:
        values[member.name] = unquote(str(path[member.wire_name]))
    query = case.query or {}
    for member in route.query:
        if member.wire_name in query:
            values[member.name] = _query_value(member, query[member.wire_name])
    if case.body is NOT_SET:
        return values
    payload = route.input_payload
    if payload is not None:
        values[payload.name] = case.body
    else:
        assert isinstance(case.body, dict)
        values.update(case.body)
    return values


def blobs_decode(shape_name: str, value: Any) -> int:
    """Check every blob inside `value` is base64 within the model's byte bounds; count them."""
    shape = SOURCE.shape(shape_name)
    kind = shape["type"]
    if kind == "blob":
        decoded = base64.b64decode(value, validate=True)
        assert shape.get("min", 0) <= len(decoded) <= shape.get("max", len(decoded))
        return 1
    if kind == "structure" and isinstance(value, dict):
        members = shape["members"]
        return sum(
            blobs_decode(members[name]["shape"], item)
            for name, item in value.items()
            if name in members and item is not None
        )
    if kind == "list" and isinstance(value, list):
        return sum(blobs_decode(shape["member"]["shape"], item) for item in value)
    return 0


@pytest.mark.parametrize("operation_id", sorted(ROUTES))
def test_generated_positive_requests_satisfy_the_model(operation_id: str) -> None:
    operation = next(
        result.ok()
        for result in SCHEMA.get_all_operations()
        if result.ok().definition.raw["operationId"] == operation_id
    )
    route = ROUTES[operation_id]
    labels: list[str] = []
    blobs: list[int] = []

    @given(data=st.data())
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    def check(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy())
        values = model_input(route, case)
        if route.input_payload is not None and case.body is not NOT_SET:
            assert isinstance(case.body, dict), "the body is the payload structure itself"
        if route.input_payload is None and not route.body_members:
            assert case.body is NOT_SET
        VALIDATOR.check(route.input_shape, values)
        blobs.append(blobs_decode(route.input_shape, values))
        labels.extend(str(value) for value in (case.path_parameters or {}).values())

    check()
    if operation_id in ("TagResource", "UntagResource", "ListTagsForResource"):
        # ARNs are generated, and sent as one segment with `/` and `:` encoded.
        assert labels and all("/" not in label and "%2F" in label for label in labels)
    if operation_id == "UpdateImageSetMetadata":
        assert sum(blobs) > 0, "update documents are generated as base64"
