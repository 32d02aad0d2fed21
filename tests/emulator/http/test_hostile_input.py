"""Hostile input: framing, path, query, header, JSON and signature attacks over raw sockets.

Every attack must be answered 4xx (or, where the bytes cannot be parsed as HTTP, with a
closed connection) within a bounded time, never 5xx, and the emulator must serve a
normal signed request afterwards. The socket timeout is bounded, so a hang fails the
test instead of holding CI. Requests that must get past authentication to reach the
code under attack are signed with botocore's SigV4 (through `SigV4RequestsAuth`) over
exactly the bytes sent.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import requests

from harness.aws.sigv4 import AwsCredentials, SigV4RequestsAuth
from harness.emulator import Emulator
from harness.emulator.http.server import ServerSettings
from tests.emulator.conftest import ROLE, start_emulator

SERVER_TIMEOUT = 2
"""The emulator's idle timeout in this module: slow clients are dropped after it."""
SOCKET_TIMEOUT = 4 * SERVER_TIMEOUT
"""Longer than any answer may take; a recv that times out is a hang and fails."""
DATASTORE = "a" * 32
JOB = "b" * 32

Build = Callable[[str], bytes]
"""host:port → the bytes of the attack."""


@dataclass(frozen=True)
class Attack:
    name: str
    family: str
    build: Build
    may_close: bool = False
    """True where the bytes are not parsable HTTP: closing without an answer is right too."""
    half_close: bool = False
    """Shut down the sending side after the bytes (a body that will never be completed)."""


@dataclass(frozen=True)
class Outcome:
    status: int | None
    headers: dict[str, str]
    body: bytes
    seconds: float


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    running = start_emulator(http=ServerSettings(timeout=SERVER_TIMEOUT))
    yield running
    running.stop()


def _signed(
    method: str,
    target: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    secret: str = "test",
    key: str = "test",
    region: str = "us-east-1",
    shift: timedelta = timedelta(0),
    service: str = "medical-imaging",
    chunked: bool = False,
) -> Build:
    """A request signed over `target` as sent (no normalisation), serialised by hand."""

    def build(authority: str) -> bytes:
        prepared = requests.Request(
            method, f"http://{authority}/", data=body or None, headers=headers or {}
        ).prepare()
        prepared.url = target if "://" in target else f"http://{authority}{target}"
        prepared.headers["Host"] = urlsplit(prepared.url).netloc
        if chunked:
            del prepared.headers["Content-Length"]
            prepared.headers["Transfer-Encoding"] = "chunked"
        clock = lambda: datetime.now(UTC) + shift  # noqa: E731
        SigV4RequestsAuth(AwsCredentials(key, secret), region, clock, service)(prepared)
        return _serialise(method, target, dict(prepared.headers), body)

    return build


def _serialise(method: str, target: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{method} {target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape") + body


def _raw(text: bytes) -> Build:
    return lambda authority: text.replace(b"{host}", authority.encode())


def _json_post(body: bytes, target: str = "/datastore", **headers: str) -> Build:
    return _signed("POST", target, body, {"Content-Type": "application/json", **headers})


def _with_headers(build: Build, extra: bytes, drop: tuple[bytes, ...] = ()) -> Build:
    """Signed bytes, then headers dropped or added (after signing: the attack is the framing)."""

    def changed(authority: str) -> bytes:
        head, _, body = build(authority).partition(b"\r\n\r\n")
        lines = [
            line
            for line in head.split(b"\r\n")
            if not any(line.lower().startswith(name.lower() + b":") for name in drop)
        ]
        return b"\r\n".join([*lines, extra]) + b"\r\n\r\n" + body

    return changed


def _chunked(raw_body: bytes, signed_body: bytes = b"") -> Build:
    """Signed over `signed_body` as a chunked request, sent with `raw_body` as its chunks."""

    def build(authority: str) -> bytes:
        headers = {"Content-Type": "application/json"}
        signed = _signed("POST", "/datastore", signed_body, headers, chunked=True)(authority)
        return signed.partition(b"\r\n\r\n")[0] + b"\r\n\r\n" + raw_body

    return build


START = f"/startDICOMImportJob/datastore/{DATASTORE}"
GET_JOB = f"/getDICOMImportJob/datastore/{DATASTORE}/job/{JOB}"
BIG = b"x" * (4 * 1024 * 1024 + 10)


def _start_body(**members: object) -> bytes:
    body = {
        "dataAccessRoleArn": ROLE,
        "inputS3Uri": "s3://in/",
        "outputS3Uri": "s3://out/",
        **members,
    }
    return json.dumps(body).encode()


ATTACKS: list[Attack] = [
    # framing: what the HTTP server itself must refuse
    Attack("http09-request-line", "framing", _raw(b"GET /datastore\n"), may_close=True),
    Attack("no-version-crlf", "framing", _raw(b"GET /datastore\r\n\r\n"), may_close=True),
    Attack(
        "unknown-version",
        "framing",
        _raw(b"GET /datastore HTTP/9.9\r\nHost: {host}\r\n\r\n"),
        may_close=True,
    ),
    Attack("binary-request-line", "framing", _raw(b"\x00\x01\x02\xff\r\n\r\n"), may_close=True),
    Attack(
        "empty-method",
        "framing",
        _raw(b" /datastore HTTP/1.1\r\nHost: {host}\r\n\r\n"),
        may_close=True,
    ),
    Attack(
        "lowercase-garbage", "framing", _raw(b"get\t/datastore\tHTTP/1.1\r\n\r\n"), may_close=True
    ),
    Attack(
        "bare-lf-headers",
        "framing",
        _raw(b"GET /datastore HTTP/1.1\nHost: {host}\n\n"),
        may_close=True,
    ),
    Attack(
        "header-without-colon",
        "framing",
        _raw(b"GET /datastore HTTP/1.1\r\nHost: {host}\r\nNoColonHere\r\n\r\n"),
        may_close=True,
    ),
    Attack(
        "obs-fold-header",
        "framing",
        _raw(b"GET /datastore HTTP/1.1\r\nHost: {host}\r\nX-A: a\r\n  folded\r\n\r\n"),
        may_close=True,
    ),
    Attack(
        "oversized-header",
        "framing",
        _raw(b"GET /datastore HTTP/1.1\r\nHost: {host}\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n"),
        may_close=True,
    ),
    Attack(
        "many-headers",
        "framing",
        _raw(
            b"GET /datastore HTTP/1.1\r\nHost: {host}\r\n"
            + b"".join(b"X-%d: v\r\n" % i for i in range(5000))
            + b"\r\n"
        ),
        may_close=True,
    ),
    Attack(
        "oversized-request-line",
        "framing",
        _raw(b"GET /datastore/" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: {host}\r\n\r\n"),
        may_close=True,
    ),
    Attack("chunk-size-not-hex", "framing", _chunked(b"zz\r\n{}\r\n0\r\n\r\n"), may_close=True),
    Attack("chunk-size-negative", "framing", _chunked(b"-5\r\n{}\r\n0\r\n\r\n"), may_close=True),
    Attack(
        "chunk-data-longer-than-size",
        "framing",
        _chunked(b"1\r\n{}}}}\r\n0\r\n\r\n"),
        may_close=True,
    ),
    Attack(
        "chunk-huge-size",
        "framing",
        _chunked(b"ffffffffffffffffff\r\n{}\r\n0\r\n\r\n"),
        may_close=True,
    ),
    Attack("chunked-truncated", "framing", _chunked(b"10\r\n{}"), may_close=True, half_close=True),
    Attack(
        "chunked-no-last-chunk",
        "framing",
        _chunked(b"2\r\n{}\r\n"),
        may_close=True,
        half_close=True,
    ),
    Attack(
        "chunked-and-content-length",
        "framing",
        _with_headers(_json_post(b"{}"), b"Transfer-Encoding: chunked"),
        may_close=True,
    ),
    Attack(
        "unknown-transfer-coding",
        "framing",
        _with_headers(_json_post(b"{}"), b"Transfer-Encoding: gzip, chunked"),
        may_close=True,
    ),
    Attack(
        "content-length-not-a-number",
        "framing",
        _with_headers(_json_post(b"{}"), b"Content-Length: abc", drop=(b"Content-Length",)),
        may_close=True,
    ),
    Attack(
        "content-length-negative",
        "framing",
        _with_headers(_json_post(b"{}"), b"Content-Length: -1", drop=(b"Content-Length",)),
        may_close=True,
    ),
    Attack(
        "content-length-twice-differing",
        "framing",
        _with_headers(_json_post(b"{}"), b"Content-Length: 1"),
        may_close=True,
    ),
    Attack(
        "content-length-longer-than-body",
        "framing",
        _with_headers(_json_post(b"{}"), b"Content-Length: 100", drop=(b"Content-Length",)),
        may_close=True,
        half_close=True,
    ),
    Attack(
        "content-length-huge",
        "framing",
        _with_headers(
            _json_post(b""), b"Content-Length: 99999999999999999999", drop=(b"Content-Length",)
        ),
        may_close=True,
    ),
    Attack(
        "connect-method",
        "framing",
        _raw(b"CONNECT {host} HTTP/1.1\r\nHost: {host}\r\n\r\n"),
        may_close=True,
    ),
    Attack("http10-no-host", "framing", _raw(b"GET /datastore HTTP/1.0\r\n\r\n")),
    Attack("http11-no-host", "framing", _raw(b"GET /datastore HTTP/1.1\r\n\r\n"), may_close=True),
    # paths
    Attack("dot-dot-segments", "path", _signed("GET", "/datastore/../datastore/../../etc/passwd")),
    Attack("encoded-dot-dot", "path", _signed("GET", "/%2e%2e/%2e%2e/etc/passwd")),
    Attack("nul-in-label", "path", _signed("GET", "/datastore/%00")),
    Attack("bad-percent-escape", "path", _signed("GET", "/datastore/%ZZ")),
    Attack("double-slash", "path", _signed("GET", "//datastore")),
    Attack("long-label", "path", _signed("GET", "/datastore/" + "a" * 8000)),
    Attack("non-ascii-label", "path", _signed("GET", "/datastore/%C3%A9t%C3%A9")),
    Attack("invalid-utf8-label", "path", _signed("GET", "/datastore/%FF%FE")),
    Attack("unknown-route", "path", _signed("GET", "/no/such/route")),
    Attack("route-wrong-method", "path", _signed("DELETE", GET_JOB)),
    Attack("unknown-job", "path", _signed("GET", GET_JOB)),
    Attack("label-with-slash", "path", _signed("GET", f"/datastore/{DATASTORE}%2F..")),
    Attack(
        "absolute-form-other-host",
        "path",
        _signed("GET", "http://169.254.169.254/latest/meta-data/"),
    ),
    Attack(
        "asterisk-form", "path", _raw(b"GET * HTTP/1.1\r\nHost: {host}\r\n\r\n"), may_close=True
    ),
    Attack(
        "health-path-wrong-method",
        "path",
        _raw(b"POST /_health HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n"),
    ),
    # query strings
    Attack("max-results-negative", "query", _signed("GET", "/datastore?maxResults=-1")),
    Attack("max-results-not-a-number", "query", _signed("GET", "/datastore?maxResults=abc")),
    Attack("max-results-huge", "query", _signed("GET", "/datastore?maxResults=" + "9" * 40)),
    Attack("max-results-float", "query", _signed("GET", "/datastore?maxResults=1.5")),
    Attack("status-not-in-enum", "query", _signed("GET", "/datastore?datastoreStatus=BOGUS")),
    Attack("next-token-garbage", "query", _signed("GET", "/datastore?nextToken=%FF%00garbage")),
    Attack("next-token-huge", "query", _signed("GET", "/datastore?nextToken=" + "A" * 20000)),
    Attack("bad-escape-in-query", "query", _signed("GET", "/datastore?maxResults=%ZZ")),
    Attack(
        "version-not-a-number",
        "query",
        _signed("POST", f"/datastore/{DATASTORE}/imageSet/{JOB}/getImageSet?version=x"),
    ),
    Attack(
        "version-beyond-int64",
        "query",
        _signed("POST", f"/datastore/{DATASTORE}/imageSet/{JOB}/getImageSet?version=" + "9" * 30),
    ),
    # headers
    Attack(
        "content-type-xml",
        "header",
        _signed("POST", "/datastore", b"<a/>", {"Content-Type": "application/xml"}),
    ),
    Attack(
        "content-type-garbage",
        "header",
        _signed("POST", "/datastore", b"{}", {"Content-Type": "\x01\x02"}),
    ),
    Attack(
        "authorization-garbage",
        "header",
        _raw(b"GET /datastore HTTP/1.1\r\nHost: {host}\r\nAuthorization: garbage\r\n\r\n"),
    ),
    Attack(
        "authorization-empty",
        "header",
        _raw(b"GET /datastore HTTP/1.1\r\nHost: {host}\r\nAuthorization: \r\n\r\n"),
    ),
    Attack(
        "authorization-huge",
        "header",
        _raw(
            b"GET /datastore HTTP/1.1\r\nHost: {host}\r\n"
            b"Authorization: AWS4-HMAC-SHA256 Credential=" + b"a" * 30000 + b"\r\n\r\n"
        ),
    ),
    Attack(
        "non-ascii-header-value",
        "header",
        _raw(b"GET /datastore HTTP/1.1\r\nHost: {host}\r\nX-Amz-Date: \xff\xfe\r\n\r\n"),
    ),
    Attack(
        "date-garbage",
        "header",
        _with_headers(
            _signed("GET", "/datastore"), b"X-Amz-Date: not-a-date", drop=(b"X-Amz-Date",)
        ),
    ),
    Attack(
        "duplicate-authorization",
        "header",
        _with_headers(
            _signed("GET", "/datastore"), b"Authorization: AWS4-HMAC-SHA256 Credential=x"
        ),
    ),
    Attack(
        "host-changed-after-signing",
        "header",
        _with_headers(_signed("GET", "/datastore"), b"Host: evil.example", drop=(b"Host",)),
    ),
    # JSON bodies (signed: they must reach the decoder)
    Attack("json-truncated", "json", _json_post(b'{"datastoreName": ')),
    Attack("json-array", "json", _json_post(b"[]")),
    Attack("json-string", "json", _json_post(b'"x"')),
    Attack("json-null", "json", _json_post(b"null")),
    Attack("json-deep-nesting", "json", _json_post(b"[" * 100_000 + b"]" * 100_000)),
    Attack("json-deep-objects", "json", _json_post(b'{"a":' * 50_000 + b"1" + b"}" * 50_000)),
    Attack("json-huge-exponent", "json", _json_post(b'{"datastoreName": 1e999999}')),
    Attack("json-nan", "json", _json_post(b'{"datastoreName": NaN}')),
    Attack("json-invalid-utf8", "json", _json_post(b'{"datastoreName": "\xff\xfe"}')),
    Attack("json-lone-surrogate", "json", _json_post(b'{"datastoreName": "\\ud800"}')),
    Attack("json-wrong-member-type", "json", _json_post(b'{"datastoreName": 5}')),
    Attack(
        "json-member-too-long",
        "json",
        _json_post(json.dumps({"datastoreName": "a" * 10_000}).encode()),
    ),
    Attack("json-nul-in-string", "json", _json_post(b'{"datastoreName": "a\\u0000b"}')),
    Attack("json-over-4-mib", "json", _json_post(BIG)),
    Attack("json-start-missing-members", "json", _json_post(b"{}", START)),
    Attack("json-start-bad-uri", "json", _json_post(_start_body(inputS3Uri="http://x"), START)),
    Attack("json-start-unknown-datastore", "json", _json_post(_start_body(), START)),
    Attack(
        "json-search-bad-operator",
        "json",
        _json_post(
            b'{"filters": [{"operator": "LIKE", "values": []}]}',
            f"/datastore/{DATASTORE}/searchImageSets",
        ),
    ),
    Attack(
        "json-search-not-an-object",
        "json",
        _json_post(b"[1, 2]", f"/datastore/{DATASTORE}/searchImageSets"),
    ),
    # signatures
    Attack("unsigned", "signature", _raw(b"GET /datastore HTTP/1.1\r\nHost: {host}\r\n\r\n")),
    Attack("wrong-secret", "signature", _signed("GET", "/datastore", secret="wrong")),
    Attack("unknown-key", "signature", _signed("GET", "/datastore", key="nobody")),
    Attack("stale-date", "signature", _signed("GET", "/datastore", shift=timedelta(hours=-1))),
    Attack("future-date", "signature", _signed("GET", "/datastore", shift=timedelta(hours=1))),
    Attack("wrong-service-scope", "signature", _signed("GET", "/datastore", service="s3")),
    Attack("wrong-region-scope", "signature", _signed("GET", "/datastore", region="eu-west-1")),
    Attack(
        "body-changed-after-signing",
        "signature",
        lambda a: _json_post(b'{"datastoreName":"a"}')(a).replace(b'"a"', b'"b"'),
    ),
    Attack(
        "path-changed-after-signing",
        "signature",
        lambda a: _signed("GET", "/datastore")(a).replace(
            b"GET /datastore", b"GET /datastore/" + DATASTORE.encode(), 1
        ),
    ),
    Attack(
        "query-added-after-signing",
        "signature",
        lambda a: _signed("GET", "/datastore")(a).replace(
            b"GET /datastore", b"GET /datastore?maxResults=1", 1
        ),
    ),
    Attack(
        "algorithm-sha1",
        "signature",
        lambda a: _signed("GET", "/datastore")(a).replace(b"AWS4-HMAC-SHA256", b"AWS4-HMAC-SHA1"),
    ),
    Attack(
        "signed-headers-without-host",
        "signature",
        lambda a: _signed("GET", "/datastore")(a).replace(
            b"SignedHeaders=host;", b"SignedHeaders="
        ),
    ),
    Attack(
        "reader-key-outside-allow-list",
        "signature",
        _signed("GET", "/datastore", key="reader", secret="secret"),
    ),
]


def _complete(received: bytes) -> bool:
    """Whether `received` holds a whole answer: its head and the body its length announces."""
    head, found, body = received.partition(b"\r\n\r\n")
    if not found:
        return False
    lengths = [
        line.split(b":", 1)[1].strip()
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    ]
    return not lengths or len(body) >= int(lengths[0])


def _send(authority: str, attack: Attack) -> Outcome:
    host, port = authority.rsplit(":", 1)
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=SOCKET_TIMEOUT) as sock:
        try:
            sock.sendall(attack.build(authority))
            if attack.half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server refused before reading everything: it may still have answered
        received = b""
        try:
            while not _complete(received):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        except ConnectionResetError:
            pass
        except TimeoutError:
            pytest.fail(f"{attack.name}: no answer and no close within {SOCKET_TIMEOUT} s")
    seconds = time.monotonic() - started
    if not received:
        return Outcome(None, {}, b"", seconds)
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    # the first answer only: bytes after it answer what the server read as a next request
    length = int(headers.get("content-length", len(body)))
    return Outcome(int(status_line.split()[1]), headers, body[:length], seconds)


def _serves(emulator: Emulator) -> None:
    session = requests.Session()
    session.auth = SigV4RequestsAuth(AwsCredentials("test", "test"), "us-east-1")
    response = session.get(f"{emulator.url}/datastore", timeout=SOCKET_TIMEOUT)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda attack: f"{attack.family}-{attack.name}")
def test_attack_is_refused_and_the_emulator_still_serves(
    emulator: Emulator, attack: Attack
) -> None:
    outcome = _send(urlsplit(emulator.url).netloc, attack)
    if outcome.status is None:
        assert attack.may_close, f"{attack.name}: connection closed without an answer"
    else:
        assert 400 <= outcome.status < 500, (
            f"{attack.name}: {outcome.status} {outcome.body[:200]!r}"
        )
        assert outcome.headers.get("content-type", "").startswith("application/json"), (
            f"{attack.name}: {outcome.headers}"
        )
        assert outcome.headers.get("x-amzn-errortype"), attack.name
        assert isinstance(json.loads(outcome.body).get("message"), str), attack.name
    _serves(emulator)


def test_the_table_covers_every_family() -> None:
    families = {attack.family for attack in ATTACKS}
    assert families == {"framing", "path", "query", "header", "json", "signature"}
    assert len({attack.name for attack in ATTACKS}) == len(ATTACKS)


def test_a_silent_client_is_dropped_after_the_timeout(emulator: Emulator) -> None:
    """Slowloris: a request line and one header, then nothing; the server closes."""
    host, port = urlsplit(emulator.url).netloc.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=SOCKET_TIMEOUT) as sock:
        sock.sendall(b"GET /datastore HTTP/1.1\r\nHost: x\r\n")
        try:
            received = sock.recv(65536)
        except TimeoutError:
            pytest.fail("a silent client held its connection past the socket timeout")
    assert received == b"" or received.split()[1].startswith(b"4")
    _serves(emulator)


def test_a_trickling_client_cannot_hold_every_thread(emulator: Emulator) -> None:
    """More slow connections than server threads: a normal request is still served."""
    host, port = urlsplit(emulator.url).netloc.rsplit(":", 1)
    slow = [socket.create_connection((host, int(port)), timeout=SOCKET_TIMEOUT) for _ in range(40)]
    try:
        for sock in slow:
            sock.sendall(b"GET /datastore HTTP/1.1\r\n")
        _serves(emulator)
    finally:
        for sock in slow:
            sock.close()


def test_a_body_that_stops_arriving_is_408_with_a_json_body(emulator: Emulator) -> None:
    host, port = urlsplit(emulator.url).netloc.rsplit(":", 1)
    attack = _with_headers(_json_post(b"{}"), b"Content-Length: 50", drop=(b"Content-Length",))
    outcome = _send(f"{host}:{port}", Attack("stalled-body", "framing", attack))
    assert outcome.status == 408, outcome
    assert outcome.headers["x-amzn-errortype"] == "RequestTimeoutException"
    assert json.loads(outcome.body)["message"]
    assert outcome.seconds < SOCKET_TIMEOUT


def test_broken_chunked_encoding_is_400_serialization(emulator: Emulator) -> None:
    host, port = urlsplit(emulator.url).netloc.rsplit(":", 1)
    outcome = _send(
        f"{host}:{port}", Attack("chunks", "framing", _chunked(b"zz\r\n{}\r\n0\r\n\r\n"))
    )
    assert outcome.status == 400
    assert outcome.headers["x-amzn-errortype"] == "SerializationException"


def test_a_valid_chunked_body_reaches_the_application(emulator: Emulator) -> None:
    """The body buffering keeps well-formed chunked requests working (a JSON error from the
    app proves the body was decoded: an empty data store name is a validation error)."""
    host, port = urlsplit(emulator.url).netloc.rsplit(":", 1)
    body = b'{"datastoreName": ""}'
    chunks = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    outcome = _send(f"{host}:{port}", Attack("chunked-ok", "framing", _chunked(chunks, body)))
    assert outcome.status == 400
    assert outcome.headers["x-amzn-errortype"] == "ValidationException"
