"""The HTTP layer: the health endpoint beside the API's routes, the access log, the port."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterable
from typing import Any

import pytest
import requests

from harness.emulator import Emulator
from harness.emulator.http.server import HEALTH_PATH, HealthAndLog, HttpServer
from harness.model.operations import operations


def test_no_api_route_can_collide_with_the_health_path() -> None:
    """Every operation's URI starts with a lower-case resource name, never with `/_`."""
    table = operations()
    assert len(table) == 18
    for operation in table.values():
        first = operation.uri.split("?")[0].split("/")[1]
        assert not first.startswith("_"), operation.uri
        assert not HEALTH_PATH.startswith(f"/{first}"), operation.uri


def test_health_answers_without_signing_and_the_api_stays_signed(emulator: Emulator) -> None:
    health = requests.get(f"{emulator.url}{HEALTH_PATH}", timeout=10)
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert requests.head(f"{emulator.url}{HEALTH_PATH}", timeout=10).status_code == 200
    refused = requests.post(f"{emulator.url}{HEALTH_PATH}", timeout=10)
    assert refused.status_code == 405
    assert refused.json()["message"]
    assert requests.get(f"{emulator.url}/datastore", timeout=10).status_code == 403


def _app(status: str, headers: list[tuple[str, str]]) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        environ["wsgi.input"].read()
        start_response(status, headers)
        return [b"{}"]

    return app


def _environ(method: str, path: str, body: bytes = b"") -> dict[str, Any]:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }


def test_the_access_log_writes_one_line_per_request() -> None:
    log = io.StringIO()
    app = HealthAndLog(
        _app("404 Not Found", [("X-Amzn-Errortype", "ResourceNotFoundException")]), log
    )
    statuses: list[str] = []
    app(_environ("GET", "/datastore/x"), lambda status, headers: statuses.append(status))
    app(_environ("GET", HEALTH_PATH), lambda status, headers: statuses.append(status))
    first, second = log.getvalue().splitlines()
    assert first.split()[:4] == ["GET", "/datastore/x", "404", "ResourceNotFoundException"]
    assert second.split()[:4] == ["GET", HEALTH_PATH, "200", "-"]
    assert statuses == ["404 Not Found", "200 OK"]


def test_without_an_access_log_nothing_is_written() -> None:
    app = HealthAndLog(_app("200 OK", []))
    assert list(app(_environ("POST", "/datastore", b"{}"), lambda *args: None)) == [b"{}"]


def test_a_taken_port_is_an_os_error_and_the_url_names_the_bound_port() -> None:
    server = HttpServer("127.0.0.1", 0, _app("200 OK", []))
    url = server.start()
    try:
        port = int(url.rsplit(":", 1)[1])
        assert port > 0
        with pytest.raises(OSError):
            HttpServer("127.0.0.1", port, _app("200 OK", [])).start()
        assert requests.get(url, timeout=10).status_code == 200
    finally:
        server.stop()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
