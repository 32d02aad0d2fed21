from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.emulator.exceptions import SerializationException, ValidationException
from harness.emulator.http.protocol import decode_query
from harness.emulator.http.validation import InputValidator
from harness.model import load_pinned_model, operations
from harness.spec.build import build_spec

SOURCE = load_pinned_model()
VALIDATOR = InputValidator(SOURCE)
VALID_START: dict[str, Any] = {
    "datastoreId": "a" * 32,
    "clientToken": "token",
    "dataAccessRoleArn": "arn:aws:iam::123456789012:role/r",
    "inputS3Uri": "s3://bucket/in/",
    "outputS3Uri": "s3://bucket/out/",
}


def test_a_valid_request_passes() -> None:
    VALIDATOR.check("StartDICOMImportJobRequest", dict(VALID_START))


@pytest.mark.parametrize(
    ("member", "value"),
    [("clientToken", 7), ("jobName", ["a"]), ("importConfiguration", "x"), ("inputS3Uri", None)],
)
def test_wrong_types_are_serialization_errors_and_none_counts_as_absent(
    member: str, value: Any
) -> None:
    request = {**VALID_START, member: value}
    expected = ValidationException if value is None else SerializationException
    with pytest.raises(expected):
        VALIDATOR.check("StartDICOMImportJobRequest", request)


def test_every_violation_is_listed_with_its_path() -> None:
    request = {**VALID_START, "clientToken": "", "jobName": "x" * 65, "inputOwnerAccountId": "1"}
    with pytest.raises(ValidationException) as raised:
        VALIDATOR.check("StartDICOMImportJobRequest", request)
    paths = {field["path"] for field in raised.value.extra["fieldList"]}
    assert paths == {"/clientToken", "/jobName", "/inputOwnerAccountId"}
    assert raised.value.message.startswith(f"{len(raised.value.extra['fieldList'])} validation")


def test_booleans_are_not_integers() -> None:
    with pytest.raises(SerializationException):
        VALIDATOR.check("ListDICOMImportJobsRequest", {"datastoreId": "a" * 32, "maxResults": True})


def test_lenient_validator_keeps_types_and_required_only() -> None:
    lenient = InputValidator(SOURCE, constraints=False)
    lenient.check("StartDICOMImportJobRequest", {**VALID_START, "inputS3Uri": "nonsense"})
    with pytest.raises(ValidationException):
        lenient.check("StartDICOMImportJobRequest", {"datastoreId": "a" * 32})


SPEC = build_spec(SOURCE)
SCHEMA = schemathesis.openapi.from_dict(SPEC)
ROUTES = dict(operations())


def _operation_input(case: Any) -> dict[str, Any]:
    """The input a generated case decodes to, as the emulator's router decodes requests."""
    values: dict[str, Any] = {
        name: unquote(str(value)) for name, value in (case.path_parameters or {}).items()
    }
    route = ROUTES[case.operation.definition.raw["operationId"]]
    values.update(decode_query(route, urlencode(case.query or {}, doseq=True)))
    payload = route.input_payload
    body = case.body if isinstance(case.body, dict) else None
    if payload is not None and body is not None:
        values[payload.name] = body.get(payload.name, body) if len(body) == 1 else body
    elif body is not None:
        values.update(body)
    return values


@pytest.mark.parametrize("operation_id", sorted(ROUTES))
def test_generated_positive_requests_are_accepted(operation_id: str) -> None:
    """The spec's anchored patterns make schemathesis generate only values the emulator accepts."""
    operation = next(
        result.ok()
        for result in SCHEMA.get_all_operations()
        if result.ok().definition.raw["operationId"] == operation_id
    )
    route = ROUTES[operation_id]

    @given(data=st.data())
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    def check(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy())
        VALIDATOR.check(route.input_shape, _operation_input(case))

    check()
