"""The loopback stub: plays a scenario's scripted replies and records every request.

A real HTTP server on a loopback port, so that any SDK in any language can be
pointed at it. When an SDK sends more requests than the scenario scripts, the
last reply is played again (and the extra request is recorded, so the judge
sees it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


@dataclass(frozen=True)
class Reply:
    """One scripted answer."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the SDK sent it."""

    call: int
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class _Quiet(WSGIRequestHandler):
    timeout = 30

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


class StubServer:
    """Serves the replies of the current scenario."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._lock = threading.Lock()
        self._replies: tuple[Reply, ...] = ()
        self._next = 0
        self.call = 0
        self.requests: list[RecordedRequest] = []
        self._server: BaseWSGIServer = make_server(
            host, 0, self._app, threaded=True, request_handler=_Quiet
        )
        self.url = f"http://{host}:{self._server.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> StubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def script(self, replies: tuple[Reply, ...]) -> None:
        """Play `replies` from now on and forget earlier requests."""
        with self._lock:
            self._replies = replies
            self._next = 0
            self.call = 0
            self.requests = []

    def _app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.path
        path, _, query = raw.partition("?")
        body = request.get_data()
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    call=self.call,
                    method=request.method,
                    path=path,
                    query=tuple(parse_qsl(query, keep_blank_values=True)),
                    headers={k.lower(): v for k, v in request.headers.items()},
                    body=body,
                )
            )
            if not self._replies:
                answer = Reply(
                    500,
                    (("X-Amzn-Errortype", "InternalServerException"),),
                    b'{"message": "no scripted reply"}',
                )
            else:
                answer = self._replies[min(self._next, len(self._replies) - 1)]
                self._next += 1
        response = Response(answer.body, status=answer.status, headers=list(answer.headers))
        if not any(name.lower() == "content-type" for name, _ in answer.headers):
            response.headers.pop("Content-Type", None)
        result: Iterable[bytes] = response(environ, start_response)
        return result
