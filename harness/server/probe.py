"""Signed HTTP to the target, one attempt per request, every exchange kept as evidence.

The suite judges the server, so nothing here retries or hides an answer: a
timeout, a reset or a non-JSON body comes back as an `Exchange` that says so.
"""

from __future__ import annotations

import gzip
import json
import re
import shlex
import time
import zlib
from dataclasses import dataclass
from typing import Any

import requests
import urllib3

from harness.model import load_pinned_model, operations
from harness.model.serialize import serialize_request
from harness.report.record import Evidence
from harness.restjson import header_value
from harness.sigv4 import AwsCredentials, SigV4RequestsAuth

_SIGNING_HEADERS = ("authorization", "x-amz-date", "x-amz-security-token")
_TRANSPORT_HEADERS = (
    "content-length",
    "host",
    "user-agent",
    "accept",
    "accept-encoding",
    "connection",
)
_CURL_SIGNING = re.compile(
    r" -H '(?:Authorization|X-Amz-Date|X-Amz-Security-Token|X-Schemathesis-TestCaseId): [^']*'",
    re.IGNORECASE,
)
MAX_BODY_SHOWN = 4000


def strip_signature(curl: str) -> str:
    """A curl command without the headers SigV4 adds (they cannot be replayed anyway)."""
    return _CURL_SIGNING.sub("", curl)


@dataclass
class Exchange:
    """One request and what came back (a response, or the transport error).

    `wire_body` is the body as it travelled; `body` is it with any gzip or deflate
    Content-Encoding undone, as an HTTP client hands it to a caller.
    """

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int | None = None
    headers: dict[str, str] | None = None
    body: bytes = b""
    wire_body: bytes = b""
    error: str | None = None
    elapsed: float = 0.0

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def header(self, name: str) -> str | None:
        return header_value(self.headers or {}, name)

    @property
    def error_type(self) -> str | None:
        return self.header("X-Amzn-Errortype")

    def curl(self) -> str:
        parts = ["curl", "-X", self.method]
        for name, value in self.request_headers.items():
            if name.lower() in _SIGNING_HEADERS or name.lower() in _TRANSPORT_HEADERS:
                continue
            parts += ["-H", f"{name}: {value}"]
        if self.request_body:
            parts += ["--data-binary", self.request_body.decode("utf-8", "replace")]
        parts.append(self.url)
        return " ".join(shlex.quote(part) for part in parts) + "  # add SigV4 signing"

    def evidence(self, note: str | None = None) -> Evidence:
        body = self.body.decode("utf-8", "replace")
        if len(body) > MAX_BODY_SHOWN:
            body = body[:MAX_BODY_SHOWN] + f"... ({len(self.body)} bytes)"
        return Evidence(
            curl=self.curl(),
            status=self.status,
            response_headers=dict(self.headers or {}),
            response_body=body if self.status is not None else None,
            note=note if self.error is None else f"{note + ': ' if note else ''}{self.error}",
        )


def _decoded(body: bytes, encoding: str | None) -> bytes:
    """`body` with a gzip or deflate Content-Encoding undone; as it is when that fails."""
    try:
        if (encoding or "").strip().lower() == "gzip":
            return gzip.decompress(body)
        if (encoding or "").strip().lower() == "deflate":
            return zlib.decompress(body)
    except (OSError, EOFError, zlib.error):
        pass
    return body


class Probe:
    """Sends signed requests to the target."""

    def __init__(
        self,
        endpoint: str,
        credentials: AwsCredentials,
        region: str,
        timeout: float = 15.0,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.credentials = credentials
        self.region = region
        self.timeout = timeout
        self.auth = SigV4RequestsAuth(credentials, region)
        self._session = requests.Session()
        self.history: list[Exchange] = []
        self.deadline: float | None = None  # time.monotonic() past which nothing is sent

    def call(
        self, operation: str, *, auth: requests.auth.AuthBase | bool = True, **params: Any
    ) -> Exchange:
        """Send one operation of the table with `params` in model member names."""
        wire = serialize_request(load_pinned_model(), operations()[operation], params)
        return self.send(
            wire.method,
            wire.path,
            query=list(wire.query),
            raw_body=wire.body,
            headers=wire.headers,
            auth=auth,
        )

    def send(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | list[tuple[str, str]] | None = None,
        body: Any = None,
        raw_body: bytes | None = None,
        headers: dict[str, str] | None = None,
        auth: requests.auth.AuthBase | bool | None = True,
    ) -> Exchange:
        """One attempt; `auth=False` sends it unsigned, an AuthBase signs it its own way."""
        request_headers = dict(headers or {})
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
            request_headers.setdefault("Content-Type", "application/json")
        signer = self.auth if auth is True else (auth or None)
        request = requests.Request(
            method,
            self.endpoint + path,
            params=(
                query
                if isinstance(query, list)
                else {k: v for k, v in (query or {}).items() if v is not None}
            ),
            data=data,
            headers=request_headers,
            auth=signer,
        )
        prepared = self._session.prepare_request(request)
        exchange = Exchange(
            method=method,
            url=prepared.url or "",
            request_headers=dict(prepared.headers),
            request_body=prepared.body if isinstance(prepared.body, bytes) else None,
        )
        started = time.monotonic()
        if self.deadline is not None and started > self.deadline:
            exchange.error = "not sent: the run's deadline had passed"
            return exchange
        try:
            response = self._session.send(
                prepared, timeout=self.timeout, allow_redirects=False, stream=True
            )
            exchange.status = response.status_code
            exchange.headers = dict(response.headers)
            with response:
                exchange.wire_body = response.raw.read(decode_content=False)
            exchange.body = _decoded(exchange.wire_body, exchange.header("Content-Encoding"))
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
            exchange.error = f"{type(error).__name__}: {error}"
        exchange.elapsed = time.monotonic() - started
        self.history.append(exchange)
        return exchange
