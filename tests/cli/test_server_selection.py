from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.checks import REGISTRY, Check, Source
from harness.cli import main
from harness.server.units import load_checks


def test_list_checks_lists_the_server_suite_only_as_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    other_suite = Check("SDK-ONLY", "errors", "a rule", Source.HARNESS, "another suite's check")
    monkeypatch.setitem(REGISTRY, other_suite.id, other_suite)
    assert main(["server", "--list-checks", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {entry["id"] for entry in listed} == {check.id for check in load_checks()}
    assert {"id", "family", "rule", "source", "reference"} <= set(listed[0])


def test_list_checks_shows_what_check_and_exclude_check_select(
    capsys: pytest.CaptureFixture[str],
) -> None:
    arguments = ["server", "--list-checks", "--format", "json", "--check", "IDEMPOTENT-*"]
    assert main([*arguments, "--exclude-check", "IDEMPOTENT-CONCURRENT"]) == 0
    listed = [entry["id"] for entry in json.loads(capsys.readouterr().out)]
    assert listed == ["IDEMPOTENT-CONFLICT", "IDEMPOTENT-REPLAY"]


def test_a_pattern_that_matches_no_check_is_exit_2_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["server", "--check", "SERACH-*", "--report-dir", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error.strip().count("\n") == 0 and "SERACH-*" in error
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["status"] == "refused" and "SERACH-*" in results["refused"]


def test_a_selected_run_reports_only_the_selected_checks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    arguments = ["server", "--check", "search", "--max-examples", "1", "--quiet"]
    assert main([*arguments, "--report-dir", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    assert {entry["id"] for entry in results["checks"]} == {
        "SEARCH-FILTER",
        "SEARCH-SCOPE",
        "SEARCH-SORT",
        "SUITE-STEP",
    }
