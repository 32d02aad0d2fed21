"""What an application's SDK must send: the request rules the proxy judges on every request.

Each rule reads one request (`Sent`: the request as it arrived, the operation its method
and path bind, and the earlier attempts of the same call) and answers the problems it
finds. The rules come from the model (operations, members, constraints, idempotency
tokens, host prefixes), Smithy's restJson1 bindings and the AWS conventions every SDK
follows (SigV4, `amz-sdk-request`); the SDK suite's matchers (`harness.sdk.matchers`)
judge the parts both suites share. Rules that need the operation are not asked about a
request that binds none (REQUEST-OPERATION says so once).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, cached_property
from typing import Any
from urllib.parse import parse_qsl

from harness.checks import Catalogue, Check, Source
from harness.emulator.exceptions import ServiceError
from harness.emulator.http.protocol import decode_input
from harness.emulator.http.validation import InputValidator
from harness.model import Operation, operations, pinned_model
from harness.model.routes import RouteMatch, Routes
from harness.model.serialize import serialize_request
from harness.sdk import matchers
from harness.sdk.stub import RecordedRequest

CATALOGUE = Catalogue("proxy")
"""The request rules; the proxy judges answers with the server suite's checks."""

MAX_SKEW_SECONDS = 15 * 60
"""SigV4: a request is refused when its time stamp is more than 15 minutes off."""

_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, ?SignedHeaders=(?P<signed>[a-z0-9;-]+), ?"
    r"Signature=[0-9a-f]{64}$"
)
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")


@dataclass(frozen=True)
class Sent:
    """One request the application sent, read against the model.

    `attempts` are the requests of the same call (one `amz-sdk-invocation-id`) so far,
    this one last; `region` is the one the upstream expects, when the proxy knows it.
    """

    request: RecordedRequest
    match: RouteMatch | None
    attempts: list[RecordedRequest] = field(default_factory=list)
    region: str | None = None
    host: str = ""
    """The upstream's authority, as an SDK names it without a host prefix."""

    @property
    def operation(self) -> Operation | None:
        return self.match.route.operation if self.match is not None else None

    @cached_property
    def decoded(self) -> tuple[dict[str, Any] | None, str | None]:
        """The request's input in model member names, or why it cannot be read."""
        assert self.match is not None
        request = self.request
        try:
            values = decode_input(
                self.match, request.raw_query, request.header("content-type"), request.body
            )
        except ServiceError as error:
            return None, error.message
        return values, None


Rule = Callable[[Sent], list[str] | None]
"""A rule's problems with one request; None when the request gives it nothing to judge."""


@dataclass(frozen=True)
class RequestCheck:
    """A registered request rule; `needs_operation` rules skip requests that bind none."""

    check: Check
    rule: Rule
    needs_operation: bool = True

    def problems(self, sent: Sent) -> list[str] | None:
        """The problems found, or None when the rule has nothing to judge here."""
        if self.needs_operation and sent.operation is None:
            return None
        return self.rule(sent)


REQUEST_CHECKS: list[RequestCheck] = []


def request_check(
    id: str, rule: str, source: Source, reference: str, *, needs_operation: bool = True
) -> Callable[[Rule], RequestCheck]:
    """Register a request rule (family `request`) judged on every request."""
    check = CATALOGUE.register(id, "request", rule, source, reference)

    def decorate(body: Rule) -> RequestCheck:
        filed = RequestCheck(check, body, needs_operation)
        REQUEST_CHECKS.append(filed)
        return filed

    return decorate


@cache
def routes() -> Routes:
    return Routes(operations())


@cache
def validator() -> InputValidator:
    return InputValidator(pinned_model())


def _upper_escapes(path: str) -> str:
    return _PERCENT.sub(lambda found: found.group(0).upper(), path)


@request_check(
    "REQUEST-OPERATION",
    "Every request sent to the service binds an operation of the model by its method and path",
    Source.MODEL,
    "the http trait (method, uri) of each operation in the service model",
    needs_operation=False,
)
def binds_an_operation(sent: Sent) -> list[str]:
    if sent.operation is not None:
        return []
    request = sent.request
    return [f"no operation is bound to {request.method} {request.path}"]


@request_check(
    "REQUEST-SERIALIZATION",
    "Labels are percent-encoded and query members written as restJson1 binds them: the "
    "request re-serialized from the input it carries has the same path and query",
    Source.SMITHY,
    "restJson1 httpLabel (every character outside RFC 3986 unreserved percent-encoded), "
    "httpQuery (lists as repeated keys, booleans true/false); Smithy protocol tests "
    "RestJsonHttpRequestLabelEscaping, RestJsonQueryStringMap",
)
def serialization(sent: Sent) -> list[str]:
    values, reason = sent.decoded
    if values is None:
        return [f"the request cannot be read as {sent.operation and sent.operation.name}: {reason}"]
    assert sent.operation is not None
    request = sent.request
    wire = serialize_request(pinned_model(), sent.operation, values)
    problems = []
    if _upper_escapes(request.path) != wire.path:
        problems.append(f"path {request.path}, restJson1 writes {wire.path}")
    known = {member.wire_name for member in sent.operation.query}
    sent_query = sorted(
        (k, v) for k, v in parse_qsl(request.raw_query, keep_blank_values=True) if k in known
    )
    if sent_query != sorted(wire.query):
        problems.append(f"query {sent_query}, restJson1 writes {sorted(wire.query)}")
    return problems


def _blob_problems(shape_name: str, value: Any, path: str) -> list[str]:
    source = pinned_model()
    shape = source.shape(shape_name)
    kind = shape["type"]
    if kind == "blob" and value is not None:
        try:
            base64.b64decode(str(value), validate=True)
        except (binascii.Error, ValueError):
            return [f"{path or '/'} is a blob but not base64: {str(value)[:40]!r}"]
        return []
    if kind == "structure" and isinstance(value, dict):
        return [
            problem
            for name, item in value.items()
            if name in shape["members"]
            for problem in _blob_problems(shape["members"][name]["shape"], item, f"{path}/{name}")
        ]
    if kind == "list" and isinstance(value, list):
        member = shape["member"]["shape"]
        return [
            p for n, item in enumerate(value) for p in _blob_problems(member, item, f"{path}/{n}")
        ]
    return []


@request_check(
    "REQUEST-INPUT-VALID",
    "The input a request carries satisfies the model: required members present, types, "
    "lengths, ranges, patterns and enums as the input shape declares, blobs base64",
    Source.MODEL,
    "the input shapes of the service model and their constraint traits; restJson1 blobs "
    "in a JSON body are base64",
)
def input_valid(sent: Sent) -> list[str] | None:
    values, _ = sent.decoded
    if values is None:
        return None  # REQUEST-SERIALIZATION says why
    assert sent.operation is not None
    placeholders = {m.name: str(uuid.UUID(int=0)) for m in sent.operation.idempotency_tokens}
    values = {**placeholders, **values}  # an absent token is REQUEST-TOKEN-FILLED's to report
    payload = sent.operation.input_payload
    shape, document = sent.operation.input_shape, values
    if payload is not None and payload.type == "structure":
        shape, document = payload.shape, values.get(payload.name, {})
    try:
        validator().check(shape, document)
    except ServiceError as error:
        return [error.message]
    return _blob_problems(shape, document, "")


@request_check(
    "REQUEST-BODY-FORM",
    "A request with a modeled body sends a JSON object as application/json without null "
    "members; one without a modeled body sends no body, Content-Type or Transfer-Encoding, "
    "and no Content-Length on a GET",
    Source.SMITHY,
    "restJson1: JSON documents are application/json and omit absent members; protocol tests "
    "RestJsonHttpGetWithNoModeledBody, RestJsonHttpPostWithNoModeledBody",
)
def body_form(sent: Sent) -> list[str]:
    assert sent.operation is not None
    request = sent.request
    if not sent.operation.has_request_body:
        ok, reason = matchers.no_framing()([request])
        return [] if ok else [reason]
    if not request.body:
        return []  # an operation whose members are all optional may send no body
    media_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    problems = []
    if media_type != "application/json":
        problems.append(f"Content-Type {request.header('content-type')!r}, not application/json")
    try:
        document = json.loads(request.body)
    except ValueError:
        return [*problems, "the body is not JSON"]
    if not isinstance(document, dict):
        problems.append("the body is not a JSON object")
    ok, reason = matchers.no_nulls()([request])
    return problems if ok else [*problems, reason]


@request_check(
    "REQUEST-TOKEN-FILLED",
    "Every idempotency token member is sent: the SDK fills it (a UUID v4) when the caller does not",
    Source.SMITHY,
    "the idempotencyToken trait: clients SHOULD populate an unset token with a UUID v4 "
    "(Smithy 'idempotencyToken trait'); the model marks clientToken so",
)
def token_filled(sent: Sent) -> list[str] | None:
    assert sent.operation is not None
    tokens = sent.operation.idempotency_tokens
    values, _ = sent.decoded
    if not tokens or values is None:
        return None
    return [f"{m.name} is not sent" for m in tokens if values.get(m.name) in (None, "")]


@request_check(
    "REQUEST-TOKEN-STABLE",
    "Every attempt of one call (one amz-sdk-invocation-id) sends the same idempotency token",
    Source.AWS_CONVENTION,
    "a retry repeats the request as it was, token included, so the service can recognise it "
    "(Smithy idempotencyToken trait; AWS SDKs' retry behaviour)",
)
def token_stable(sent: Sent) -> list[str] | None:
    assert sent.operation is not None
    if len(sent.attempts) < 2 or not sent.operation.idempotency_tokens:
        return None
    ok, reason = matchers.token_same_across_attempts()(sent.attempts)
    return [] if ok else [reason]


@request_check(
    "REQUEST-HOST-PREFIX",
    "An SDK that reaches the endpoint as its HTTP proxy names runtime-<host> for the "
    "operations whose model declares that host prefix, and the host itself for the others",
    Source.MODEL,
    "the endpoint trait's hostPrefix (runtime- on the image-set operations); Smithy "
    "'endpoint trait': clients prepend it unless host prefix injection is disabled",
)
def host_prefix(sent: Sent) -> list[str] | None:
    assert sent.operation is not None
    request = sent.request
    if request.target is None or not sent.host:
        return None  # origin form: the SDK reached the proxy as its endpoint (prefix turned off)
    wanted = f"{sent.operation.host_prefix}{sent.host}"
    return [] if request.target == wanted else [f"host {request.target}, expected {wanted}"]


@request_check(
    "REQUEST-SIGV4",
    "Every request is signed with SigV4 for medical-imaging: an AWS4-HMAC-SHA256 "
    "Authorization whose signed headers include host and x-amz-date, dated within 15 "
    "minutes, its scope's date that of X-Amz-Date",
    Source.AWS_CONVENTION,
    "AWS General Reference, 'Signature Version 4 signing process' (elements of an "
    "Authorization header; requests more than 15 minutes off are refused); the model's "
    "sigv4 signingName medical-imaging",
    needs_operation=False,
)
def sigv4(sent: Sent) -> list[str]:
    request = sent.request
    authorization = request.header("authorization")
    if authorization is None:
        return ["no Authorization header: the request is unsigned"]
    found = _AUTHORIZATION.match(authorization.strip())
    if found is None:
        return [f"Authorization is not an AWS4-HMAC-SHA256 signature: {authorization[:80]!r}"]
    problems = []
    if found["service"] != "medical-imaging":
        problems.append(f"signed for service {found['service']!r}, not medical-imaging")
    if sent.region is not None and found["region"] != sent.region:
        problems.append(f"signed for region {found['region']!r}, the endpoint's is {sent.region}")
    signed = found["signed"].split(";")
    problems += [
        f"SignedHeaders lacks {name}" for name in ("host", "x-amz-date") if name not in signed
    ]
    stamp = request.header("x-amz-date") or ""
    try:
        when = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return [*problems, f"X-Amz-Date {stamp!r} is not YYYYMMDDTHHMMSSZ"]
    if when.strftime("%Y%m%d") != found["date"]:
        problems.append(f"the scope's date {found['date']} is not X-Amz-Date's {stamp}")
    skew = abs(when.timestamp() - (request.wall_time or time.time()))
    if skew > MAX_SKEW_SECONDS:
        problems.append(f"X-Amz-Date {stamp} is {skew:.0f} s off the proxy's clock")
    if request.header("x-amz-security-token") and "x-amz-security-token" not in signed:
        problems.append("X-Amz-Security-Token is sent but not signed")
    return problems


@request_check(
    "REQUEST-ATTEMPT-HEADER",
    "An SDK that sends amz-sdk-request numbers the attempts of one call attempt=1, 2, ...",
    Source.AWS_CONVENTION,
    "AWS SDKs and Tools reference guide, 'Retry behavior'; botocore handlers.py "
    "add_retry_headers, @smithy/middleware-retry: amz-sdk-request: attempt=N; max=M",
    needs_operation=False,
)
def attempt_header(sent: Sent) -> list[str] | None:
    if sent.request.header("amz-sdk-request") is None:
        return None
    ok, reason = matchers.attempt_numbers()(sent.attempts or [sent.request])
    return [] if ok else [reason]
