"""The loopback stub as server and proxy: what it records, and the replies that misbehave."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime

import pytest
import requests

from harness.sdk.stub import Reply, StubServer


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer().start()
    yield server
    server.stop()


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def test_a_request_through_the_stub_as_proxy_keeps_the_host_the_client_chose(
    stub: StubServer,
) -> None:
    stub.script((Reply(200, body=b"{}"),))
    prefixed = f"runtime-{stub.authority}"
    answer = _session().post(
        f"http://{prefixed}/datastore/d/getImageSet?version=2&x=a%2Fb",
        proxies={"http": stub.url},
    )
    assert answer.status_code == 200
    (request,) = stub.requests
    assert request.target == prefixed
    assert request.header("host") == prefixed
    assert request.path == "/datastore/d/getImageSet"
    assert request.raw_query == "version=2&x=a%2Fb"
    assert request.query == (("version", "2"), ("x", "a/b"))
    assert request.endpoint == stub.authority


def test_a_direct_request_has_no_request_line_authority(stub: StubServer) -> None:
    stub.script((Reply(200),))
    _session().get(f"{stub.url}/datastore")
    assert stub.requests[0].target is None
    assert stub.requests[0].header("host") == stub.authority


def test_a_reset_reply_answers_nothing_and_the_next_reply_follows(stub: StubServer) -> None:
    stub.script((Reply(200, body=b"never sent", reset=True), Reply(200, body=b"second")))
    with pytest.raises(requests.ConnectionError):
        _session().get(f"{stub.url}/a")
    assert _session().get(f"{stub.url}/a").content == b"second"
    assert len(stub.requests) == 2


def test_a_delayed_reply_outlasts_a_shorter_client_timeout(stub: StubServer) -> None:
    stub.script((Reply(200, delay=1.0), Reply(200, body=b"in time")))
    with pytest.raises(requests.Timeout):
        _session().get(f"{stub.url}/a", timeout=0.2)
    assert _session().get(f"{stub.url}/a").content == b"in time"


def test_date_headers_follow_the_scripted_offset_or_are_left_out(stub: StubServer) -> None:
    stub.script((Reply(403, date_offset=1200.0), Reply(200, date_offset=None), Reply(200)))
    ahead = _session().get(f"{stub.url}/a").headers["Date"]
    assert abs(parsedate_to_datetime(ahead).timestamp() - (time.time() + 1200)) < 5
    assert "Date" not in _session().get(f"{stub.url}/a").headers
    now = _session().get(f"{stub.url}/a").headers["Date"]
    assert abs(parsedate_to_datetime(now).timestamp() - time.time()) < 5
    assert "," not in now.split(",", 1)[1]


def test_a_connect_is_recorded_with_its_authority_and_refused(stub: StubServer) -> None:
    stub.script((Reply(200, body=b"{}"),))
    with pytest.raises(requests.exceptions.ProxyError):
        _session().get(
            "https://medical-imaging-fips.us-east-1.amazonaws.com/datastore",
            proxies={"https": stub.url},
        )
    (request,) = stub.requests
    assert request.method == "CONNECT"
    assert request.target == "medical-imaging-fips.us-east-1.amazonaws.com:443"
    assert request.path == ""
