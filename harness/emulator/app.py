"""The emulator's WSGI application: authenticate, route, decode, validate, dispatch, answer.

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
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from harness.emulator.auth import CredentialStore, SignedRequest
from harness.emulator.backend import ImagingBackend
from harness.emulator.exceptions import (
    InternalServerException,
    RequestEntityTooLargeException,
    ResourceNotFoundException,
    SerializationException,
    ServiceError,
    ThrottlingException,
    UnknownOperationException,
)
from harness.emulator.faults import SLOW_RESPONSE_SECONDS, THROTTLE_EVERY, Switchboard
from harness.emulator.imagesets import ImageSetBackend
from harness.emulator.protocol import RouteMatch, RouteTable, decode_input
from harness.emulator.search import Search
from harness.emulator.tagging import Tagging
from harness.emulator.validation import InputValidator
from harness.emulator.writes import ImageSetWriter
from harness.model import ModelSource, Operation, OperationTable

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 4 * 1024 * 1024
TIMESTAMP_MEMBERS = frozenset(
    {"submittedAt", "endedAt", "createdAt", "updatedAt", "deletedAt", "lastAccessedAt"}
)
_ABSOLUTE_FORM = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")

Handler = Callable[[dict[str, Any]], dict[str, Any]]


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
    """WSGI callable for every operation in the table."""

    def __init__(
        self,
        source: ModelSource,
        backend: ImagingBackend,
        credentials: CredentialStore,
        faults: Switchboard,
        image_sets: ImageSetBackend | None = None,
    ) -> None:
        self.table = OperationTable.from_model(source)
        self.routes = RouteTable(self.table)
        self.validator = InputValidator(source)
        self.lenient_validator = InputValidator(source, constraints=False)
        self.credentials = credentials
        self.faults = faults
        sets = image_sets or ImageSetBackend(backend)
        writer, search, tagging = ImageSetWriter(sets), Search(sets), Tagging(sets)
        self.handlers: dict[str, Handler] = {
            "CreateDatastore": backend.create_datastore,
            "GetDatastore": backend.get_datastore,
            "ListDatastores": backend.list_datastores,
            "DeleteDatastore": backend.delete_datastore,
            "StartDICOMImportJob": backend.start_import_job,
            "GetDICOMImportJob": backend.get_import_job,
            "ListDICOMImportJobs": backend.list_import_jobs,
            "GetImageSet": sets.get_image_set,
            "GetImageSetMetadata": sets.get_image_set_metadata,
            "GetImageFrame": sets.get_image_frame,
            "ListImageSetVersions": sets.list_image_set_versions,
            "DeleteImageSet": sets.delete_image_set,
            "SearchImageSets": search.search_image_sets,
            "UpdateImageSetMetadata": writer.update_image_set_metadata,
            "CopyImageSet": writer.copy_image_set,
            "TagResource": tagging.tag_resource,
            "UntagResource": tagging.untag_resource,
            "ListTagsForResource": tagging.list_tags_for_resource,
        }

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request_id = str(uuid.uuid4())
        try:
            operation, output = self._handle(request, environ)
            response = self._success(operation, output)
        except ServiceError as error:
            response = self._error(error)
        except Exception:
            log.exception("unexpected error answering %s %s", request.method, request.path)
            response = self._error(InternalServerException("The emulator failed unexpectedly."))
        response.headers["x-amzn-RequestId"] = request_id
        if self.faults.on("slow-responses"):
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
        if self.faults.every("throttle-every-nth", THROTTLE_EVERY):
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
            if self.faults.on("malformed-json-500"):
                raise InternalServerException("Could not parse the request") from None
            raise
        validator = self.validator
        if self.faults.on("validation-skipped"):
            validator = self.lenient_validator
        validator.check(match.route.input_shape, values)
        handler = self.handlers.get(match.route.name)
        if handler is None:
            raise UnknownOperationException(f"The emulator does not serve {match.route.name}")
        return match.route.operation, handler(values)

    def _authenticate(
        self,
        request: Request,
        raw_path: str,
        raw_query: str,
        body: bytes,
        match: RouteMatch | None,
    ) -> None:
        headers = {name.lower(): value for name, value in request.headers.items()}
        if "authorization" not in headers and self.faults.on("unsigned-accepted"):
            return
        signed = SignedRequest(request.method, raw_path, raw_query, headers, body)
        operation = match.route.name if match else None
        self.credentials.authenticate(
            signed,
            operation,
            check_signature=not self.faults.on("signature-not-checked"),
            check_date=not self.faults.on("stale-date-accepted"),
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
        if self.faults.on("timestamps-as-strings"):
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
            "not-found-wrong-status"
        ):
            status = 400
        headers = {"X-Amzn-Errortype": error.error_code}
        body: dict[str, Any] = error.body()
        if "allow" in body:
            headers["Allow"] = ", ".join(body.pop("allow"))
        if self.faults.on("error-type-only-in-body"):
            del headers["X-Amzn-Errortype"]
            body = {"__type": error.error_code, **body}
        payload = b"" if self.faults.on("error-without-body") else json.dumps(body).encode()
        return Response(payload, status=status, headers=headers, content_type="application/json")
