from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.emulator import faults


def test_selftest_catches_a_fault_and_a_bug_and_passes_the_clean_variants(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            "selftest",
            "--fault",
            "replay-new-job-id",
            "--bug",
            "namespace-kept",
            "--report-dir",
            str(tmp_path),
            "--quiet",
        ]
    )
    output = capsys.readouterr().out
    assert status == 0, output
    assert "caught   replay-new-job-id" in output and "caught   namespace-kept" in output
    assert "clean    unmodified emulator" in output
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["kind"] == "selftest" and results["passed"] is True


def test_a_fault_caught_by_another_check_than_declared_is_missed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = faults.Fault("list-filter-ignored", "filter ignored", "AUTH-UNSIGNED")
    monkeypatch.setitem(faults.FAULTS_BY_NAME, "list-filter-ignored", wrong)
    status = main(
        [
            "selftest",
            "--fault",
            "list-filter-ignored",
            "--bug",
            "no-token",
            "--report-dir",
            str(tmp_path),
            "--quiet",
        ]
    )
    assert status == 1
    assert "MISSED   list-filter-ignored" in capsys.readouterr().out


def test_unknown_names_are_refused() -> None:
    assert main(["selftest", "--fault", "nope"]) == 2
