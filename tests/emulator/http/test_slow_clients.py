"""Slow and idle clients never delay others: a real server, a real port, real sockets.

Trickled heads, trickled bodies, idle connections and connections never written to are
read by the server's front without a worker thread, so a normal request made among them
is answered at once; the slow connections themselves are closed after the timeout.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests

from harness.aws.sigv4 import AwsCredentials, SigV4RequestsAuth
from harness.emulator import Emulator
from harness.emulator.http.server import HEALTH_PATH, ServerSettings
from tests.emulator.conftest import start_emulator

SERVER_TIMEOUT = 3
"""The emulator's timeout in this module; the trickles below are faster, so with a
worker per connection they would hold every worker indefinitely."""
TRICKLE_SECONDS = 0.5
PROMPT = 5.0
"""A normal request is answered well within this (in milliseconds, unloaded)."""


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    running = start_emulator(http=ServerSettings(timeout=SERVER_TIMEOUT))
    yield running
    running.stop()


def _address(emulator: Emulator) -> tuple[str, int]:
    host, port = urlsplit(emulator.url).netloc.rsplit(":", 1)
    return host, int(port)


class Trickle:
    """Connections sending their first bytes, then one more byte every `TRICKLE_SECONDS`."""

    def __init__(self, address: tuple[str, int], first: bytes, count: int) -> None:
        self.sockets = [socket.create_connection(address, timeout=10) for _ in range(count)]
        for sock in self.sockets:
            sock.sendall(first)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(TRICKLE_SECONDS):
            for sock in self.sockets:
                with contextlib.suppress(OSError):  # closed by the server, as the timeout says
                    sock.sendall(b"a")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self.sockets:
            sock.close()


def _signed_session() -> requests.Session:
    session = requests.Session()
    session.auth = SigV4RequestsAuth(AwsCredentials("test", "test"), "us-east-1")
    return session


def _timed_list(url: str) -> tuple[int, float]:
    started = time.monotonic()
    response = _signed_session().get(f"{url}/datastore", timeout=PROMPT)
    return response.status_code, time.monotonic() - started


def test_normal_requests_are_answered_promptly_among_slow_clients(emulator: Emulator) -> None:
    address = _address(emulator)
    heads = Trickle(address, b"GET /datastore HTTP/1.1\r\nHost: x\r\nX-Slow: ", 50)
    bodies = Trickle(
        address,
        b"POST /datastore HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{",
        10,
    )
    idle = [socket.create_connection(address) for _ in range(10)]
    try:
        time.sleep(2 * TRICKLE_SECONDS)
        started = time.monotonic()
        health = requests.get(f"{emulator.url}{HEALTH_PATH}", timeout=PROMPT)
        assert health.status_code == 200
        assert time.monotonic() - started < PROMPT
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(_timed_list, [emulator.url] * 32))
        assert [status for status, _ in answers] == [200] * 32
        assert max(seconds for _, seconds in answers) < PROMPT
    finally:
        heads.close()
        bodies.close()
        for sock in idle:
            sock.close()


def _closed_by_server(sock: socket.socket) -> bytes:
    """Everything the server sends before it closes the connection (a client still sending
    may see the close as a reset, and lose the answer)."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def test_slow_and_idle_connections_are_closed_after_the_timeout(emulator: Emulator) -> None:
    """However their bytes trickle, slow requests are answered 408 and closed, and idle
    connections closed, once the timeout has passed: none is held for ever."""
    address = _address(emulator)
    heads = Trickle(address, b"GET /datastore HTTP/1.1\r\nX-Slow: ", 3)
    bodies = Trickle(address, b"POST /datastore HTTP/1.1\r\nContent-Length: 100\r\n\r\n", 3)
    idle = [socket.create_connection(address) for _ in range(3)]
    started = time.monotonic()
    try:
        for sock in heads.sockets + bodies.sockets:
            sock.settimeout(SERVER_TIMEOUT + 3)
            answer = _closed_by_server(sock)
            assert answer == b"" or answer.startswith(b"HTTP/1.1 408 "), answer
            if answer:
                assert b"X-Amzn-Errortype: RequestTimeoutException" in answer
                assert json.loads(answer.partition(b"\r\n\r\n")[2])["message"]
        for sock in idle:
            sock.settimeout(SERVER_TIMEOUT + 3)
            assert _closed_by_server(sock) == b""
        assert time.monotonic() - started < SERVER_TIMEOUT + 2
    finally:
        heads.close()
        bodies.close()
        for sock in idle:
            sock.close()


def test_a_body_sent_in_pieces_reaches_the_application(emulator: Emulator) -> None:
    body = b'{"datastoreName": ""}'
    prepared = requests.Request(
        "POST", f"{emulator.url}/datastore", data=body, headers={"Content-Type": "application/json"}
    ).prepare()
    prepared.headers["Host"] = urlsplit(emulator.url).netloc
    SigV4RequestsAuth(AwsCredentials("test", "test"), "us-east-1")(prepared)
    head = "".join(f"{name}: {value}\r\n" for name, value in prepared.headers.items())
    raw = f"POST /datastore HTTP/1.1\r\n{head}\r\n".encode() + body
    with socket.create_connection(_address(emulator), timeout=PROMPT) as sock:
        for index in range(0, len(raw), 40):
            sock.sendall(raw[index : index + 40])
            time.sleep(0.05)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert b"ValidationException" in answer


def test_expect_continue_is_answered_once_before_the_body(emulator: Emulator) -> None:
    with socket.create_connection(_address(emulator), timeout=PROMPT) as sock:
        sock.sendall(
            b"POST /_health HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
            b"Content-Length: 2\r\n\r\n"
        )
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"{}")
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 405 "), answer
    assert b"100 Continue" not in answer


def test_pipelined_requests_are_each_answered(emulator: Emulator) -> None:
    request = f"GET {HEALTH_PATH} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    with socket.create_connection(_address(emulator), timeout=PROMPT) as sock:
        sock.sendall(request * 3)
        received = b""
        while received.count(b'{"status": "ok"}') < 3:
            chunk = sock.recv(65536)
            assert chunk, received
            received += chunk
    assert received.count(b"HTTP/1.1 200 OK") == 3
