"""restJson1 serialization from the operation table: input to an HTTP request, answer to output.

One serializer for every caller that builds requests (the reference client, the
server suite's request helpers): labels percent-encoded into the path, query
members (lists repeated, booleans as `true`/`false`), the input payload member
as the whole body or the body members as one JSON object, blobs inside JSON as
base64 strings, no nulls. Operations whose binding has no body send none and no
Content-Type (Smithy's empty input tests).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from harness.aws.restjson import header_value
from harness.model.operations import Location, Member, Operation
from harness.model.source import ModelSource


@dataclass(frozen=True)
class HttpRequest:
    """A request before signing: method, path, query pairs, headers and body."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


def query_value(value: Any) -> str:
    """A scalar as restJson1 writes it in a query string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def to_json_value(source: ModelSource, shape_name: str, value: Any) -> Any:
    """`value` as it travels in a JSON body: blobs base64, timestamps epoch seconds, no nulls."""
    shape = source.shape(shape_name)
    kind = shape["type"]
    if kind == "structure" and isinstance(value, Mapping):
        members = shape["members"]
        return {
            name: to_json_value(source, members[name]["shape"], item) if name in members else item
            for name, item in value.items()
            if item is not None
        }
    if kind == "list" and isinstance(value, list | tuple):
        return [to_json_value(source, shape["member"]["shape"], item) for item in value]
    if kind == "map" and isinstance(value, Mapping):
        return {
            key: to_json_value(source, shape["value"]["shape"], item) for key, item in value.items()
        }
    if kind == "blob" and isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "timestamp" and isinstance(value, datetime):
        return value.timestamp()
    return value


def serialize_request(
    source: ModelSource,
    operation: Operation,
    params: Mapping[str, Any],
    encode_label: Callable[[str], str] | None = None,
) -> HttpRequest:
    """The HTTP request for `params` (model member names; None means absent)."""
    values = {name: value for name, value in params.items() if value is not None}
    known = {member.name: member for member in operation.inputs}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise KeyError(f"{operation.name} has no member {', '.join(unknown)}")
    labels = {m.name: str(values[m.name]) for m in operation.labels if m.name in values}
    missing_labels = [m.name for m in operation.labels if m.name not in labels]
    if missing_labels:
        raise KeyError(f"{operation.name} needs the label {', '.join(missing_labels)}")
    query: list[tuple[str, str]] = []
    for member in operation.query:
        if member.name not in values:
            continue
        value = values[member.name]
        items = value if member.type == "list" and isinstance(value, list | tuple) else [value]
        query += [(member.wire_name, query_value(item)) for item in items]
    headers: dict[str, str] = {
        m.wire_name: query_value(values[m.name])
        for m in operation.inputs
        if m.location is Location.HEADER and m.name in values
    }
    body: bytes | None = None
    payload = operation.input_payload
    if payload is not None:
        if payload.name in values:
            body = _payload_bytes(source, payload, values[payload.name])
        elif payload.type == "structure":
            body = b"{}"
    elif operation.body_members:
        document = {
            m.name: to_json_value(source, m.shape, values[m.name])
            for m in operation.body_members
            if m.name in values
        }
        body = json.dumps(document).encode()
    if body is not None and payload is not None and payload.type == "blob":
        headers.setdefault("Content-Type", "application/octet-stream")
    elif body is not None:
        headers["Content-Type"] = "application/json"
    path = operation.path(labels, encode_label)
    return HttpRequest(operation.method, path, tuple(query), headers, body)


def _payload_bytes(source: ModelSource, payload: Member, value: Any) -> bytes:
    if payload.type == "blob":
        return bytes(value) if isinstance(value, bytes | bytearray) else str(value).encode()
    return json.dumps(to_json_value(source, payload.shape, value)).encode()


def parse_output(operation: Operation, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """The output members of a success answer, before unknown members are dropped.

    A blob payload is the raw body (never decompressed or decoded); header members
    come from their headers; otherwise the body is a JSON object. Raises ValueError
    when a JSON answer is not a JSON object.
    """
    output: dict[str, Any] = {}
    for member in operation.output_headers:
        found = header_value(headers, member.wire_name)
        if found is not None:
            output[member.name] = found
    payload = operation.output_payload
    if payload is not None and payload.type == "blob":
        output[payload.name] = body
        return output
    document = json.loads(body) if body.strip() else {}
    if not isinstance(document, dict):
        raise ValueError("the success answer is not a JSON object")
    if payload is not None:
        output[payload.name] = document
    else:
        output.update(document)
    return output
