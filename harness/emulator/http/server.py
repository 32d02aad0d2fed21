"""The HTTP server: cheroot (CherryPy's production WSGI server) on a loopback port.

cheroot parses the framing before the application sees a request: a malformed
request line (HTTP/0.9 included), malformed chunked encoding, a bad or
conflicting `Content-Length`, oversized headers are answered 4xx or the
connection is closed. In place of cheroot's connection manager, a front
(`front.py`) accepts connections and reads each request whole without a thread
before a worker sees it, so slow or idle clients never hold a worker; they are
dropped, or answered 408, after `timeout` seconds. It runs in a thread of the
calling process, so `Emulator` stays a context manager that tests start on port 0.

The middleware between the server and the application, outside every API
route, reads the whole body first (cheroot hands the application a lazy stream,
so a broken chunk or a body shorter than its `Content-Length` would otherwise
surface inside the application as a 500): broken chunked encoding is 400
`SerializationException`, a body that stops arriving is 408
`RequestTimeoutException` and the connection is closed. It also serves the
health endpoint (`HEALTH_PATH`) and writes the access log.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any

from cheroot import server, wsgi

from harness.emulator.http.app import MAX_BODY_BYTES
from harness.emulator.http.front import Front, FrontLimits

HEALTH_PATH = "/_health"
"""GET answers 200 `{"status": "ok"}` without authentication. No HealthImaging route
starts with `/_` (every route is a lower-case resource name: see
`harness/model/operations.py`), so it cannot shadow an operation."""

MAX_HEADER_BYTES = 64 * 1024
"""Request line plus headers; beyond it cheroot answers 413 (the harness's choice; SigV4
headers of real SDKs are under 2 KiB)."""

WSGIApp = Callable[[dict[str, Any], Any], Iterable[bytes]]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerSettings:
    """How the HTTP server runs."""

    threads: int = 16
    """Workers running the application; requests reach them whole (see `front.py`)."""
    timeout: int = 10
    """Seconds a connection may stay idle between requests, a request (head and body) may
    take to arrive from its first byte, and a worker may wait for a client to take an
    answer."""
    shutdown_timeout: int = 3
    """Seconds `stop` waits for requests in flight."""
    max_body_bytes: int = MAX_BODY_BYTES
    """A longer request body is answered 413 before the application sees it."""


class HealthAndLog:
    """WSGI middleware: answers `GET /_health`, writes one access-log line per request."""

    def __init__(self, app: WSGIApp, access_log: IO[str] | None = None) -> None:
        self._app = app
        self._log = access_log
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        started = time.perf_counter()
        seen: dict[str, str] = {}

        def recording(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            seen["status"] = status.split(" ", 1)[0]
            for name, value in headers:
                if name.lower() == "x-amzn-errortype":
                    seen["error"] = value
            return start_response(status, headers, *rest)

        if environ.get("PATH_INFO") == HEALTH_PATH:
            result: Iterable[bytes] = self._health(environ, recording)
        else:
            refusal = _buffer_body(environ)
            if refusal is None:
                result = self._app(environ, recording)
            else:
                result = _refuse(recording, *refusal)
        if self._log is not None:
            self._write(environ, seen, time.perf_counter() - started)
        return result

    @staticmethod
    def _health(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            body = json.dumps({"message": "Only GET and HEAD are served here"}).encode()
            start_response(
                "405 Method Not Allowed",
                [
                    ("Content-Type", "application/json"),
                    ("Allow", "GET, HEAD"),
                    ("X-Amzn-Errortype", "MethodNotAllowedException"),
                    ("Content-Length", str(len(body))),
                ],
            )
            return [body]
        body = b'{"status": "ok"}'
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]

    def _write(self, environ: dict[str, Any], seen: dict[str, str], seconds: float) -> None:
        assert self._log is not None
        path = environ.get("PATH_INFO", "")
        line = (
            f"{environ.get('REQUEST_METHOD', '-')} {path} {seen.get('status', '-')} "
            f"{seen.get('error', '-')} {seconds * 1000:.1f}ms\n"
        )
        with self._lock:
            try:
                self._log.write(line)
                self._log.flush()
            except (OSError, ValueError):
                log.warning("access log write failed")


def _buffer_body(environ: dict[str, Any]) -> tuple[str, str, str] | None:
    """Read the body into memory (at most one byte past the limit, so that the application
    still answers 413 beyond it); the status, error type and message when it cannot be."""
    declared = environ.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    stream = environ["wsgi.input"]
    try:
        body = stream.read(MAX_BODY_BYTES + 1)
    except OSError:  # TimeoutError included: the client stopped sending
        return "408 Request Timeout", "RequestTimeoutException", "The request body stopped arriving"
    except Exception as error:  # cheroot's framing errors: ValueError, OverflowError, ...
        return "400 Bad Request", "SerializationException", f"Malformed request body: {error}"
    environ["wsgi.input"] = io.BytesIO(body)
    environ["wsgi.input_terminated"] = True
    return None


def _refuse(start_response: Any, status: str, error_type: str, message: str) -> Iterable[bytes]:
    body = json.dumps({"message": message}).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("X-Amzn-Errortype", error_type),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
        ],
    )
    return [body]


_FRAMING_AS_BAD_REQUEST = ("501", "505")
"""cheroot's 501 (a transfer coding it does not know) and 505 (an HTTP version it does not
speak) are client faults sent before any route: answered 400, as the emulator answers every
malformed request with a 4xx (the harness's choice; RFC 9110 would allow the 5xx)."""


class _ProxyFormRequest(server.HTTPRequest):
    """Accepts absolute-form request targets (`GET http://host/path`), as an HTTP proxy
    does: SDKs that prepend `runtime-` to the host reach the emulator as their proxy.
    What cheroot refuses itself is answered with a JSON error body, as the API's errors."""

    def __init__(
        self, owner: Any, conn: Any, proxy_mode: bool = True, strict_mode: bool = True
    ) -> None:
        super().__init__(owner, conn, proxy_mode=True, strict_mode=strict_mode)

    def simple_response(self, status: Any, msg: Any = "") -> None:
        """cheroot's own refusals (framing, sizes) as restJson1 errors: JSON body,
        `X-Amzn-Errortype`, and the connection closed after them."""
        status = str(status)
        if status[:3] in _FRAMING_AS_BAD_REQUEST:
            status = "400 Bad Request"
        text = msg.decode("latin-1") if isinstance(msg, bytes) else str(msg)
        error = "InternalServerException" if status.startswith("5") else "SerializationException"
        body = json.dumps({"message": text.strip() or status[4:]}).encode()
        self.close_connection = True
        head = (
            f"{self.server.protocol} {status}\r\n"
            "Content-Type: application/json\r\n"
            f"X-Amzn-Errortype: {error}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        with contextlib.suppress(OSError):  # the client has gone: nothing to answer
            self.conn.wfile.write(head.encode("latin-1") + body)

    def send_headers(self) -> None:
        """An answer with `Connection: close` closes without draining the rest of the body
        (cheroot would otherwise read it first, and a client that stopped sending would
        never get the answer)."""
        if any(
            name.lower() == b"connection" and value.lower() == b"close"
            for name, value in self.outheaders
        ):
            self.close_connection = True
        super().send_headers()


class _Connection(server.HTTPConnection):
    RequestHandlerClass = _ProxyFormRequest


class _Server(wsgi.Server):
    """cheroot's server with its connections read by `Front` and its diagnostics sent to
    `logging` rather than stderr."""

    ConnectionClass = _Connection
    _connections: Any
    max_body_bytes = MAX_BODY_BYTES

    def prepare(self) -> None:
        super().prepare()
        self._connections.close()
        self._connections = Front(
            self, FrontLimits(MAX_HEADER_BYTES, self.max_body_bytes, float(self.timeout))
        )

    def error_log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        log.log(
            logging.WARNING if level >= logging.ERROR else logging.DEBUG,
            "%s",
            msg,
            exc_info=traceback,
        )


class HttpServer:
    """A cheroot WSGI server in a background thread; `url` is right once `start` returns."""

    def __init__(
        self, host: str, port: int, app: WSGIApp, settings: ServerSettings | None = None
    ) -> None:
        self.settings = settings or ServerSettings()
        self._server = _Server(
            (host, port),
            app,
            numthreads=self.settings.threads,
            timeout=self.settings.timeout,
            shutdown_timeout=self.settings.shutdown_timeout,
            request_queue_size=128,
        )
        self._server.max_request_header_size = MAX_HEADER_BYTES
        self._server.max_body_bytes = self.settings.max_body_bytes
        self._server.server_name = "ahi-contract-emulator"
        self._thread: threading.Thread | None = None
        self.url = ""

    def bind(self) -> str:
        """Bind the port (OSError when it is taken); the URL."""
        if not self.url:
            self._server.prepare()
            host, port = self._server.bind_addr[:2]
            self.url = f"http://{host}:{port}"
        return self.url

    def start(self) -> str:
        """Bind unless bound, serve in a thread, return the URL."""
        self.bind()
        self._thread = threading.Thread(target=self._server.serve, name="http", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop accepting, let requests in flight finish (up to the shutdown timeout)."""
        self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=self.settings.shutdown_timeout + 2)

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
