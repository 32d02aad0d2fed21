"""The request rules of adapter protocol 1.1's scenarios, on hand-made requests."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import requests

from harness.aws.sigv4 import AwsCredentials, SigV4RequestsAuth
from harness.sdk import matchers
from harness.sdk.matchers import RequestRule
from harness.sdk.protocol import ACCESS_KEY, SECRET_KEY
from harness.sdk.stub import RecordedRequest

STUB = "127.0.0.1:40123"


def _request(
    call: int = 0,
    method: str = "GET",
    at: float = 0.0,
    body: bytes = b"",
    target: str | None = None,
    wall: float = 0.0,
    **headers: str,
) -> RecordedRequest:
    return RecordedRequest(
        call,
        method,
        "/datastore",
        (),
        {k.replace("_", "-"): v for k, v in headers.items()},
        body,
        target=target,
        endpoint=STUB,
        received_at=at,
        wall_time=wall,
    )


def _signed(
    host: str, sent_host: str | None = None, when: datetime | None = None
) -> RecordedRequest:
    prepared = requests.Request("POST", f"http://{host}/datastore/d?b=2&a=1", data=b"{}").prepare()
    clock = (lambda: when) if when is not None else None
    SigV4RequestsAuth(AwsCredentials(ACCESS_KEY, SECRET_KEY), "us-east-1", clock=clock)(prepared)
    headers = {name.lower(): str(value) for name, value in prepared.headers.items()}
    headers["host"] = sent_host or host
    return RecordedRequest(
        0,
        "POST",
        "/datastore/d",
        (("b", "2"), ("a", "1")),
        headers,
        b"{}",
        target=sent_host or host,
        raw_query="b=2&a=1",
        endpoint=STUB,
    )


@pytest.mark.parametrize(
    ("rule", "sent", "ok"),
    [
        (matchers.host("runtime-"), [_request(host=f"runtime-{STUB}")], True),
        (matchers.host("runtime-"), [_request(host=STUB)], False),
        (matchers.host(""), [_request(host=STUB, target=STUB)], True),
        (matchers.host(""), [_request(host=STUB, target=f"runtime-{STUB}")], False),
        (matchers.host(""), [_request(host=STUB), _request(host=f"runtime-{STUB}")], False),
        (
            matchers.attempt_numbers(),
            [
                _request(0, amz_sdk_request="attempt=1; max=3"),
                _request(0, amz_sdk_request="ttl=x; attempt=2; max=3"),
                _request(1, amz_sdk_request="attempt=1"),
            ],
            True,
        ),
        (
            matchers.attempt_numbers(),
            [
                _request(0, amz_sdk_request="attempt=1; max=3"),
                _request(0, amz_sdk_request="attempt=1; max=3"),
            ],
            False,
        ),
        (
            matchers.attempt_max(3),
            [
                _request(0, amz_sdk_request="attempt=1; max=3"),
                _request(0, amz_sdk_request="attempt=2; max=3"),
            ],
            True,
        ),
        (
            matchers.attempt_max(3),
            [
                _request(0, amz_sdk_request="attempt=1"),
                _request(0, amz_sdk_request="ttl=x; attempt=2; max=3"),
            ],
            False,
        ),
        (matchers.attempts_per_call([2, 1]), [_request(0), _request(0), _request(1)], True),
        (matchers.attempts_per_call([2, 1]), [_request(0), _request(1), _request(1)], False),
        (
            # The stub read call 0's retry after call 1 had begun: its invocation ID places it.
            matchers.attempts_per_call([2, 1]),
            [
                _request(0, amz_sdk_invocation_id="a"),
                _request(1, amz_sdk_invocation_id="a"),
                _request(1, amz_sdk_invocation_id="b"),
            ],
            True,
        ),
        (
            matchers.attempts_per_call([2, 1]),
            [
                _request(0, amz_sdk_invocation_id="a"),
                _request(1, amz_sdk_invocation_id="b"),
                _request(1, amz_sdk_invocation_id="b"),
            ],
            False,
        ),
        (
            matchers.last_calls_single_attempt(2, 3),
            [
                _request(0),
                _request(0),
                _request(1),
                _request(2),
            ],
            True,
        ),
        (matchers.last_calls_single_attempt(2, 3), [_request(0), _request(1), _request(1)], False),
        (
            matchers.backoff_within([1.0, 2.0], 0.5),
            [
                _request(at=10.0),
                _request(at=11.4),
                _request(at=13.9),
            ],
            True,
        ),
        (matchers.backoff_within([1.0, 2.0], 0.5), [_request(at=10.0), _request(at=11.6)], False),
        (
            matchers.backoff_within([1.0, 2.0], 0.5),
            [
                _request(0, at=10.0),
                _request(1, at=20.0),
            ],
            True,
        ),
        (matchers.no_framing(), [_request(method="GET")], True),
        (matchers.no_framing(), [_request(method="POST", content_length="0")], True),
        (matchers.no_framing(), [_request(method="GET", content_length="0")], False),
        (matchers.no_framing(), [_request(method="DELETE", transfer_encoding="chunked")], False),
        (matchers.no_framing(), [_request(method="POST", content_type="application/json")], False),
        (matchers.no_framing(), [_request(method="POST", body=b"{}")], False),
    ],
)
def test_rules_tell_right_from_wrong(
    rule: RequestRule, sent: list[RecordedRequest], ok: bool
) -> None:
    passed, reason = rule(sent)
    assert passed is ok
    assert ok or reason


def test_the_signature_must_cover_the_host_that_arrived() -> None:
    rule = matchers.signature_valid(SECRET_KEY, ACCESS_KEY)
    assert rule([_signed(f"runtime-{STUB}")]) == (True, "")
    ok, reason = rule([_signed(STUB, sent_host=f"runtime-{STUB}")])
    assert not ok and "does not verify" in reason
    assert not matchers.signature_valid("another-secret", ACCESS_KEY)([_signed(STUB)])[0]


def test_signing_time_is_judged_against_the_servers_clock() -> None:
    now = time.time()
    ahead = datetime.fromtimestamp(now, UTC) + timedelta(seconds=1200)
    corrected = _signed(STUB, when=ahead)
    local = _signed(STUB, when=datetime.fromtimestamp(now, UTC))
    rule = matchers.signed_at_server_time([1], 1200.0, 60.0)
    stamp = {"wall_time": now}
    assert rule([local, _replace(corrected, **stamp)])[0]
    ok, reason = rule([local, _replace(local, **stamp)])
    assert not ok and "signed -120" in reason
    assert not rule([local])[0]


def _replace(request: RecordedRequest, **changes: float) -> RecordedRequest:
    return replace(request, **changes)
