"""Requests back to operations: method and raw path matched against the table's URI templates.

Labels are matched on the raw (percent-encoded) path and decoded afterwards.
The emulator routes with it; the server suite's oracle reads what it sent with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from harness.model.operations import Operation, OperationTable

_LABEL = re.compile(r"\{(\w+)\}")


def path_pattern(template: str) -> re.Pattern[str]:
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


class Routes:
    """Every operation's route, matched by method and raw path."""

    def __init__(self, table: OperationTable) -> None:
        self.routes = [
            Route(operation, path_pattern(operation.uri)) for operation in table.values()
        ]

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        """The route bound to `method` on `raw_path`, with its labels; None when there is none."""
        for route in self.routes:
            found = route.pattern.match(raw_path)
            if found and route.operation.method == method:
                labels = {key: unquote(value) for key, value in found.groupdict().items()}
                return RouteMatch(route, labels)
        return None

    def methods_on(self, raw_path: str) -> list[str]:
        """The methods some operation binds to `raw_path`, sorted."""
        return sorted({r.operation.method for r in self.routes if r.pattern.match(raw_path)})
