"""restJson1 on the server side: routes from the model, and requests decoded into input.

Routes are derived from each operation's `http.requestUri`, so the emulator
serves exactly the bindings the model declares. Labels are matched on the raw
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
from harness.model import IN_SCOPE_OPERATIONS, ModelSource

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
    """One operation's binding: method, path template and members by location."""

    operation: str
    method: str
    pattern: re.Pattern[str]
    input_shape: str
    query_members: dict[str, tuple[str, str]]  # query name -> (member, shape type)
    body_members: frozenset[str]


@dataclass(frozen=True)
class RouteMatch:
    """A request's route and its decoded path labels."""

    route: Route
    labels: dict[str, str]


class RouteTable:
    """Matches method and raw path to an operation."""

    def __init__(self, source: ModelSource) -> None:
        self.routes: list[Route] = []
        for name in IN_SCOPE_OPERATIONS:
            operation = source.operation(name)
            if operation is None:
                continue
            shape_name = operation["input"]["shape"]
            members = source.shape(shape_name)["members"]
            self.routes.append(
                Route(
                    operation=name,
                    method=operation["http"]["method"],
                    pattern=_path_pattern(operation["http"]["requestUri"]),
                    input_shape=shape_name,
                    query_members={
                        member.get("locationName", member_name): (
                            member_name,
                            source.shape(member["shape"])["type"],
                        )
                        for member_name, member in members.items()
                        if member.get("location") == "querystring"
                    },
                    body_members=frozenset(
                        member_name
                        for member_name, member in members.items()
                        if "location" not in member
                    ),
                )
            )

    def match(self, method: str, raw_path: str) -> RouteMatch:
        """The route for a request, or UnknownOperation (404) / MethodNotAllowed (405)."""
        allowed: list[str] = []
        for route in self.routes:
            found = route.pattern.match(raw_path)
            if not found:
                continue
            if route.method == method:
                labels = {key: unquote(value) for key, value in found.groupdict().items()}
                return RouteMatch(route, labels)
            allowed.append(route.method)
        if allowed:
            raise MethodNotAllowedException(
                f"{method} is not allowed on {raw_path}", allow=sorted(set(allowed))
            )
        raise UnknownOperationException(f"No operation is bound to {method} {raw_path}")


def decode_input(
    match: RouteMatch, raw_query: str, content_type: str | None, body: bytes
) -> dict[str, Any]:
    """The operation's input in model member names: labels, query members and body."""
    route = match.route
    values: dict[str, Any] = dict(match.labels)
    seen: set[str] = set()
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        if key not in route.query_members:
            continue  # unknown query parameters are ignored
        member, kind = route.query_members[key]
        if key in seen:
            raise SerializationException(f"Query parameter '{key}' must appear at most once")
        seen.add(key)
        if kind in ("integer", "long"):
            try:
                values[member] = int(value)
            except ValueError:
                raise SerializationException(
                    f"Value at '/{member}' must be an integer, not {value!r}"
                ) from None
        else:
            values[member] = value
    if not body.strip():
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
    for key, value in document.items():
        if key in route.body_members:
            values[key] = value  # unknown members are ignored (harness decision UNKNOWN-MEMBERS)
    return values
