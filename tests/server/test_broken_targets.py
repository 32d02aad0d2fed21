"""A broken target is reported with a clear reason, quickly; the harness never hangs."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.aws.sigv4 import AwsCredentials
from harness.cli import main
from harness.server.options import ServerOptions
from harness.server.runner import TargetUnreachable, execute

CREDENTIALS = AwsCredentials("test", "test")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


class _Garbage(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        body = b"<html>definitely not JSON</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture()
def garbage_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_nothing_listening_fails_fast_with_a_reason() -> None:
    started = time.monotonic()
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(TargetUnreachable, match="cannot connect"):
        execute(ServerOptions(endpoint=endpoint, credentials=CREDENTIALS))
    assert time.monotonic() - started < 10


def test_a_server_that_never_answers_ends_within_the_request_timeout(silent_server: str) -> None:
    started = time.monotonic()
    with pytest.raises(TargetUnreachable, match="did not answer"):
        execute(ServerOptions(endpoint=silent_server, credentials=CREDENTIALS, request_timeout=2))
    assert time.monotonic() - started < 15


def test_a_server_that_answers_garbage_fails_the_rule_it_broke_at_set_up(
    garbage_server: str,
) -> None:
    options = ServerOptions(
        endpoint=garbage_server, credentials=CREDENTIALS, s3_endpoint="http://127.0.0.1:9"
    )
    record = execute(options)
    assert record.failed_checks() == ["RESPONSE-SCHEMA"]
    (outcome,) = [o for o in record.outcomes if o.check_id == "RESPONSE-SCHEMA"]
    assert outcome.subject == "CreateDatastore" and "no datastoreId" in outcome.message
    assert "definitely not JSON" in (outcome.evidence[0].response_body or "")


def test_a_status_outside_the_model_at_set_up_is_a_failed_check_not_a_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    arguments = ["server", "--fault", "datastore-status-outside-enum", "--quiet"]
    assert main([*arguments, "--report-dir", str(tmp_path)]) == 1
    assert time.monotonic() - started < 60
    output = capsys.readouterr().out
    assert "FAIL RESPONSE-SCHEMA [GetDatastore]" in output
    assert "'AVAILABLE' is not one of the model's" in output


def test_cli_exit_2_and_one_line_reason(capsys: pytest.CaptureFixture[str]) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    status = main(["server", "--endpoint", endpoint, "--access-key", "a", "--secret-key", "b"])
    assert status == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("ahi-contract server: cannot run: cannot connect to 127.0.0.1")
    assert len(error.splitlines()) == 1
