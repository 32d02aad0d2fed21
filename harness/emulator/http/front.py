"""The server's front: one selector thread that reads every request before a worker does.

cheroot hands a connection to a worker thread as soon as it is accepted or becomes
readable, and the worker then blocks reading the head and the body: a few dozen slow
clients (headers or bodies trickled byte by byte, connections opened and never written
to) held every worker and a normal request waited behind them. The front takes the place
of cheroot's connection manager: it accepts connections, reads them without blocking
until `framing.RequestScan` says the request is whole, and only then hands the connection,
with the bytes read, to cheroot's worker pool. A worker never waits for a request to
arrive, so slow and idle clients cost a socket and a buffer, never a thread.

One deadline, `timeout` seconds (`ServerSettings.timeout`): a connection with no request
under way (just opened, or kept alive after an answer) is closed when silent that long,
and a request must arrive whole, head and body, within that long of its first byte or be
answered 408 and closed. Every connection the front holds is thus closed or served within
the deadline, however its bytes trickle.
"""

from __future__ import annotations

import contextlib
import json
import queue
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from cheroot import makefile

from harness.emulator.http.framing import RequestScan

RECV_BYTES = 64 * 1024
SELECT_SECONDS = 0.25
"""The longest the loop sleeps: how late a deadline may be noticed."""


class _PrefetchedSocketIO(socket.SocketIO):
    """A socket's raw reader that first returns bytes the front has already read."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock, "rb")
        self.pending = bytearray()

    def readinto(self, b: Any) -> int | None:
        if self.pending:
            count = min(len(b), len(self.pending))
            b[:count] = self.pending[:count]
            del self.pending[:count]
            return count
        return super().readinto(b)


class PrefetchedReader(makefile.StreamReader):
    """cheroot's stream reader over `_PrefetchedSocketIO`."""

    def __init__(self, sock: socket.socket, mode: str = "rb", bufsize: int = 8192) -> None:
        super(makefile.StreamReader, self).__init__(_PrefetchedSocketIO(sock), bufsize)
        self.bytes_read = 0

    @property
    def prefetched(self) -> _PrefetchedSocketIO:
        raw = self.raw
        assert isinstance(raw, _PrefetchedSocketIO)
        return raw

    def feed(self, data: bytes | bytearray) -> None:
        """Queue `data` to be read before anything more from the socket."""
        self.prefetched.pending += data

    def take_unread(self) -> bytes:
        """The bytes read from the socket and not yet consumed (a pipelined request)."""
        buffered = self.has_data()  # type: ignore[no-untyped-call]
        data = self.read1(RECV_BYTES * 1024) if buffered else b""
        data += bytes(self.prefetched.pending)
        self.prefetched.pending.clear()
        return data


def reader_or_writer(sock: socket.socket, mode: str = "r", bufsize: int = 8192) -> Any:
    """The `makefile` cheroot's connections are built with: prefetching reads."""
    if "r" in mode:
        return PrefetchedReader(sock, mode, bufsize)
    return makefile.StreamWriter(sock, mode, bufsize)


@dataclass(eq=False)
class _Pending:
    """A connection the front holds: the bytes of its next request read so far."""

    conn: Any
    scan: RequestScan
    since: float
    """When the connection went idle, or when its request's first byte arrived."""
    buffer: bytearray = field(default_factory=bytearray)


@dataclass(frozen=True)
class FrontLimits:
    """The sizes `framing.RequestScan` frames requests with, and the deadline."""

    max_head: int
    max_body: int
    timeout: float


class Front:
    """Stands in for cheroot's `ConnectionManager` (`run`, `stop`, `close`, `put`,
    `can_add_keepalive_connection`), reading requests whole before workers see them."""

    def __init__(self, server: Any, limits: FrontLimits) -> None:
        self.server = server
        self.limits = limits
        self._listener: socket.socket = server.socket
        self._listener.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ, None)
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._wake_write.setblocking(False)
        self._selector.register(self._wake_read, selectors.EVENT_READ, self._wake_read)
        self._returned: queue.SimpleQueue[tuple[Any, bytes]] = queue.SimpleQueue()
        self._held: dict[int, _Pending] = {}
        self._stop_requested = False
        self._serving = threading.Event()
        self._closed = False
        self._expired_at = 0.0

    @property
    def can_add_keepalive_connection(self) -> bool:
        """An idle kept-alive connection costs the front a socket, not a thread."""
        return True

    def put(self, conn: Any) -> None:
        """A worker's answered connection, kept alive: read its next request (any thread)."""
        self._returned.put((conn, conn.rfile.take_unread()))
        self._wake()

    def run(self, expiration_interval: float) -> None:
        """Accept and read until `stop`."""
        self._serving.set()
        try:
            while not self._stop_requested:
                for key, _ in self._selector.select(timeout=SELECT_SECONDS):
                    if key.data is None:
                        self._accept()
                    elif key.data is self._wake_read:
                        self._drain_wake()
                    else:
                        self._read(key.data)
                self._take_returned()
                self._expire(time.monotonic())
        finally:
            self._serving.clear()

    def stop(self) -> None:
        """Stop the loop in `run` and wait for it to end."""
        self._stop_requested = True
        self._wake()
        while self._serving.is_set():
            time.sleep(0.01)

    def close(self) -> None:
        """Close every connection the front holds (called once the loop has stopped)."""
        if self._closed:
            return
        self._closed = True
        self._take_returned()
        for pending in list(self._held.values()):
            self._drop(pending)
        self._selector.close()
        self._wake_read.close()
        self._wake_write.close()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # full (a wake-up is pending anyway), or closed
            self._wake_write.send(b"\0")

    def _drain_wake(self) -> None:
        with contextlib.suppress(OSError):
            while self._wake_read.recv(4096):
                pass

    def _accept(self) -> None:
        while True:
            try:
                sock, address = self._listener.accept()
            except OSError:  # nothing more to accept (BlockingIOError), or closed
                return
            sock.setblocking(False)
            conn = self.server.ConnectionClass(self.server, sock, reader_or_writer)
            conn.remote_addr, conn.remote_port = address[:2]
            conn.ssl_env = {}
            now = time.monotonic()
            self._hold(_Pending(conn, self._scan(), now))

    def _take_returned(self) -> None:
        while True:
            try:
                conn, unread = self._returned.get_nowait()
            except queue.Empty:
                return
            if self._closed or self._stop_requested:
                conn.close()
                continue
            try:
                conn.socket.setblocking(False)
            except OSError:
                conn.close()
                continue
            now = time.monotonic()
            pending = _Pending(conn, self._scan(), now, bytearray(unread))
            if not self._hold(pending):
                continue
            if unread:
                self._advance(pending)

    def _hold(self, pending: _Pending) -> bool:
        try:
            self._selector.register(pending.conn.socket, selectors.EVENT_READ, pending)
        except (OSError, ValueError):
            pending.conn.close()
            return False
        self._held[id(pending)] = pending
        return True

    def _read(self, pending: _Pending) -> None:
        try:
            data = pending.conn.socket.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(pending)
            return
        if not data:  # the client closed: cheroot answers what it can of a partial request
            if pending.buffer:
                self._hand_over(pending)
            else:
                self._drop(pending)
            return
        if not pending.buffer:
            pending.since = time.monotonic()
        pending.buffer += data
        self._advance(pending)

    def _scan(self) -> RequestScan:
        return RequestScan(self.limits.max_head, self.limits.max_body)

    def _advance(self, pending: _Pending) -> None:
        verdict = pending.scan.assess(pending.buffer)
        if verdict.whole:
            self._hand_over(pending)
        elif verdict.expect_continue is not None:
            start, end = verdict.expect_continue
            del pending.buffer[start:end]
            pending.scan = self._scan()
            pending.scan.assess(pending.buffer)
            self._send_small(pending, f"{self.server.protocol} 100 Continue\r\n\r\n".encode())

    def _hand_over(self, pending: _Pending) -> None:
        self._release(pending)
        conn = pending.conn
        try:
            conn.socket.settimeout(self.server.timeout)
        except OSError:
            conn.close()
            return
        conn.rfile.feed(pending.buffer)
        conn.last_used = time.time()
        self.server.process_conn(conn)

    def _expire(self, now: float) -> None:
        if now - self._expired_at < SELECT_SECONDS:
            return
        self._expired_at = now
        for pending in list(self._held.values()):
            if now - pending.since <= self.limits.timeout:
                continue
            if pending.buffer:
                self._time_out(pending)
            else:
                self._drop(pending)

    def _time_out(self, pending: _Pending) -> None:
        message = f"The request did not arrive whole within {self.limits.timeout:g} s"
        body = json.dumps({"message": message}).encode()
        head = (
            f"{self.server.protocol} 408 Request Timeout\r\n"
            "Content-Type: application/json\r\n"
            "X-Amzn-Errortype: RequestTimeoutException\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        with contextlib.suppress(OSError):  # unread bytes would turn the close into a reset
            for _ in range(16):
                if not pending.conn.socket.recv(RECV_BYTES):
                    break
        self._send_small(pending, head.encode("latin-1") + body)
        self._drop(pending)

    @staticmethod
    def _send_small(pending: _Pending, data: bytes) -> None:
        """Best effort, without blocking: an answer this small fits the socket's buffer."""
        with contextlib.suppress(OSError):
            pending.conn.socket.send(data)

    def _release(self, pending: _Pending) -> None:
        self._held.pop(id(pending), None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self._selector.unregister(pending.conn.socket)

    def _drop(self, pending: _Pending) -> None:
        self._release(pending)
        with contextlib.suppress(OSError):
            pending.conn.close()
