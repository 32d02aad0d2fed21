"""`ahi-contract proxy` as a user runs it: its own process, an application's requests
through it, a violation printed as it passes, and the reports written when it ends."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config

from harness.emulator.testing import RunningEmulator, running_emulator


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    with running_emulator() as running:
        yield running


def _start(emulator: RunningEmulator, *arguments: str) -> tuple[subprocess.Popen[str], str]:
    """The proxy's process and its URL, once it printed `ready`."""
    environment = {**os.environ, **emulator.environment}
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "proxy", "--upstream", emulator.url, *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line.strip())
        if lines[-1] == "ready":
            break
    else:
        raise AssertionError(f"no `ready`: {lines} {process.stderr.read()}")  # type: ignore[union-attr]
    url = lines[0].split()[1]
    assert f"export AWS_ENDPOINT_URL_MEDICAL_IMAGING={url}" in lines
    assert f"export HTTP_PROXY={url}" in lines
    return process, url


def _client(emulator: RunningEmulator, endpoint: str) -> object:
    return boto3.client(
        "medical-imaging",
        endpoint_url=endpoint,
        region_name=emulator.region,
        aws_access_key_id=emulator.access_key,
        aws_secret_access_key=emulator.secret_key,
        config=Config(inject_host_prefix=False),
    )


def test_a_violation_is_printed_as_it_passes_and_fails_the_session_on_request(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    har = tmp_path / "traffic.har"
    process, url = _start(
        emulator,
        "--requests",
        "3",
        "--fail-on",
        "violation",
        "--report-dir",
        str(tmp_path),
        "--record",
        str(har),
    )
    client = _client(emulator, url)
    client.list_datastores()  # type: ignore[attr-defined]
    client.create_datastore(datastoreName="through-the-proxy")  # type: ignore[attr-defined]
    unsigned = requests.get(f"{url}/datastore", timeout=10)
    assert unsigned.status_code == 403  # the emulator's answer, relayed
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, err
    assert "FAIL REQUEST-SIGV4 [ListDatastores] no Authorization header" in out
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["kind"] == "proxy" and results["target"]["requests"] == 3
    failed = {c["id"] for c in results["checks"] if c["status"] == "failed"}
    assert failed == {"REQUEST-SIGV4"}
    recorded = har.read_text()
    assert "through-the-proxy" in recorded
    assert "Signature=<redacted>" in recorded
    assert not re.search(r"Signature=[0-9a-f]{64}", recorded)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_ends_the_session_with_its_reports(
    emulator: RunningEmulator, tmp_path: Path, signum: int
) -> None:
    process, url = _start(emulator, "--report-dir", str(tmp_path))
    _client(emulator, url).list_datastores()  # type: ignore[attr-defined]
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "1 requests judged" in out
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["passed"] and "REQUEST-TOKEN-FILLED" in results["target"]["nothingToJudge"]
