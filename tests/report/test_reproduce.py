"""A failed run against the embedded emulator, reproduced as a CI user does: from the terminal's
replay line, and by running the summary's "Reproduce" section as a script, twice in a row,
while something else holds the port the run's emulator had.

One run of the console script: NOT-FOUND-404 with the fault that answers 400 for 404.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.report.test_replay import _running

BIN = Path(sys.executable).parent
ARGUMENTS = ["--check", "NOT-FOUND-404", "--fault", "not-found-wrong-status", "--seed", "7"]
REPLAY = (
    "ahi-contract server --region us-east-1 --fault not-found-wrong-status --seed 7 "
    "--profile quick --check NOT-FOUND-404"
)


@dataclass
class Run:
    directory: Path
    stdout: str
    endpoint: str


def _environment() -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("AWS_ENDPOINT_URL_MEDICAL_IMAGING", "AWS_ENDPOINT_URL_S3")
    }
    environment["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    environment["AWS_REGION"] = environment["AWS_DEFAULT_REGION"] = "us-east-1"
    return environment


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    directory = tmp_path_factory.mktemp("embedded-run")
    result = subprocess.run(
        [BIN / "ahi-contract", "server", *ARGUMENTS, "--report-dir", directory, "--quiet"],
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=directory,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    endpoint = json.loads((directory / "results.json").read_text())["target"]["endpoint"]
    return Run(directory, result.stdout, endpoint)


@pytest.fixture
def port_held(failed_run: Run) -> Iterator[None]:
    """The port the run's emulator had, held by another program (if it is free now)."""
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", urlsplit(failed_run.endpoint).port or 0))
        holder.listen()
    except OSError:
        pass  # someone holds it already
    try:
        yield
    finally:
        holder.close()


def test_the_terminal_prints_the_replay_of_each_failed_check(failed_run: Run) -> None:
    lines = failed_run.stdout.splitlines()
    assert lines.count(f"     replay: {REPLAY}") == 1
    assert lines.index(f"     replay: {REPLAY}") > max(
        index for index, line in enumerate(lines) if line.startswith("FAIL NOT-FOUND-404 ")
    )
    machine = lines.index(
        "FAIL NOT-FOUND-404 [state machine] " + lines[0].split("] ", 1)[1]
    )  # its request names the run's data store and a job id
    assert lines[machine + 3].startswith("     evidence only, it names resources the run made")


def test_the_terminal_replay_line_reproduces_the_failure(failed_run: Run, tmp_path: Path) -> None:
    (line,) = [line for line in failed_run.stdout.splitlines() if "replay: " in line]
    result = subprocess.run(
        ["bash", "-c", line.split("replay: ", 1)[1] + " --quiet"],
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "FAIL NOT-FOUND-404 [GetDatastore]" in result.stdout
    assert "got HTTP 400" in result.stdout


def _reproduce_script(summary: str) -> str:
    section = summary.split("\n### Reproduce\n", 1)[1]
    return "\n".join(re.findall(r"^```sh\n(.*?)\n```$", section, flags=re.M | re.S))


@pytest.mark.slow
def test_the_summarys_reproduce_section_runs_twice_while_the_runs_port_is_taken(
    failed_run: Run, port_held: None, tmp_path: Path
) -> None:
    script = _reproduce_script((failed_run.directory / "summary.md").read_text())
    assert "--port 0" in script and failed_run.endpoint not in script
    assert script.count("curl ") == 3 and script.count('"$AHI_ENDPOINT"/datastore/') == 3
    for attempt in (1, 2):
        started = time.monotonic()
        result = subprocess.run(
            ["bash", "-c", script + '\necho "pid=$AHI_EMULATOR"'],
            env=_environment(),
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
        assert time.monotonic() - started < 120
        output = result.stdout
        assert result.returncode == 0, (attempt, result.stderr[-2000:])
        assert "is in use" not in result.stderr + output
        assert "FAIL NOT-FOUND-404 [GetDatastore]" in output  # the check's replay
        answers = re.findall(r"HTTP/1.1 (\d+)", output)
        assert answers == ["400", "400", "400"], (attempt, output[-3000:])  # the fault, again
        assert output.lower().count("x-amzn-errortype: resourcenotfoundexception") == 3
        pid = int(output.rsplit("pid=", 1)[1].split()[0])
        for _ in range(100):
            if not _running(pid):
                break
            time.sleep(0.1)
        assert not _running(pid), attempt  # the emulator was stopped


def test_the_html_marks_the_request_naming_the_runs_data_store_as_evidence(
    failed_run: Run,
) -> None:
    html = (failed_run.directory / "report.html").read_text()
    failures = re.findall(r'<details open class="failure failed.*?</details>', html, flags=re.S)
    assert len(failures) == 17
    (machine,) = [part for part in failures if "[state machine]" in part]
    label = re.search(r'<p class="evidence-label">(.*?)</p>', machine)
    assert label is not None
    assert label.group(1).startswith("evidence: this request names resources the run made (data")
    assert label.group(1).endswith(f"replay the check with: {REPLAY}")
    assert failed_run.endpoint in machine  # shown as it was sent
    assert '<pre class="curl">' not in machine  # nothing in it to send again
    standalone = re.findall(r'<pre class="curl">(.*?)</pre>', html, flags=re.S)
    evidence = re.findall(r'<pre class="curl evidence-only">(.*?)</pre>', html, flags=re.S)
    assert len(standalone) >= 16 and len(evidence) >= 1
    run_id = re.compile(r"datastore(?:/|%2F)(?!0{32})[0-9a-z]{32}")
    assert all("&#34;$AHI_ENDPOINT&#34;" in curl and not run_id.search(curl) for curl in standalone)
    assert all(failed_run.endpoint in curl and run_id.search(curl) for curl in evidence)
    assert 'id="setup"' in html and "--port 0" in html
