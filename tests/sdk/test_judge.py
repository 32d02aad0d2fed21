from __future__ import annotations

import json

import pytest

from harness.sdk.judge import expectation, request_rule
from harness.sdk.scenarios import BY_ID
from harness.sdk.stub import RecordedRequest

UUID = "3f2c1a9e-8b7d-4c6e-9f01-23456789abcd"


def _request(call: int = 0, token: str | None = UUID, **headers: str) -> RecordedRequest:
    body = json.dumps({"clientToken": token}).encode() if token else b"{}"
    return RecordedRequest(
        call,
        "POST",
        "/datastore",
        (("maxResults", "5"),),
        {k.replace("_", "-"): v for k, v in headers.items()},
        body,
    )


@pytest.mark.parametrize(
    ("rule", "requests", "ok"),
    [
        (("token", "uuid4"), [_request()], True),
        (("token", "uuid4"), [_request(token="not-a-uuid")], False),
        (("token", "uuid4"), [_request(token=None)], False),
        (("token", "same-across-attempts"), [_request(), _request()], True),
        (("token", "same-across-attempts"), [_request(), _request(token=UUID[:-1] + "e")], False),
        (("token", "differs-per-call"), [_request(0), _request(1, UUID[:-1] + "e")], True),
        (("token", "differs-per-call"), [_request(0), _request(1)], False),
        (
            ("invocation-id", "constant"),
            [_request(amz_sdk_invocation_id="a"), _request(amz_sdk_invocation_id="a")],
            True,
        ),
        (
            ("invocation-id", "constant"),
            [_request(amz_sdk_invocation_id="a"), _request(amz_sdk_invocation_id="b")],
            False,
        ),
        (("invocation-id", "constant"), [_request(), _request()], True),
        (("query", "maxResults=5"), [_request()], True),
        (("query", "maxResults=6"), [_request()], False),
        (("path", "/datastore"), [_request()], True),
        (
            ("signed", "us-east-1/medical-imaging"),
            [
                _request(
                    authorization="AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/"
                    "medical-imaging/aws4_request, SignedHeaders=host, Signature=ab"
                )
            ],
            True,
        ),
        (
            ("signed", "us-east-1/medical-imaging"),
            [
                _request(
                    authorization="AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/"
                    "s3/aws4_request, SignedHeaders=host, Signature=ab"
                )
            ],
            False,
        ),
        (("token", "uuid4"), [], False),
    ],
)
def test_request_rules_explain_themselves(
    rule: tuple[str, str], requests: list[RecordedRequest], ok: bool
) -> None:
    passed, reason = request_rule(*rule, requests)
    assert passed is ok
    assert reason


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
        "expected a service error, got {'id': 1, 'output': {}}"
    ]


def test_outputs_compare_timestamps_to_the_millisecond() -> None:
    scenario = BY_ID["SDK-DESERIALIZE-FRACTIONS"]
    output = json.loads(json.dumps(scenario.expect.output))
    assert expectation(scenario, {"id": 1, "output": output}) == []
    output["jobProperties"]["submittedAt"] = 1732300000  # fraction dropped
    assert expectation(scenario, {"id": 1, "output": output})
