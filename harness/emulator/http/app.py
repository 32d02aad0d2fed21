"""The emulator's WSGI application: authenticate, route, decode, validate, dispatch, answer.

Each operation is dispatched to its handler, found from the operation table
(`harness.emulator.handlers`); the application refuses to start when an operation
has no handler or a handler has no operation.

Every answer is JSON, except the blob payloads of GetImageSetMetadata and
GetImageFrame. Every error carries its status, `X-Amzn-Errortype` and a
`{"message": ...}` body, also on 5xx; an unexpected exception becomes a 500
InternalServerException with a body, and nothing else escapes.

Requests are served whatever their Host header (SDKs prepend `runtime-` to the
host of the image-set operations), and absolute-form request targets are
accepted, so that an SDK can use the emulator as its HTTP proxy. SigV4 is
verified against the Host the request carries.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from harness.emulator.exceptions import (
    ConflictException,
    InternalServerException,
    RequestEntityTooLargeException,
    ResourceNotFoundException,
    SerializationException,
    ServiceError,
    ThrottlingException,
)
from harness.emulator.faults import SLOW_RESPONSE_SECONDS, THROTTLE_EVERY, Switch, Switchboard
from harness.emulator.handlers import Handler, handlers_for
from harness.emulator.http.auth import CredentialStore, SignedRequest
from harness.emulator.http.protocol import RouteMatch, RouteTable, decode_input
from harness.emulator.http.validation import InputValidator
from harness.model import ModelSource, Operation, OperationTable

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 4 * 1024 * 1024
TIMESTAMP_MEMBERS = frozenset(
    {"submittedAt", "endedAt", "createdAt", "updatedAt", "deletedAt", "lastAccessedAt"}
)
_ABSOLUTE_FORM = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")


def origin_form(target: str) -> str:
    """The path and query of a request target; an absolute-form target (`http://host/path`,
    as HTTP clients send through a proxy) loses its scheme and authority."""
    found = _ABSOLUTE_FORM.match(target)
    if found is None:
        return target
    return target[found.end() :] or "/"


def _iso_timestamps(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: (
                datetime.fromtimestamp(item, UTC).isoformat()
                if key in TIMESTAMP_MEMBERS and isinstance(item, int | float)
                else _iso_timestamps(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_iso_timestamps(item) for item in value]
    return value


class EmulatorApp:
    """WSGI callable for every operation in the table, each answered by its handler among
    the methods of `owners` (see `harness.emulator.handlers`)."""

    def __init__(
        self,
        source: ModelSource,
        owners: Iterable[object],
        credentials: CredentialStore,
        faults: Switchboard,
    ) -> None:
        self.table = OperationTable.from_model(source)
        self.routes = RouteTable(self.table)
        self.validator = InputValidator(source)
        self.lenient_validator = InputValidator(source, constraints=False)
        self.credentials = credentials
        self.faults = faults
        self.handlers: dict[str, Handler] = handlers_for(self.table, owners)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request_id = (
            str(uuid.UUID(int=int(time.time())))
            if self.faults.on(Switch.REQUEST_ID_PER_SECOND)
            else str(uuid.uuid4())
        )
        try:
            operation, output = self._handle(request, environ)
            response = self._success(operation, output)
        except ServiceError as error:
            response = self._error(error)
        except Exception:
            log.exception("unexpected error answering %s %s", request.method, request.path)
            response = self._error(InternalServerException("The emulator failed unexpectedly."))
        if response.status_code < 400 or not self.faults.on(Switch.ERROR_REQUEST_ID_MISSING):
            response.headers["x-amzn-RequestId"] = request_id
        if self.faults.on(Switch.SLOW_RESPONSES):
            time.sleep(SLOW_RESPONSE_SECONDS)
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def _read_body(self, request: Request) -> bytes:
        length = request.content_length
        if length is not None and length > MAX_BODY_BYTES:
            raise RequestEntityTooLargeException(
                f"The request body is {length} bytes; the limit is {MAX_BODY_BYTES}"
            )
        body: bytes = request.stream.read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            raise RequestEntityTooLargeException(f"The request body exceeds {MAX_BODY_BYTES} bytes")
        return body

    def _handle(
        self, request: Request, environ: dict[str, Any]
    ) -> tuple[Operation, dict[str, Any]]:
        if self.faults.every(Switch.THROTTLE_EVERY_NTH, THROTTLE_EVERY):
            raise ThrottlingException("Rate exceeded")
        body = self._read_body(request)
        raw_target = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.path
        raw_path, _, raw_query = origin_form(raw_target).partition("?")
        match: RouteMatch | None = None
        route_error: ServiceError | None = None
        try:
            match = self.routes.match(request.method, raw_path)
        except ServiceError as error:
            route_error = error
        self._authenticate(request, raw_path, raw_query, body, match)
        if route_error is not None:
            raise route_error
        assert match is not None
        try:
            values = decode_input(match, raw_query, request.headers.get("Content-Type"), body)
        except SerializationException:
            if self.faults.on(Switch.MALFORMED_JSON_500):
                raise InternalServerException("Could not parse the request") from None
            raise
        validator = self.validator
        if self.faults.on(Switch.VALIDATION_SKIPPED):
            validator = self.lenient_validator
        validator.check(match.route.input_shape, values)
        return match.route.operation, self.handlers[match.route.name](values)

    def _authenticate(
        self,
        request: Request,
        raw_path: str,
        raw_query: str,
        body: bytes,
        match: RouteMatch | None,
    ) -> None:
        headers = {name.lower(): value for name, value in request.headers.items()}
        if "authorization" not in headers and self.faults.on(Switch.UNSIGNED_ACCEPTED):
            return
        signed = SignedRequest(request.method, raw_path, raw_query, headers, body)
        operation = match.route.name if match else None
        self.credentials.authenticate(
            signed,
            operation,
            check_signature=not self.faults.on(Switch.SIGNATURE_NOT_CHECKED),
            check_date=not self.faults.on(Switch.STALE_DATE_ACCEPTED),
        )

    def _success(self, operation: Operation, output: dict[str, Any]) -> Response:
        """The answer: a blob payload as raw bytes beside its header members, else JSON."""
        headers = {
            member.wire_name: str(output.pop(member.name))
            for member in operation.output_headers
            if output.get(member.name) is not None
        }
        payload = operation.output_payload
        if operation.blob_output and payload is not None:
            body: bytes = output.get(payload.name) or b""
            return Response(body, status=operation.success_status, headers=headers)
        if self.faults.on(Switch.TIMESTAMPS_AS_STRINGS):
            output = _iso_timestamps(output)
        return Response(
            json.dumps(output),
            status=operation.success_status,
            headers=headers,
            content_type="application/json",
        )

    def _error(self, error: ServiceError) -> Response:
        status = error.http_status
        if isinstance(error, ResourceNotFoundException) and self.faults.on(
            Switch.NOT_FOUND_WRONG_STATUS
        ):
            status = 400
        if isinstance(error, ConflictException) and self.faults.on(Switch.CONFLICT_AS_400):
            status = 400
        headers = {"X-Amzn-Errortype": error.error_code}
        body: dict[str, Any] = error.body()
        if "allow" in body:
            headers["Allow"] = ", ".join(body.pop("allow"))
        if self.faults.on(Switch.ERROR_TYPE_ONLY_IN_BODY):
            del headers["X-Amzn-Errortype"]
            body = {"__type": error.error_code, **body}
        payload = b"" if self.faults.on(Switch.ERROR_WITHOUT_BODY) else json.dumps(body).encode()
        return Response(payload, status=status, headers=headers, content_type="application/json")
