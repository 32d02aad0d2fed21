"""Scenarios for requests-based clients, in-process, with `responses`.

    with scripted(scenario, "http://service.test") as service:
        service.call = 0
        client.call(...)
    outcome = judge(scenario, "my-client", answers, service.requests)

The replies are played in order (the last one again if the client asks for
more), every request is recorded for the judge's rules, and nothing leaves
the process. `ahi_scripted` is the same thing as a pytest fixture.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlsplit

import requests
import responses

from harness.sdk.scenarios import Scenario
from harness.sdk.stub import RecordedRequest, Reply


class ScriptedService:
    """A `responses` callback that plays replies in order and records requests."""

    def __init__(self, replies: tuple[Reply, ...]) -> None:
        self.replies = replies
        self.requests: list[RecordedRequest] = []
        self.call = 0

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(request.url or "")
        body = request.body or b""
        self.requests.append(
            RecordedRequest(
                call=self.call,
                method=request.method or "",
                path=parts.path,
                query=tuple(parse_qsl(parts.query, keep_blank_values=True)),
                headers={k.lower(): v for k, v in request.headers.items()},
                body=body.encode() if isinstance(body, str) else body,
                raw_query=parts.query,
                endpoint=parts.netloc,
                received_at=time.monotonic(),
                wall_time=time.time(),
            )
        )
        answer = self.replies[min(len(self.requests) - 1, len(self.replies) - 1)]
        return answer.status, dict(answer.headers), answer.body


@contextmanager
def scripted(scenario: Scenario, endpoint: str) -> Iterator[ScriptedService]:
    """Intercept every request to `endpoint` and answer with the scenario's replies."""
    service = ScriptedService(scenario.replies)
    pattern = re.compile(re.escape(endpoint.rstrip("/")) + r"(/.*)?$")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
            mock.add_callback(method, pattern, callback=service)
        yield service
