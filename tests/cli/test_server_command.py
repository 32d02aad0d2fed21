from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from harness.cli import main
from harness.server.units import load_checks


def test_list_checks_shows_id_rule_and_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["server", "--list-checks"]) == 0
    output = capsys.readouterr().out
    for check in load_checks():
        assert check.id in output
        assert check.reference in output


@pytest.mark.slow
def test_server_against_the_embedded_emulator_writes_passing_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["server", "--seed", "21", "--report-dir", str(tmp_path), "--quiet"]) == 0
    output = capsys.readouterr().out
    assert ", 0 failed" in output
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["passed"] is True and results["seed"] == 21
    assert results["target"]["embedded"] is True
    suite = ElementTree.parse(tmp_path / "junit.xml").getroot()
    assert int(suite.get("tests", "0")) == len(results["checks"]) > 50
    assert suite.get("failures") == "0"


@pytest.mark.slow
def test_a_faulted_emulator_run_exits_1_and_names_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        ["server", "--seed", "21", "--report-dir", str(tmp_path), "--fault", "list-filter-ignored"]
    )
    assert status == 1
    output = capsys.readouterr().out
    assert "FAIL LIST-FILTER [ListDICOMImportJobs]" in output
    assert "source: service model" in output


def test_fault_with_an_endpoint_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["server", "--endpoint", "http://x", "--fault", "slow-responses"]) == 2


def test_plan_lists_what_a_run_creates_and_starts_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AWS_ENDPOINT_URL_MEDICAL_IMAGING", raising=False)
    words = ["server", "--plan", "--endpoint", "https://imaging.test", "--region", "eu-west-1"]
    assert main([*words, "--workers", "2"]) == 0
    output = capsys.readouterr().out
    assert output.startswith("target: https://imaging.test; region eu-west-1; 2 worker")
    assert "S3 bucket ahi-contract-<run id> in eu-west-1" in output
    assert "at the end every image set the run made is deleted" in output
    assert list(tmp_path.iterdir()) == []
