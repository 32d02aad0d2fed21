"""An exchange read back as the operation it called: what was sent, when, and what came back.

The run model (`harness.server.run_model`) reads every exchange of the probe
through this. Times come from the request's own `X-Amz-Date` (whole seconds)
and the time the answer took; the target's clock offset from its `Date`
headers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from harness.model import operations
from harness.model.routes import Routes
from harness.server.probe import Exchange


@dataclass(frozen=True)
class Observation:
    """One exchange with its operation, path labels, query, JSON body sent and answer."""

    exchange: Exchange
    operation: str
    labels: dict[str, str]
    query: dict[str, str]
    sent: dict[str, Any]
    answer: dict[str, Any] | None
    """The JSON answer of a success (empty for a blob answer); None for anything else."""
    sent_at: float | None
    """Local time the request was signed (X-Amz-Date, whole seconds); None when unsigned."""

    @property
    def succeeded(self) -> bool:
        return self.answer is not None

    @property
    def window(self) -> tuple[float, float] | None:
        """Local times between which the target handled the request (whole-second rounding
        of X-Amz-Date included): from its signing to its answer's arrival, which bounds it
        even when the request waited between signing and sending (a loaded machine); None
        when the request was not signed."""
        if self.sent_at is None:
            return None
        exchange = self.exchange
        answered = exchange.started_at + exchange.elapsed if exchange.started_at > 0 else 0.0
        return self.sent_at, max(self.sent_at + 1.0 + exchange.elapsed, answered)

    def member(self, name: str) -> Any:
        """A member the request sent, wherever it was bound (label, query or body)."""
        if name in self.labels:
            return self.labels[name]
        if name in self.query:
            return self.query[name]
        return self.sent.get(name)


@cache
def _routes() -> Routes:
    return Routes(operations())


def _json_object(raw: bytes | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _amz_date(exchange: Exchange) -> float | None:
    stamp = next(
        (v for k, v in exchange.request_headers.items() if k.lower() == "x-amz-date"), None
    )
    try:
        return datetime.strptime(str(stamp), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def observe(exchange: Exchange) -> Observation | None:
    """The exchange as an operation call; None when its method and path bind no operation."""
    parts = urlsplit(exchange.url)
    found = _routes().match(exchange.method, parts.path)
    if found is None:
        return None
    answer = None
    if exchange.status is not None and 200 <= exchange.status < 300:
        body = {} if found.route.operation.blob_output else exchange.json()
        answer = body if isinstance(body, dict) else None
    return Observation(
        exchange=exchange,
        operation=found.route.name,
        labels=found.labels,
        query=dict(parse_qsl(parts.query)),
        sent=_json_object(exchange.request_body),
        answer=answer,
        sent_at=_amz_date(exchange),
    )


def date_offset(seen: Observation) -> tuple[float, float] | None:
    """The bounds of the target's clock minus ours that one answer allows: its `Date`
    (whole seconds) was stamped while the request's window was open. None when the request
    was unsigned or the header is missing."""
    window, date = seen.window, seen.exchange.header("Date")
    if window is None or not date:
        return None
    try:
        server = parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return None
    return server - window[1], server + 1.0 - window[0]
