"""The embedded S3 in a process of its own: a real S3 endpoint, ended with its emulator."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from harness.emulator.storage.s3 import S3Settings
from harness.emulator.storage.s3_process import S3Process


def _gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = Path(f"/proc/{pid}/status")
        if not status.exists() or "State:\tZ" in status.read_text():
            return True
        time.sleep(0.05)
    return False


def test_it_serves_s3_and_stop_ends_the_process() -> None:
    s3_process = S3Process()
    url = s3_process.start()
    process = s3_process._process
    assert process is not None
    try:
        assert process.pid != os.getpid()
        s3 = S3Settings(url).client()
        s3.create_bucket(Bucket="apart")
        s3.put_object(Bucket="apart", Key="a/b.dcm", Body=b"DICM")
        assert s3.get_object(Bucket="apart", Key="a/b.dcm")["Body"].read() == b"DICM"
    finally:
        s3_process.stop()
    assert process.returncode is not None


def test_it_ends_when_the_process_that_started_it_is_killed() -> None:
    script = (
        "import os, signal, sys\n"
        "from harness.emulator.storage.s3_process import S3Process\n"
        "s3 = S3Process()\n"
        "s3.start()\n"
        "print(s3._process.pid, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    parent = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert parent.returncode == -9, parent.stderr
    assert _gone(int(parent.stdout.split()[0]))
