"""The schema phase's configuration for AWS, its handling of blob answers and of interrupts,
without a server."""

from __future__ import annotations

import contextlib
import signal
from typing import Any

import pytest
import requests
import schemathesis

from harness.model import load_pinned_model
from harness.server.checks.conformance import SpecResponses, blob_headers, success_bodies
from harness.server.probe import Exchange
from harness.server.schema_phase import (
    BLOB_HEADERS,
    BUILTIN_CHECKS,
    _check_id,
    _interrupts_kept,
    _operation_checks,
    _shown,
    blob_response_conformance,
)
from harness.spec.build import build_spec

SPEC = build_spec(load_pinned_model())
VALID = ["2xx", "404", "409"]
DATASTORE = "0123456789abcdef0123456789abcdef"
IMAGE_SET = "fedcba9876543210fedcba9876543210"
CTX: Any = None  # the blob check reads nothing from its context


def _by_operation() -> dict[str, dict[str, Any]]:
    entries = _operation_checks(SPEC, VALID)
    result: dict[str, dict[str, Any]] = {}
    for entry in entries:
        (name,) = entry["include-operation-id"]
        result[name] = entry["checks"]
    return result


def _accepted(checks: dict[str, Any]) -> list[str]:
    accepted: list[str] = checks.get("positive_data_acceptance", {}).get("expected-statuses", VALID)
    return accepted


def test_valid_input_may_meet_the_documented_answers_of_each_operation() -> None:
    checks = _by_operation()
    assert len(checks) == 18
    for name in ("ListDICOMImportJobs", "ListDatastores", "ListImageSetVersions"):
        assert _accepted(checks[name]) == [*VALID, 400]  # NEXT-TOKEN-OPAQUE
    assert _accepted(checks["SearchImageSets"]) == [*VALID, 400]  # and CONTENT-RULES
    for name in ("UpdateImageSetMetadata", "CopyImageSet"):
        assert _accepted(checks[name]) == [*VALID, 400, 402]  # CONTENT-RULES, QUOTA-402
    for name in ("StartDICOMImportJob", "CreateDatastore"):
        assert _accepted(checks[name]) == [*VALID, 402]
    for name in ("GetImageSet", "GetImageFrame", "DeleteImageSet", "TagResource"):
        assert _accepted(checks[name]) == VALID


def test_blob_operations_swap_the_response_schema_check() -> None:
    checks = _by_operation()
    for name, entry in checks.items():
        blob = name in ("GetImageFrame", "GetImageSetMetadata")
        replaced = "response_schema_conformance" if blob else "blob_response_conformance"
        assert entry[replaced] == {"enabled": False}, name
        assert "use_after_free" not in entry or name == "ListTagsForResource"
    assert checks["ListTagsForResource"]["use_after_free"] == {"enabled": False}


def test_the_configuration_loads_in_schemathesis() -> None:
    config = schemathesis.Config.from_dict({"operations": _operation_checks(SPEC, VALID)})
    schema = schemathesis.openapi.from_dict(SPEC, config=config)
    enabled = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        checks = schema.config.checks_config_for(operation=operation)
        enabled[operation.definition.raw["operationId"]] = (
            checks.get_by_name(name="blob_response_conformance").enabled,
            checks.response_schema_conformance.enabled,
        )
    assert enabled["GetImageFrame"] == enabled["GetImageSetMetadata"] == (True, False)
    assert enabled["GetImageSet"] == (False, True)


def test_check_ids_of_blob_answers() -> None:
    response_schema = BUILTIN_CHECKS["response_schema_conformance"].id
    error_header = BUILTIN_CHECKS["response_headers_conformance"].id
    assert _check_id("blob_response_conformance", "GetImageFrame", 200) == response_schema
    assert _check_id("response_headers_conformance", "GetImageFrame", 200) == BLOB_HEADERS.id
    assert _check_id("response_headers_conformance", "GetImageFrame", 404) == error_header
    assert _check_id("response_headers_conformance", "GetImageSet", 200) == error_header
    assert _check_id("something_new") == "SCHEMATHESIS-OTHER"


def _case(operation_id: str) -> Any:
    schema = schemathesis.openapi.from_dict(SPEC)
    operation = next(
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().definition.raw["operationId"] == operation_id
    )
    return operation.Case(path_parameters={"datastoreId": DATASTORE, "imageSetId": IMAGE_SET})


def _response(status: int, headers: dict[str, str], content: bytes) -> schemathesis.Response:
    request = requests.Request("POST", "http://127.0.0.1/x").prepare()
    return schemathesis.Response(
        status_code=status,
        headers={name.lower(): [value] for name, value in headers.items()},
        content=content,
        request=request,
        elapsed=0.01,
        verify=False,
    )


def test_blob_check_takes_bytes_and_validates_errors_as_json() -> None:
    case = _case("GetImageFrame")
    frame = _response(200, {"Content-Type": "image/jph"}, b"\xffO\xffQ")
    assert blob_response_conformance(CTX, frame, case) is None
    with pytest.raises(AssertionError, match="empty body"):
        blob_response_conformance(CTX, _response(200, {"Content-Type": "image/jph"}, b""), case)
    error = {"Content-Type": "application/json", "X-Amzn-Errortype": "ValidationException"}
    blob_response_conformance(CTX, _response(400, error, b'{"message": "bad"}'), case)
    with pytest.raises(Exception, match="message"):
        blob_response_conformance(CTX, _response(400, error, b'{"msg": 1}'), case)


def test_blob_check_does_not_read_metadata_as_json() -> None:
    case = _case("GetImageSetMetadata")
    # The HTTP client has inflated the gzip body: it is JSON, but the schema says bytes.
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    document = _response(200, headers, b'{"SchemaVersion": "1.1"}')
    assert blob_response_conformance(CTX, document, case) is None


def _exchange(path: str, status: int, headers: dict[str, str], body: bytes) -> Exchange:
    return Exchange(
        method="POST",
        url=f"http://127.0.0.1:1{path}",
        request_headers={},
        request_body=None,
        status=status,
        headers=headers,
        body=body,
    )


BASE = f"/datastore/{DATASTORE}/imageSet/{IMAGE_SET}"


@pytest.mark.parametrize(
    ("path", "headers", "body", "problem"),
    [
        (
            f"{BASE}/getImageSetMetadata",
            {"Content-Type": "application/json", "Content-Encoding": "gzip"},
            b'{"SchemaVersion": "1.1"}',
            None,
        ),
        (
            f"{BASE}/getImageSetMetadata",
            {"Content-Type": "application/json"},
            b"{}",
            "Content-Encoding: missing",
        ),
        (
            f"{BASE}/getImageSetMetadata",
            {"Content-Type": "text/plain", "Content-Encoding": "gzip"},
            b"{}",
            "Content-Type: 'text/plain'",
        ),
        (
            f"{BASE}/getImageSetMetadata",
            {"Content-Type": "application/json", "Content-Encoding": "br"},
            b"{}",
            "Content-Encoding: 'br'",
        ),
        (f"{BASE}/getImageFrame", {"Content-Type": "image/jph"}, b"\xffO\xffQ", None),
        (f"{BASE}/getImageFrame", {"content-type": "image/j2c; q=1"}, b"\xffO", None),
        (f"{BASE}/getImageFrame", {}, b"\xffO", "Content-Type: missing"),
        (f"{BASE}/getImageFrame", {"Content-Type": "image/jph"}, b"", "(body): empty"),
    ],
    ids=[
        "metadata",
        "metadata-no-encoding",
        "metadata-text-plain",
        "metadata-brotli",
        "frame",
        "frame-with-parameters",
        "frame-no-content-type",
        "frame-empty",
    ],
)
def test_blob_answers_of_the_behaviour_checks_are_judged_by_headers(
    path: str, headers: dict[str, str], body: bytes, problem: str | None
) -> None:
    exchange = _exchange(path, 200, headers, body)
    answer = SpecResponses(SPEC).match(exchange)
    assert answer is not None and answer.blob
    problems = answer.problems(exchange) + answer.header_problems(exchange)
    if problem is None:
        assert problems == []
    else:
        assert any(found.startswith(problem) for found in problems), problems


def test_json_answers_are_still_validated_against_their_schema() -> None:
    answer = SpecResponses(SPEC).match(_exchange(f"{BASE}/getImageSet", 200, {}, b"{}"))
    assert answer is not None and not answer.blob
    body = b'{"datastoreId": "%s"}' % DATASTORE.encode()
    problems = answer.problems(_exchange(f"{BASE}/getImageSet", 200, {}, body))
    assert any("imageSetId" in problem for problem in problems)
    arn = "arn%3Aaws%3Amedical-imaging%3Aus-east-1%3A123456789012%3Adatastore%2F" + DATASTORE
    tags = SpecResponses(SPEC).match(
        Exchange("GET", f"http://h/tags/{arn}", {}, None, 200, {}, b'{"tags": {}}')
    )
    assert tags is not None and tags.operation_id == "ListTagsForResource"


def test_binary_evidence_is_shown_by_size() -> None:
    assert _shown(b"\xff\x00\x01", {"Content-Type": ["image/jph"]}) == "<3 bytes of image/jph>"
    assert _shown(b'{"a": 1}', {"content-type": ["application/json"]}) == '{"a": 1}'


class _Context:
    """What the conformance checks use of a SuiteContext: the spec, the probe's history and
    verdicts."""

    def __init__(self, *exchanges: Exchange) -> None:
        self.probe = type("Probe", (), {"history": list(exchanges)})()
        self.spec = SPEC
        self.verdicts: list[tuple[str, str, bool, str]] = []

    def verdict(
        self, check_id: str, subject: str, ok: bool, message: str, *_: Any, **__: Any
    ) -> bool:
        self.verdicts.append((check_id, subject, ok, message))
        return ok


def test_success_answers_have_their_blob_bodies_and_headers_judged_apart() -> None:
    context = _Context(
        _exchange(f"{BASE}/getImageSetMetadata", 200, {"Content-Type": "application/json"}, b"x"),
        _exchange(f"{BASE}/getImageFrame", 200, {"Content-Type": "image/jph"}, b""),
        _exchange(f"{BASE}/getImageFrame", 404, {}, b"{}"),
    )
    success_bodies(context)  # type: ignore[arg-type]
    blob_headers(context)  # type: ignore[arg-type]
    response_schema = BUILTIN_CHECKS["response_schema_conformance"].id
    assert context.verdicts == [
        (response_schema, "GetImageSetMetadata", True, ""),
        (response_schema, "GetImageFrame", False, "(body): empty; the blob payload is required"),
        (BLOB_HEADERS.id, "GetImageSetMetadata", False, "Content-Encoding: missing"),
        (BLOB_HEADERS.id, "GetImageFrame", True, ""),
    ]


def test_an_interrupt_stops_the_engine_before_schemathesis_can_swallow_it() -> None:
    """schemathesis catches a KeyboardInterrupt; one landing while a phase joins its
    threads ends only that phase. The stream's stop must be called whatever catches it."""
    stops: list[str] = []

    def interrupt(number: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGUSR1, interrupt)
    try:
        # schemathesis's engine catches the interrupt, as the suppress does
        with (
            _interrupts_kept(lambda: stops.append("stopped")) as noted,
            contextlib.suppress(KeyboardInterrupt),
        ):
            signal.raise_signal(signal.SIGUSR1)
        assert stops == ["stopped"]
        assert [type(error) for error in noted] == [KeyboardInterrupt]
        assert signal.getsignal(signal.SIGUSR1) is interrupt
    finally:
        signal.signal(signal.SIGUSR1, previous)
