"""The request rules on requests built by hand: a well-formed one passes every rule, and
each mistake an SDK makes fails exactly the rule that names it."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from harness.aws.sigv4 import AwsCredentials, SigV4RequestsAuth
from harness.model import IN_SCOPE_OPERATIONS, operations, pinned_model
from harness.model.serialize import serialize_request
from harness.proxy.rules import REQUEST_CHECKS, Sent, routes
from harness.sdk.scenarios.samples import SAMPLE_INPUT
from harness.sdk.stub import RecordedRequest

HOST = "127.0.0.1:8080"
CREDENTIALS = AwsCredentials("AKIDEXAMPLE", "secret")


def recorded(
    operation: str,
    params: dict[str, Any] | None = None,
    *,
    prefix: str | None = None,
    signed: bool = True,
    region: str = "us-east-1",
    **changes: Any,
) -> RecordedRequest:
    """The request the reference serializer and SigV4 make for `operation`; `prefix` sends
    it in absolute form (forward mode) with that host prefix."""
    wire = serialize_request(
        pinned_model(), operations()[operation], params or SAMPLE_INPUT[operation]
    )
    host = f"{prefix or ''}{HOST}"
    prepared = requests.Request(
        wire.method,
        f"http://{host}{wire.path}",
        params=list(wire.query),
        data=wire.body,
        headers={**wire.headers, "Host": host},
        auth=SigV4RequestsAuth(CREDENTIALS, region) if signed else None,
    ).prepare()
    parts = urlsplit(prepared.url or "")
    request = RecordedRequest(
        call=0,
        method=wire.method,
        path=parts.path,
        query=tuple(parse_qsl(parts.query, keep_blank_values=True)),
        headers={name.lower(): value for name, value in prepared.headers.items()},
        body=wire.body or b"",
        target=host if prefix is not None else None,
        raw_query=parts.query,
        endpoint=HOST,
        wall_time=time.time(),
    )
    return replace(request, **changes)


def failing(*attempts: RecordedRequest) -> dict[str, list[str]]:
    """The rules the last of `attempts` fails, with their problems."""
    request = attempts[-1]
    sent = Sent(
        request, routes().match(request.method, request.path), list(attempts), "us-east-1", HOST
    )
    found = {}
    for filed in REQUEST_CHECKS:
        problems = filed.problems(sent)
        if problems:
            found[filed.check.id] = problems
    return found


@pytest.mark.parametrize("operation", IN_SCOPE_OPERATIONS)
def test_what_the_reference_serializer_sends_breaks_no_rule(operation: str) -> None:
    assert failing(recorded(operation)) == {}
    prefix = operations()[operation].host_prefix
    assert failing(recorded(operation, prefix=prefix)) == {}


def _with_body(request: RecordedRequest, body: dict[str, Any]) -> RecordedRequest:
    encoded = json.dumps(body).encode()
    return replace(
        request, body=encoded, headers={**request.headers, "content-length": str(len(encoded))}
    )


@pytest.mark.parametrize(
    ("mistake", "request_made", "rule"),
    [
        ("unsigned", lambda: recorded("ListDatastores", signed=False), "REQUEST-SIGV4"),
        (
            "signed for another region",
            lambda: recorded("ListDatastores", region="eu-west-1"),
            "REQUEST-SIGV4",
        ),
        (
            "signed twenty minutes ago",
            lambda: replace(recorded("ListDatastores"), wall_time=time.time() + 1200),
            "REQUEST-SIGV4",
        ),
        (
            "a path no operation binds",
            lambda: replace(recorded("ListDatastores"), path="/datastores"),
            "REQUEST-OPERATION",
        ),
        (
            "an ARN label left unencoded",
            lambda: replace(
                recorded("ListTagsForResource"),
                path="/tags/arn:aws:medical-imaging:us-east-1:123456789012:datastore/0123",
            ),
            "REQUEST-OPERATION",
        ),
        (
            "an ARN label's colons left unencoded",
            lambda: replace(
                recorded("ListTagsForResource"),
                path=recorded("ListTagsForResource").path.replace("%3A", ":"),
            ),
            "REQUEST-SERIALIZATION",
        ),
        (
            "a query boolean written True",
            lambda: replace(recorded("CopyImageSet"), raw_query="force=True"),
            "REQUEST-SERIALIZATION",
        ),
        (
            "a null member",
            lambda: _with_body(
                recorded("CreateDatastore"),
                {"datastoreName": "d", "clientToken": "t", "kmsKeyArn": None},
            ),
            "REQUEST-BODY-FORM",
        ),
        (
            "{} on a GET",
            lambda: replace(
                recorded("GetDatastore"),
                body=b"{}",
                headers={**recorded("GetDatastore").headers, "content-type": "application/json"},
            ),
            "REQUEST-BODY-FORM",
        ),
        (
            "Content-Length: 0 on a GET",
            lambda: replace(
                recorded("GetDatastore"),
                headers={**recorded("GetDatastore").headers, "content-length": "0"},
            ),
            "REQUEST-BODY-FORM",
        ),
        (
            "no clientToken",
            lambda: _with_body(recorded("CreateDatastore"), {"datastoreName": "d"}),
            "REQUEST-TOKEN-FILLED",
        ),
        (
            "a blob sent as text",
            lambda: _with_body(
                recorded("UpdateImageSetMetadata"),
                {"DICOMUpdates": {"updatableAttributes": '{"SchemaVersion": 1.1}'}},
            ),
            "REQUEST-INPUT-VALID",
        ),
        (
            "a required member missing",
            lambda: _with_body(
                recorded("StartDICOMImportJob"),
                {"clientToken": "t", "inputS3Uri": "s3://b/", "outputS3Uri": "s3://b/o/"},
            ),
            "REQUEST-INPUT-VALID",
        ),
        (
            "no host prefix through the proxy",
            lambda: recorded("GetImageSet", prefix=""),
            "REQUEST-HOST-PREFIX",
        ),
        (
            "a host prefix where the model has none",
            lambda: recorded("ListDatastores", prefix="runtime-"),
            "REQUEST-HOST-PREFIX",
        ),
    ],
)
def test_each_mistake_fails_exactly_its_rule(mistake: str, request_made: Any, rule: str) -> None:
    assert list(failing(request_made())) == [rule], mistake


def _attempt(request: RecordedRequest, number: int, token: str) -> RecordedRequest:
    headers = {
        **request.headers,
        "amz-sdk-invocation-id": "call-1",
        "amz-sdk-request": f"attempt={number}; max=3",
    }
    body = json.loads(request.body)
    return replace(_with_body(request, {**body, "clientToken": token}), headers=headers)


def test_the_attempts_of_one_call_keep_their_token_and_count_up() -> None:
    first = _attempt(recorded("StartDICOMImportJob"), 1, "token-a")
    assert failing(first, _attempt(first, 2, "token-a")) == {}
    assert list(failing(first, _attempt(first, 2, "token-b"))) == ["REQUEST-TOKEN-STABLE"]
    assert list(failing(first, _attempt(first, 1, "token-a"))) == ["REQUEST-ATTEMPT-HEADER"]
