"""A failed server run's reports, read as a CI user does: paste the replay, open the HAR.

One quick run against a running emulator with two faults, recorded with
`--record`; the emulator stays up so that the commands from the summary are
pasted into a shell against it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest

from harness.cli import build_parser
from harness.emulator import Emulator
from harness.report.record import RunRecord
from harness.report.writers import write_reports
from harness.server.options import option_values, server_options
from harness.server.runner import execute
from tests.emulator.conftest import start_emulator
from tests.report.har_schema import HAR_1_2
from tests.report.test_writers import JUNIT_SCHEMA

KEY = "AKIDHARRUNEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzRunSecret"
FAULTS = ("not-found-wrong-status", "unsigned-accepted")


@pytest.fixture(scope="module")
def failed_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Emulator, RunRecord, Path]]:
    emulator = start_emulator(faults=FAULTS, credentials=(f"{KEY}:{SECRET}",))
    directory = tmp_path_factory.mktemp("failed-run")
    words = [
        "server",
        "--endpoint",
        emulator.url,
        "--s3-endpoint",
        emulator.s3_url,
        "--access-key",
        KEY,
        "--secret-key",
        SECRET,
        "--seed",
        "7",
        "--record",
        str(directory / "exchanges.har"),
    ]
    arguments = build_parser(words).parse_args(words)
    try:
        record = execute(server_options(option_values(arguments)))
        write_reports(record, directory)
        yield emulator, record, directory
    finally:
        emulator.stop()


def _sections(summary: str, check: str) -> list[str]:
    return [
        part for part in re.split(r"^#### ", summary, flags=re.M) if part.startswith(f"`{check}`")
    ]


def _curls(section: str) -> list[tuple[int, str]]:
    """The curl commands of a section, each with the status the run saw it answered."""
    found = re.findall(r"answered HTTP (\d+)[^\n]*:\n\n```sh\n(curl [^\n]*)\n```", section)
    return [(int(status), curl) for status, curl in found]


def _shell(command: str, **environment: str) -> str:
    result = subprocess.run(
        ["bash", "-c", command],
        env={**os.environ, "AWS_SESSION_TOKEN": "", **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def test_the_summary_curl_pasted_into_a_shell_reproduces_the_failure(
    failed_run: tuple[Emulator, RunRecord, Path],
) -> None:
    emulator, record, directory = failed_run
    assert not record.passed and "NOT-FOUND-404" in record.failed_checks()
    summary = (directory / "summary.md").read_text()
    sections = _sections(summary, "NOT-FOUND-404")
    assert sections
    assert f"ahi-contract server --endpoint {emulator.url} " in sections[0]
    assert "--seed 7 --profile quick --check NOT-FOUND-404" in sections[0]
    assert len(sections) == 1  # one replay per failed check
    status, curl = next(
        (status, curl)
        for section in sections
        for status, curl in _curls(section)
        if "%" not in urlsplit(shlex.split(curl)[-1]).path  # see PATH_ENCODING_NOTE
    )
    assert status == 400  # the fault: 400 where 404 is due
    assert "--aws-sigv4 aws:amz:us-east-1:medical-imaging" in curl and SECRET not in curl

    answer = _shell(curl, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET)
    assert answer.startswith("HTTP/1.1 400"), answer[:300]
    assert "ResourceNotFoundException" in answer
    refused = _shell(curl, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY="not-the-secret")
    assert refused.startswith("HTTP/1.1 403")  # curl really signs with the environment's keys

    status, unsigned = _curls(_sections(summary, "AUTH-UNSIGNED")[0])[0]
    assert "--aws-sigv4" not in unsigned and "--user" not in unsigned
    assert status != 403 and _shell(unsigned).startswith(f"HTTP/1.1 {status}")  # not refused


def test_the_har_file_holds_every_exchange_with_no_secret(
    failed_run: tuple[Emulator, RunRecord, Path],
) -> None:
    _, record, directory = failed_run
    text = (directory / "exchanges.har").read_text()
    document: dict[str, Any] = json.loads(text)
    jsonschema.validate(document, HAR_1_2)
    entries = document["log"]["entries"]
    assert len(entries) == len(record.exchanges) > 200
    steps = {entry["_ahiStep"] for entry in entries}
    assert {"preflight", "set-up", "schemathesis", "AUTH-UNSIGNED", "tear-down"} <= steps
    assert {"state machine", "NOT-FOUND-404"} <= steps

    signatures = {
        match
        for exchange in record.exchanges
        for match in re.findall(
            r"Signature=([0-9a-f]{64})", exchange.request_headers.get("Authorization", "")
        )
    }
    assert len(signatures) > 100
    assert SECRET not in text and not [s for s in signatures if s in text]
    assert f"Credential={KEY}" not in text

    failure = next(o for o in record.merged() if o.check_id == "NOT-FOUND-404")
    cited = next(e.exchange for e in failure.evidence if e.exchange)
    index = record.exchange_entries()[cited]
    assert entries[index]["_ahiId"] == cited
    assert {"check": "NOT-FOUND-404", "subject": failure.subject, "status": "failed"} in entries[
        index
    ]["_ahiChecks"]
    html = (directory / "report.html").read_text()
    assert f"entry {index} of" in html and 'href="exchanges.har"' in html


def test_the_junit_file_is_valid_with_real_durations(
    failed_run: tuple[Emulator, RunRecord, Path],
) -> None:
    _, record, directory = failed_run
    text = (directory / "junit.xml").read_text()
    JUNIT_SCHEMA.validate(text)
    suite = ElementTree.fromstring(text)
    times = [float(case.get("time") or 0) for case in suite.iter("testcase")]
    assert sum(t > 0 for t in times) > 0.9 * len(times), sorted(times)[: len(times) // 2]
    assert sum(times) > 0.5 * float(suite.get("time") or 0)  # the run's time is accounted for
    assert suite.get("skipped") == "0" and int(suite.get("failures") or 0) == len(
        [o for o in record.merged() if o.status == "failed"]
    )
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["seed"] == "7" and properties["profile"] == "quick"
    assert properties["target.endpoint"] == record.target["endpoint"]
    assert properties["tool.schemathesis"] and properties["tool.modelApiVersion"]


def test_the_summary_replay_command_pasted_into_a_shell_reproduces_the_failure(
    failed_run: tuple[Emulator, RunRecord, Path], tmp_path: Path
) -> None:
    _, _, directory = failed_run
    section = _sections((directory / "summary.md").read_text(), "NOT-FOUND-404")[0]
    (command,) = re.findall(r"^(ahi-contract server [^\n]*)$", section, flags=re.M)
    assert "--check NOT-FOUND-404" in command
    result = subprocess.run(
        ["bash", "-c", f"{command} --report-dir {shlex.quote(str(tmp_path))} --quiet"],
        env={
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "AWS_ACCESS_KEY_ID": KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_SESSION_TOKEN": "",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "FAIL NOT-FOUND-404" in result.stdout
    replayed = json.loads((tmp_path / "results.json").read_text())
    assert {c["id"] for c in replayed["checks"]} <= {"NOT-FOUND-404", "SUITE-STEP"}
