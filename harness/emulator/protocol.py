"""restJson1 on the server side: routes from the model, and requests decoded into input.

Routes come from the operation table, so the emulator serves exactly the
bindings the model declares. Labels are matched on the raw
(percent-encoded) path and decoded afterwards.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from harness.emulator.exceptions import (
    MethodNotAllowedException,
    SerializationException,
    UnknownOperationException,
    UnsupportedMediaTypeException,
)
from harness.model import Member, Operation, OperationTable

_LABEL = re.compile(r"\{(\w+)\}")
JSON_MEDIA_TYPES = ("application/json",)


def _path_pattern(template: str) -> re.Pattern[str]:
    """`/datastore/{datastoreId}` → a regex with one named group per label."""
    parts: list[str] = []
    last = 0
    for label in _LABEL.finditer(template):
        parts.append(re.escape(template[last : label.start()]))
        parts.append(f"(?P<{label.group(1)}>[^/]+)")
        last = label.end()
    parts.append(re.escape(template[last:]))
    return re.compile("^" + "".join(parts) + "$")


@dataclass(frozen=True)
class Route:
    """One operation's binding and the pattern its path matches."""

    operation: Operation
    pattern: re.Pattern[str]

    @property
    def name(self) -> str:
        return self.operation.name

    @property
    def input_shape(self) -> str:
        return self.operation.input_shape


@dataclass(frozen=True)
class RouteMatch:
    """A request's route and its decoded path labels."""

    route: Route
    labels: dict[str, str]


class RouteTable:
    """Matches method and raw path to an operation of the table."""

    def __init__(self, table: OperationTable) -> None:
        self.routes = [
            Route(operation, _path_pattern(operation.uri)) for operation in table.values()
        ]

    def match(self, method: str, raw_path: str) -> RouteMatch:
        """The route for a request, or UnknownOperation (404) / MethodNotAllowed (405)."""
        allowed: list[str] = []
        for route in self.routes:
            found = route.pattern.match(raw_path)
            if not found:
                continue
            if route.operation.method == method:
                labels = {key: unquote(value) for key, value in found.groupdict().items()}
                return RouteMatch(route, labels)
            allowed.append(route.operation.method)
        if allowed:
            raise MethodNotAllowedException(
                f"{method} is not allowed on {raw_path}", allow=sorted(set(allowed))
            )
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
