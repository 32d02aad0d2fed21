"""A refused run (exit 2) leaves a report set that says so, in place of an earlier run's."""

from __future__ import annotations

import json
import socket
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from harness.cli import main
from harness.report.writers import REPORT_FILES, write_reports
from tests.report.test_writers import _record


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _earlier_run(directory: Path) -> None:
    write_reports(_record(), directory)
    assert "TEST-WRITER" in (directory / "report.html").read_text()


def _assert_refused(directory: Path, kind: str, reason: str) -> None:
    results = json.loads((directory / "results.json").read_text())
    assert results["kind"] == kind and results["status"] == "refused"
    assert reason in results["refused"] and results["checks"] == []
    suite = ElementTree.parse(directory / "junit.xml").getroot()
    assert suite.get("errors") == "1" and suite.get("failures") == "0"
    for name in REPORT_FILES:
        text = (directory / name).read_text()
        assert reason in text and "TEST-WRITER" not in text, name
    assert ": REFUSED" in (directory / "summary.md").read_text().splitlines()[0]


def test_a_server_run_against_an_unreachable_target_reports_the_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_MEDICAL_IMAGING", raising=False)
    _earlier_run(tmp_path)
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    words = ["server", "--endpoint", endpoint, "--access-key", "a", "--secret-key", "b"]
    assert main([*words, "--seed", "3", "--report-dir", str(tmp_path)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("ahi-contract server: cannot run: cannot connect to 127.0.0.1:")
    _assert_refused(tmp_path, "server", error.split(": ", 1)[1])
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["target"]["endpoint"] == endpoint and results["seed"] == 3


def test_a_server_run_with_a_bad_option_value_reports_the_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_MEDICAL_IMAGING", raising=False)
    _earlier_run(tmp_path)
    assert main(["server", "--fault", "no-such-fault", "--report-dir", str(tmp_path)]) == 2
    assert "no-such-fault" in capsys.readouterr().err
    _assert_refused(tmp_path, "server", "no-such-fault")


def test_a_plan_that_is_refused_leaves_the_reports_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AWS_ENDPOINT_URL_MEDICAL_IMAGING", raising=False)
    _earlier_run(tmp_path / "reports")
    assert main(["server", "--plan", "--fault", "no-such-fault"]) == 2
    assert "TEST-WRITER" in (tmp_path / "reports" / "report.html").read_text()


def test_an_sdk_run_with_an_unknown_scenario_reports_the_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _earlier_run(tmp_path)
    assert main(["sdk", "--scenario", "NOPE", "--report-dir", str(tmp_path)]) == 2
    assert "NOPE" in capsys.readouterr().err
    _assert_refused(tmp_path, "sdk", "NOPE")
    assert json.loads((tmp_path / "results.json").read_text())["target"] == {"adapter": "reference"}


def test_a_selftest_with_an_unknown_fault_reports_the_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _earlier_run(tmp_path)
    assert main(["selftest", "--fault", "no-such-fault", "--report-dir", str(tmp_path)]) == 2
    assert "no-such-fault" in capsys.readouterr().err
    _assert_refused(tmp_path, "selftest", "no-such-fault")


def test_a_report_dir_that_cannot_be_written_is_refused_with_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["sdk", "--scenario", "NOPE", "--report-dir", str(blocker / "r")]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_an_sdk_adapter_that_exits_before_its_greeting_reports_the_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _earlier_run(tmp_path)
    adapter = (
        f"{sys.executable} -c 'import sys; print(\"no greeting\", file=sys.stderr); sys.exit(3)'"
    )
    words = ["sdk", "--adapter", adapter, "--report-dir", str(tmp_path), "--quiet"]
    assert main(words) == 2
    assert "exited with status 3 before greeting" in capsys.readouterr().err
    _assert_refused(tmp_path, "sdk", "exited with status 3 before greeting: no greeting")
