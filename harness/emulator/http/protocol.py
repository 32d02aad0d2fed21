"""restJson1 on the server side: routes from the model, and requests decoded into input.

Routes come from the operation table (`harness.model.routes`), so the emulator
serves exactly the bindings the model declares.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from harness.emulator.exceptions import (
    MethodNotAllowedException,
    SerializationException,
    UnknownOperationException,
    UnsupportedMediaTypeException,
)
from harness.model import Member, Operation, OperationTable
from harness.model.routes import RouteMatch as RouteMatch
from harness.model.routes import Routes

JSON_MEDIA_TYPES = ("application/json",)


class RouteTable:
    """The model's routes; a request no operation binds is UnknownOperation (404) or, when
    another method is bound to the path, MethodNotAllowed (405)."""

    def __init__(self, table: OperationTable) -> None:
        self.routes = Routes(table)

    def match(self, method: str, raw_path: str) -> RouteMatch:
        """The route for a request, or the exception the service answers."""
        found = self.routes.match(method, raw_path)
        if found is not None:
            return found
        allowed = self.routes.methods_on(raw_path)
        if allowed:
            raise MethodNotAllowedException(f"{method} is not allowed on {raw_path}", allow=allowed)
        raise UnknownOperationException(f"No operation is bound to {method} {raw_path}")


def _scalar(member: Member, kind: str | None, value: str) -> Any:
    if kind in ("integer", "long"):
        try:
            return int(value)
        except ValueError:
            raise SerializationException(
                f"Value at '/{member.name}' must be an integer, not {value!r}"
            ) from None
    if kind == "boolean":
        if value not in ("true", "false"):
            raise SerializationException(
                f"Value at '/{member.name}' must be true or false, not {value!r}"
            )
        return value == "true"
    return value


def decode_query(operation: Operation, raw_query: str) -> dict[str, Any]:
    """Query members in model names: lists from repeated keys, scalars at most once."""
    by_wire = {member.wire_name: member for member in operation.query}
    values: dict[str, Any] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        member = by_wire.get(key)
        if member is None:
            continue  # unknown query parameters are ignored
        if member.type == "list":
            values.setdefault(member.name, []).append(
                _scalar(member, member.list_member_type, value)
            )
            continue
        if member.name in values:
            raise SerializationException(f"Query parameter '{key}' must appear at most once")
        values[member.name] = _scalar(member, member.type, value)
    return values


def decode_input(
    match: RouteMatch, raw_query: str, content_type: str | None, body: bytes
) -> dict[str, Any]:
    """The operation's input in model member names: labels, query members and body."""
    operation = match.route.operation
    values: dict[str, Any] = dict(match.labels)
    values.update(decode_query(operation, raw_query))
    if not body.strip() or not operation.has_request_body:
        return values
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in JSON_MEDIA_TYPES:
        raise UnsupportedMediaTypeException(
            f"Content-Type {content_type!r} is not supported; send application/json"
        )
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise SerializationException(f"The request body is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise SerializationException("The request body must be a JSON object")
    payload = operation.input_payload
    if payload is not None:
        values[payload.name] = document
        return values
    body_members = {member.name for member in operation.body_members}
    for key, value in document.items():
        if key in body_members:
            values[key] = value  # unknown members are ignored (harness decision UNKNOWN-MEMBERS)
    return values
