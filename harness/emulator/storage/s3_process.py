"""The embedded S3 in a process of its own, as a standalone emulator runs it.

moto's request handling is Python too: in the service's process it shares one core (the
GIL) with the import that reads every file from it and with the client that uploaded
them. In a process of its own it runs beside them. The process serves until its standard
input closes, so it ends with the emulator however the emulator ends, and it ignores
Ctrl-C, which the emulator handles for both.
"""

from __future__ import annotations

import select
import signal
import subprocess
import sys
from typing import IO

START_SECONDS = 30.0
_ENTRY = f"import sys; from {__name__} import main; main(sys.argv[1])"
"""Run by `python -c`: `-m` would import this module twice (the package imports it)."""


class S3ProcessError(RuntimeError):
    """The S3 process did not start."""


class S3Process:
    """moto's S3-protocol server on a loopback port, in a child process."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.url = ""
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        """Start the process; its URL once it listens."""
        self._process = subprocess.Popen(
            [sys.executable, "-c", _ENTRY, self.host],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        line = _first_line(self._process.stdout, START_SECONDS)
        if not line.startswith(b"http"):
            self.stop()
            raise S3ProcessError(f"the embedded S3 process did not start ({line!r})")
        self.url = line.decode().strip()
        return self.url

    def stop(self) -> None:
        """Close its input, which ends it; kill it if it has not ended in 10 s."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _first_line(stream: IO[bytes] | None, seconds: float) -> bytes:
    if stream is None:
        return b""
    ready, _, _ = select.select([stream], [], [], seconds)
    return stream.readline() if ready else b""


def main(host: str) -> None:
    """Serve moto's S3 on a free port of `host`, print its URL, serve until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from harness.emulator.storage.s3 import EmbeddedS3

    server = EmbeddedS3(host)
    print(server.start(), flush=True)
    try:
        sys.stdin.buffer.read()
    finally:
        server.stop()
