from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.sdk.scenarios import CATALOGUE


def test_reference_passes_and_writes_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sdk", "--report-dir", str(tmp_path)]) == 0
    assert f"{len(CATALOGUE) + 1} passed, 0 failed" in capsys.readouterr().out
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["kind"] == "sdk" and results["passed"] is True


def test_a_faulty_adapter_exits_1_and_names_the_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter = f"{sys.executable} -m harness.sdk.reference_adapter --bug retries-conflicts"
    status = main(
        [
            "sdk",
            "--adapter",
            adapter,
            "--report-dir",
            str(tmp_path),
            "--scenario",
            "SDK-NO-RETRY-409",
            "--scenario",
            "SDK-RETRY-500",
        ]
    )
    assert status == 1
    output = capsys.readouterr().out
    assert "FAIL SDK-NO-RETRY-409" in output
    assert "2 requests sent, expected 1" in output


def test_list_and_unknown_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sdk", "--list-scenarios"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(CATALOGUE)
    assert main(["sdk", "--scenario", "NOPE"]) == 2
