"""The loopback stub: plays a scenario's scripted replies and records every request.

A real HTTP server on a loopback port, so that any SDK in any language can be
pointed at it, directly or as its HTTP proxy (then the request line carries
the absolute URL, `runtime-` host prefix included, and no name needs to
resolve). When an SDK sends more requests than the scenario scripts, the last
reply is played again (and the extra request is recorded, so the judge sees
it). A reply may be delayed (a read timeout for the SDK), may drop the
connection without an answer, or may carry a `Date` header off the real clock.

As an HTTPS proxy the stub records the `CONNECT <host>:443` an SDK sends for
an `https://` endpoint (the host its endpoint resolution chose) and refuses
the tunnel (502, connection closed), whatever the scenario scripts: no TLS, no
name resolution, and the SDK reports a client error.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


@dataclass(frozen=True)
class Reply:
    """One scripted answer.

    `delay` seconds pass before it is sent; `reset` drops the connection
    instead (TCP RST, no answer); the `Date` header is `date_offset` seconds
    away from the real clock (None: no `Date` at all).
    """

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    delay: float = 0.0
    reset: bool = False
    date_offset: float | None = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the SDK sent it.

    `target` is the authority of an absolute-form request line (a request sent
    through a proxy) or of a `CONNECT` (a tunnel asked of the proxy), None for
    the origin form; `endpoint` the stub's own
    authority; `received_at` (monotonic) and `wall_time` (epoch seconds) say
    when the request arrived.
    """

    call: int
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: dict[str, str]
    body: bytes
    target: str | None = None
    raw_query: str = ""
    endpoint: str = ""
    received_at: float = 0.0
    wall_time: float = 0.0

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


TUNNEL_REFUSED = Reply(
    502, (("Connection", "close"), ("Content-Type", "text/plain")), b"tunnel refused by the stub"
)


class _Quiet(WSGIRequestHandler):
    timeout = 30

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return

    def send_response(self, code: int, message: str | None = None) -> None:
        """The status line and Server; the stub writes `Date` itself (see `Reply.date_offset`)."""
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())


def _split_target(raw: str, method: str = "GET") -> tuple[str | None, str, str]:
    """(authority or None, path, query) of a request line's target."""
    if method == "CONNECT":
        return raw, "", ""
    if raw.startswith(("http://", "https://")):
        parts = urlsplit(raw)
        return parts.netloc, parts.path or "/", parts.query
    path, _, query = raw.partition("?")
    return None, path, query


def _drop(environ: dict[str, Any]) -> None:
    """Drop the connection at once, answering nothing (a reset when the socket closes)."""
    connection: socket.socket = environ["werkzeug.socket"]
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.shutdown(socket.SHUT_RDWR)
    connection.close()
    raise ConnectionResetError("connection dropped by the scenario")


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
        self.authority = f"{host}:{self._server.port}"
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
        target, path, query = _split_target(raw, request.method)
        body = b"" if request.method == "CONNECT" else request.get_data()
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    call=self.call,
                    method=request.method,
                    path=path,
                    query=tuple(parse_qsl(query, keep_blank_values=True)),
                    headers={k.lower(): v for k, v in request.headers.items()},
                    body=body,
                    target=target,
                    raw_query=query,
                    endpoint=self.authority,
                    received_at=time.monotonic(),
                    wall_time=time.time(),
                )
            )
            if request.method == "CONNECT":
                answer = TUNNEL_REFUSED
            elif not self._replies:
                answer = Reply(
                    500,
                    (("X-Amzn-Errortype", "InternalServerException"),),
                    b'{"message": "no scripted reply"}',
                )
            else:
                answer = self._replies[min(self._next, len(self._replies) - 1)]
                self._next += 1
        if answer.delay:
            time.sleep(answer.delay)
        if answer.reset:
            _drop(environ)
        headers = list(answer.headers)
        if answer.date_offset is not None:
            headers.append(("Date", formatdate(time.time() + answer.date_offset, usegmt=True)))
        response = Response(answer.body, status=answer.status, headers=headers)
        if not any(name.lower() == "content-type" for name, _ in answer.headers):
            response.headers.pop("Content-Type", None)
        result: Iterable[bytes] = response(environ, start_response)
        return result
