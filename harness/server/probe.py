"""Signed HTTP to the target, one attempt per request, every exchange kept as evidence.

The suite judges the server, so nothing here retries or hides an answer: a
timeout, a reset or a non-JSON body comes back as an `Exchange` that says so.
"""

from __future__ import annotations

import gzip
import json
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from harness.aws.restjson import header_value
from harness.aws.sigv4 import AwsCredentials, SigV4RequestsAuth
from harness.model import operations, pinned_model
from harness.model.serialize import serialize_request
from harness.report.curl import (
    PATH_ENCODING_NOTE,
    Signing,
    curl_command,
    signing_for,
    strip_signature,
)
from harness.report.record import Evidence

__all__ = [
    "MAX_BODY_SHOWN",
    "Exchange",
    "Probe",
    "Signing",
    "exchange_from_schemathesis",
    "schemathesis_exchange_id",
    "strip_signature",
]

MAX_BODY_SHOWN = 4000


def schemathesis_exchange_id(case_id: str) -> str:
    """The id under which the exchange of a schemathesis test case is recorded."""
    return f"st-{case_id}"


@dataclass
class Exchange:
    """One request and what came back (a response, or the transport error).

    `wire_body` is the body as it travelled; `body` is it with any gzip or deflate
    Content-Encoding undone, as an HTTP client hands it to a caller. `signing` says how
    the request was signed (None: sent unsigned); `step` is the suite step that sent it.
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
    id: str = ""
    started_at: float = 0.0
    signing: Signing | None = None
    step: str | None = None

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
        """The request as a curl command that reproduces it (see `curl_command`)."""
        return curl_command(
            self.method, self.url, self.request_headers, self.request_body, self.signing
        )

    def evidence(self, note: str | None = None) -> Evidence:
        body = self.body.decode("utf-8", "replace")
        if len(body) > MAX_BODY_SHOWN:
            body = body[:MAX_BODY_SHOWN] + f"... ({len(self.body)} bytes)"
        shown = note
        if self.error is not None:
            shown = f"{note}: {self.error}" if note else self.error
        if (
            self.signing is not None
            and not self.signing.verbatim
            and "%" in urlsplit(self.url).path
        ):
            shown = f"{shown}\n{PATH_ENCODING_NOTE}" if shown else PATH_ENCODING_NOTE
        return Evidence(
            curl=self.curl(),
            status=self.status,
            response_headers=dict(self.headers or {}),
            response_body=body if self.status is not None else None,
            note=shown,
            exchange=self.id or None,
        )


def exchange_from_schemathesis(case_id: str, interaction: Any, step: str) -> Exchange:
    """An `Exchange` of a schemathesis interaction (its request, and its response if any)."""
    request, response = interaction.request, interaction.response
    headers = {name: ", ".join(values) for name, values in dict(request.headers).items()}
    exchange = Exchange(
        method=str(request.method),
        url=str(request.uri),
        request_headers=headers,
        request_body=request.body,
        id=schemathesis_exchange_id(case_id),
        step=step,
    )
    exchange.started_at = float(interaction.timestamp)
    if response is not None:
        exchange.status = int(response.status_code)
        exchange.headers = {k: ", ".join(v) for k, v in dict(response.headers).items()}
        exchange.body = exchange.wire_body = bytes(response.content or b"")
        exchange.elapsed = float(response.elapsed)
        exchange.started_at -= exchange.elapsed
    else:
        exchange.error = "no answer"
    return exchange


def content_decoded(body: bytes, encoding: str | None) -> bytes:
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
        self.observers: list[Callable[[Exchange], None]] = []  # told of every exchange made
        self.deadline: float | None = None  # time.monotonic() past which nothing is sent
        self.journal: list[Exchange] | None = None  # every exchange of the run, when recorded
        self.step: str | None = None  # the suite step sending, named in the record
        self._prefix = uuid.uuid4().hex[:6]
        self._sent = 0

    def adopt(self, exchanges: list[Exchange]) -> None:
        """Keep exchanges this probe did not send (schemathesis's) in the run's journal,
        when the run is recorded."""
        if self.journal is not None:
            self.journal += exchanges

    def call(
        self, operation: str, *, auth: requests.auth.AuthBase | bool = True, **params: Any
    ) -> Exchange:
        """Send one operation of the table with `params` in model member names."""
        wire = serialize_request(pinned_model(), operations()[operation], params)
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
        self._sent += 1
        exchange = Exchange(
            method=method,
            url=prepared.url or "",
            request_headers=dict(prepared.headers),
            request_body=prepared.body if isinstance(prepared.body, bytes) else None,
            id=f"{self._prefix}-{self._sent}",
            started_at=time.time(),
            signing=(
                None
                if signer is None
                else signing_for(signer, self.credentials, self.region, dict(prepared.headers))
            ),
            step=self.step,
        )
        started = time.monotonic()
        if self.deadline is not None and started > self.deadline:
            exchange.error = "not sent: the run's deadline had passed"
            return exchange
        if self.journal is not None:
            self.journal.append(exchange)
        try:
            response = self._session.send(
                prepared, timeout=self.timeout, allow_redirects=False, stream=True
            )
            exchange.status = response.status_code
            exchange.headers = dict(response.headers)
            with response:
                exchange.wire_body = response.raw.read(decode_content=False)
            exchange.body = content_decoded(exchange.wire_body, exchange.header("Content-Encoding"))
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
            exchange.error = f"{type(error).__name__}: {error}"
        exchange.elapsed = time.monotonic() - started
        self.history.append(exchange)
        for observer in self.observers:
            observer(exchange)
        return exchange
