from __future__ import annotations

import json

import pytest

from harness.sdk import matchers
from harness.sdk.judge import expectation, judge
from harness.sdk.matchers import RequestRule, same_value
from harness.sdk.scenarios import BY_ID, FRAME_BYTES, METADATA_GZIP
from harness.sdk.stub import RecordedRequest

UUID = "3f2c1a9e-8b7d-4c6e-9f01-23456789abcd"


def _request(
    call: int = 0,
    token: str | None = UUID,
    query: tuple[tuple[str, str], ...] = (("maxResults", "5"),),
    body: bytes | None = None,
    **headers: str,
) -> RecordedRequest:
    if body is None:
        body = json.dumps({"clientToken": token}).encode() if token else b"{}"
    return RecordedRequest(
        call,
        "POST",
        "/datastore",
        query,
        {k.replace("_", "-"): v for k, v in headers.items()},
        body,
    )


AUTH = "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/{}/aws4_request, SignedHeaders=host"


@pytest.mark.parametrize(
    ("rule", "requests", "ok"),
    [
        (matchers.token_is_uuid4(), [_request()], True),
        (matchers.token_is_uuid4(), [_request(token="not-a-uuid")], False),
        (matchers.token_is_uuid4(), [_request(token=None)], False),
        (matchers.token_same_across_attempts(), [_request(), _request()], True),
        (
            matchers.token_same_across_attempts(),
            [_request(), _request(token=UUID[:-1] + "e")],
            False,
        ),
        (matchers.token_differs_per_call(), [_request(0), _request(1, UUID[:-1] + "e")], True),
        (matchers.token_differs_per_call(), [_request(0), _request(1)], False),
        (matchers.token_equals(UUID), [_request(), _request()], True),
        (matchers.token_equals("other"), [_request()], False),
        (
            matchers.invocation_id_constant(),
            [_request(amz_sdk_invocation_id="a"), _request(amz_sdk_invocation_id="a")],
            True,
        ),
        (
            matchers.invocation_id_constant(),
            [_request(amz_sdk_invocation_id="a"), _request(amz_sdk_invocation_id="b")],
            False,
        ),
        (matchers.invocation_id_constant(), [_request(), _request()], True),
        (matchers.query_has("maxResults", "5"), [_request()], True),
        (matchers.query_has("maxResults", "6"), [_request()], False),
        (
            matchers.query_values("tagKeys", ["a", "b"]),
            [_request(query=(("tagKeys", "a"), ("tagKeys", "b")))],
            True,
        ),
        (
            matchers.query_values("tagKeys", ["a", "b"]),
            [_request(query=(("tagKeys", "a,b"),))],
            False,
        ),
        (matchers.query_lacks("versionId"), [_request()], True),
        (matchers.query_lacks("maxResults"), [_request()], False),
        (matchers.method("POST"), [_request()], True),
        (matchers.method("GET"), [_request()], False),
        (matchers.path("/datastore"), [_request()], True),
        (matchers.path("/datastore/x"), [_request()], False),
        (
            matchers.content_type("application/json"),
            [_request(content_type="application/json")],
            True,
        ),
        (matchers.content_type("application/json"), [_request()], False),
        (matchers.no_body(), [_request(body=b"")], True),
        (matchers.no_body(), [_request(body=b"{}", content_type="application/json")], False),
        (matchers.no_body(), [_request(body=b"", content_type="application/json")], False),
        (matchers.no_nulls(), [_request()], True),
        (matchers.no_nulls(), [_request(body=b'{"a": {"b": null}}')], False),
        (matchers.no_nulls(), [_request(body=b"not json")], False),
        (matchers.json_body({"a": [1, 2.5]}), [_request(body=b'{"a": [1, 2.5]}')], True),
        (matchers.json_body({"a": 1}), [_request(body=b'{"a": 1, "b": 2}')], False),
        (matchers.json_body({}), [_request(body=b"")], False),
        (matchers.json_body({"f": True}), [_request(body=b'{"f": 1}')], False),
        (
            matchers.signed("us-east-1/medical-imaging"),
            [_request(authorization=AUTH.format("medical-imaging"))],
            True,
        ),
        (
            matchers.signed("us-east-1/medical-imaging"),
            [_request(authorization=AUTH.format("s3"))],
            False,
        ),
        (matchers.token_is_uuid4(), [], False),
        (matchers.no_body(), [], False),
    ],
)
def test_request_rules_explain_themselves(
    rule: RequestRule, requests: list[RecordedRequest], ok: bool
) -> None:
    passed, reason = rule(requests)
    assert passed is ok
    assert reason
    assert rule.description


def test_values_compare_numbers_to_the_millisecond_and_blobs_byte_for_byte() -> None:
    assert same_value({"t": 1.0005, "b": b"\x1f\x8b"}, {"t": 1.0, "b": b"\x1f\x8b"})
    assert not same_value({"b": b"\x1f\x8b"}, {"b": b"\x1f"})
    assert not same_value({"b": b"x"}, {"b": "x"})
    assert not same_value({"n": 1}, {"n": True})
    assert not same_value({"f": False}, {"f": 0})


def test_expectations_compare_every_reported_field() -> None:
    scenario = BY_ID["SDK-ERR-URI-SUFFIX-StartDICOMImportJob-ConflictException"]
    right = {
        "id": 1,
        "error": {
            "kind": "service",
            "code": "ConflictException",
            "message": "m",
            "httpStatus": 409,
            "modeled": True,
        },
    }
    assert expectation(scenario, right) == []
    wrong = {
        "id": 1,
        "error": {**right["error"], "code": "ConflictException:http://x", "modeled": False},
    }
    problems = expectation(scenario, wrong)
    assert any("code" in p for p in problems) and any("modeled" in p for p in problems)
    assert expectation(scenario, {"id": 1, "output": {}}) == [
        'expected a service error, got {"id": 1, "output": {}}'
    ]


def test_outputs_compare_timestamps_to_the_millisecond() -> None:
    scenario = BY_ID["SDK-DESERIALIZE-FRACTIONS"]
    output = json.loads(json.dumps(scenario.expect.output))
    assert expectation(scenario, {"id": 1, "output": output}) == []
    output["jobProperties"]["submittedAt"] = 1732300000  # fraction dropped
    assert expectation(scenario, {"id": 1, "output": output})


def test_blob_outputs_must_be_the_bytes_sent() -> None:
    frame = BY_ID["SDK-BLOB-FRAME"]
    assert (
        expectation(frame, {"output": {"imageFrameBlob": FRAME_BYTES, "contentType": "image/jph"}})
        == []
    )
    text = FRAME_BYTES.decode("latin-1").encode("utf-8")
    assert expectation(frame, {"output": {"imageFrameBlob": text, "contentType": "image/jph"}})
    metadata = BY_ID["SDK-BLOB-METADATA-GZIP"]
    expected = metadata.expect.output
    assert expected is not None
    gunzipped = {**expected, "imageSetMetadataBlob": b'{"SchemaVersion": "1.1"}'}
    problems = expectation(metadata, {"output": gunzipped})
    assert problems and "$base64" in problems[0]
    assert (
        expectation(metadata, {"output": {**expected, "imageSetMetadataBlob": METADATA_GZIP}}) == []
    )


def test_a_failed_judgement_keeps_its_evidence_printable() -> None:
    scenario = BY_ID["SDK-BLOB-FRAME"]
    outcome = judge(
        scenario, "toy", [{"id": 1, "output": {"imageFrameBlob": b"\x00"}}], [_request()]
    )
    assert outcome.status == "failed"
    assert any("$base64" in evidence.note for evidence in outcome.evidence)
