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
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import requests
import urllib3

from harness.model import load_pinned_model, operations
from harness.model.serialize import serialize_request
from harness.report.record import Evidence
from harness.restjson import header_value
from harness.sigv4 import SIGNING_NAME, AwsCredentials, SigV4RequestsAuth

_SIGNING_HEADERS = ("authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256")
_TRANSPORT_HEADERS = (
    "content-length",
    "host",
    "user-agent",
    "accept",
    "accept-encoding",
    "connection",
    "x-schemathesis-testcaseid",
)
_SCOPE = re.compile(r"Credential=[^/,\s]*/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request")
MAX_BODY_SHOWN = 4000
STALE_AFTER_SECONDS = 300.0
"""A signature dated further than this from its sending is replayed as it was sent."""
PATH_ENCODING_NOTE = (
    "curl's --aws-sigv4 signs a percent-encoded path as it is; services other than S3 sign it "
    "encoded twice (SigV4 canonical URI), so this curl's signature will not verify there"
)


@dataclass(frozen=True)
class Signing:
    """How a request was signed, as curl can sign it again.

    `user` is the shell text of curl's `--user` value: the run's own credentials are
    named by their environment variables, never written out. `verbatim` replays the
    signing headers as sent (a signature dated off the clock, which cannot be redone).
    """

    region: str
    service: str = SIGNING_NAME
    user: str = '"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"'
    session_token: bool = False
    verbatim: bool = False


def _double_quoted(text: str) -> str:
    """`text` for inside shell double quotes."""
    return re.sub(r'(["\\$`])', r"\\\1", text)


def signing_for(
    auth: requests.auth.AuthBase, own: AwsCredentials, region: str, headers: dict[str, str]
) -> Signing:
    """How `auth` signed a request, with `own` (the run's credentials) named by variable."""
    credentials = getattr(auth, "credentials", own)
    signed_region = str(getattr(auth, "region", region))
    service = str(getattr(auth, "signing_name", SIGNING_NAME))
    if credentials.access_key == own.access_key:
        key = "$AWS_ACCESS_KEY_ID"
    else:
        key = _double_quoted(credentials.access_key)
    secret = _double_quoted(credentials.secret_key)
    if credentials.secret_key == own.secret_key:
        secret = "$AWS_SECRET_ACCESS_KEY"
    elif own.secret_key:
        secret = secret.replace(_double_quoted(own.secret_key), "${AWS_SECRET_ACCESS_KEY}")
    token = bool(credentials.session_token) and credentials.session_token == own.session_token
    date = header_value(headers, "X-Amz-Date")
    verbatim = False
    if date:
        try:
            sent = datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
            verbatim = abs(sent - time.time()) > STALE_AFTER_SECONDS
        except ValueError:
            verbatim = True
    return Signing(signed_region, service, f'"{key}:{secret}"', token, verbatim)


def _canonical_url(url: str) -> str:
    """`url` with its query sorted and encoded as SigV4's canonical query string.

    curl's --aws-sigv4 signs the query as it is written, so it is written canonically.
    """
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = sorted(
        (quote(name, safe="-_.~"), quote(value, safe="-_.~"))
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    return urlunsplit(parts._replace(query="&".join(f"{n}={v}" for n, v in pairs)))


def curl_command(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    signing: Signing | None,
) -> str:
    """A curl command line that sends the request again: signed by curl as it was signed
    (credentials from the environment), or plainly unsigned when it was sent unsigned."""
    parts = ["curl", "-sS", "-i", "-X", shlex.quote(method)]
    if signing is not None and not signing.verbatim:
        parts += ["--aws-sigv4", shlex.quote(f"aws:amz:{signing.region}:{signing.service}")]
        parts += ["--user", signing.user]
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in _TRANSPORT_HEADERS:
            continue
        if lowered in _SIGNING_HEADERS and not (signing is not None and signing.verbatim):
            continue
        if lowered == "x-amz-security-token":
            continue
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if signing is not None and signing.session_token:
        parts += ["-H", '"x-amz-security-token: $AWS_SESSION_TOKEN"']
    if body:
        if header_value(headers, "Content-Type") is None:
            parts += ["-H", shlex.quote("Content-Type:")]  # curl would add a form type
        parts += ["--data-binary", shlex.quote(body.decode("utf-8", "replace"))]
    signed = signing is not None and not signing.verbatim
    parts.append(shlex.quote(_canonical_url(url) if signed else url))
    return " ".join(parts)


def _parsed_curl(command: str) -> tuple[str, str, dict[str, str], bytes | None] | None:
    """(method, url, headers, body) of a curl command schemathesis wrote; None if unreadable."""
    try:
        words = shlex.split(command.split("\n\n", 1)[0])
    except ValueError:
        return None
    if not words or words[0] != "curl":
        return None
    method, url, headers, body = "GET", "", {}, None
    index = 1
    while index < len(words):
        word = words[index]
        if word in ("-X", "--request") and index + 1 < len(words):
            method, index = words[index + 1], index + 2
        elif word in ("-H", "--header") and index + 1 < len(words):
            name, _, value = words[index + 1].partition(":")
            headers[name.strip()] = value.strip()
            index += 2
        elif word in ("-d", "--data", "--data-binary", "--data-raw") and index + 1 < len(words):
            body, index = words[index + 1].encode(), index + 2
        elif word.startswith("-"):
            index += 1
        else:
            url, index = word, index + 1
    return (method, url, headers, body) if url else None


def strip_signature(curl: str) -> str:
    """A curl command of schemathesis's with its SigV4 headers replaced by curl's own signing.

    A request schemathesis signed is signed again by curl (`--aws-sigv4`, the region of
    its credential scope, credentials from the environment); one it sent unsigned stays
    unsigned.
    """
    parsed = _parsed_curl(curl)
    if parsed is None:
        return curl
    method, url, headers, body = parsed
    authorization = header_value(headers, "Authorization") or ""
    scope = _SCOPE.search(authorization)
    signing = None
    if scope is not None:
        signing = Signing(
            scope["region"],
            scope["service"],
            session_token=header_value(headers, "X-Amz-Security-Token") is not None,
        )
    return curl_command(method, url, headers, body, signing)


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
        self.journal: list[Exchange] | None = None  # every exchange of the run, when recorded
        self.step: str | None = None  # the suite step sending, named in the record
        self._prefix = uuid.uuid4().hex[:6]
        self._sent = 0

    def adopt(self, interactions: dict[str, Any], step: str) -> None:
        """Keep the exchanges schemathesis made (its interactions by test case id) in the
        run's journal, when the run is recorded."""
        if self.journal is not None:
            self.journal += [
                exchange_from_schemathesis(case_id, interaction, step)
                for case_id, interaction in interactions.items()
            ]

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
            exchange.body = _decoded(exchange.wire_body, exchange.header("Content-Encoding"))
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
            exchange.error = f"{type(error).__name__}: {error}"
        exchange.elapsed = time.monotonic() - started
        self.history.append(exchange)
        return exchange
