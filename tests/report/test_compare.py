from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.report.compare import compare


def _results(statuses: dict[str, str], **tool: str) -> dict[str, Any]:
    return {
        "schemaVersion": 1,
        "tool": {"ahi-contract": "0.1.0", **tool},
        "target": {},
        "checks": [
            {"id": check, "subject": "GetDatastore", "status": status, "message": f"{check} m"}
            for check, status in statuses.items()
        ],
    }


def test_regressions_fixes_new_removed_and_versions() -> None:
    old = _results({"A": "passed", "B": "failed", "C": "passed", "D": "deviation"}, botocore="1.0")
    new = _results({"A": "failed", "B": "passed", "E": "passed", "D": "error"}, botocore="1.1")
    diff = compare(old, new)
    assert [r["check"] for r in diff.regressions] == ["A [GetDatastore]", "D [GetDatastore]"]
    assert [f["check"] for f in diff.fixes] == ["B [GetDatastore]"]
    assert diff.new_checks == ["E [GetDatastore]"]
    assert diff.removed_checks == ["C [GetDatastore]"]
    assert diff.changed_versions == {"botocore": ("1.0", "1.1")}


def test_cli_exits_1_on_a_regression_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(_results({"A": "passed"})))
    bad.write_text(json.dumps(_results({"A": "failed"})))
    assert main(["diff", str(good), str(bad)]) == 1
    assert "REGRESSION A [GetDatastore]: passed -> failed" in capsys.readouterr().out
    assert main(["diff", str(bad), str(good), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["fixes"][0]["now"] == "passed"


def test_results_of_another_schema_version_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schemaVersion": 99, "checks": []}))
    assert main(["diff", str(other), str(other)]) == 2
