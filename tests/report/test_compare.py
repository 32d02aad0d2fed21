from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.report.compare import ResultsError, compare, format_text, load_results


def _results(statuses: dict[str, str], kind: str = "server", **tool: str) -> dict[str, Any]:
    return {
        "schemaVersion": 1,
        "kind": kind,
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
    other.write_text(json.dumps({"schemaVersion": 99, "kind": "server", "checks": []}))
    assert main(["diff", str(other), str(other)]) == 2
    with pytest.raises(ResultsError, match="schemaVersion 99, expected 1"):
        load_results(other)


@pytest.mark.parametrize(
    ("old_kind", "new_kind"), [("server", "sdk"), ("sdk", "selftest"), ("selftest", "server")]
)
def test_runs_of_different_kinds_do_not_compare(old_kind: str, new_kind: str) -> None:
    with pytest.raises(ResultsError, match=f"a {old_kind} run with a {new_kind} run"):
        compare(_results({"A": "passed"}, old_kind), _results({"A": "passed"}, new_kind))


def test_a_malformed_check_entry_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    results = _results({"A": "passed"})
    results["checks"][0]["status"] = "great"
    path.write_text(json.dumps(results))
    with pytest.raises(ResultsError, match="checks"):
        load_results(path)


def test_vanished_checks_fail_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(_results({"A": "passed", "B": "passed"})))
    new.write_text(json.dumps(_results({"A": "passed"})))
    assert main(["diff", str(old), str(new)]) == 1
    output = capsys.readouterr().out
    assert "VANISHED   B [GetDatastore]" in output
    assert "0 regressions, 0 fixes, 0 new, 1 vanished checks" in output
    assert main(["diff", str(old), str(new), "--allow-vanished"]) == 0
    assert "VANISHED   B [GetDatastore]" in capsys.readouterr().out
    assert main(["diff", str(new), str(old)]) == 0  # a new check is not a failure


def test_text_lists_every_kind_of_change() -> None:
    old = _results({"A": "passed", "B": "failed", "C": "passed"}, botocore="1.0")
    new = _results({"A": "error", "B": "passed", "D": "passed"}, botocore="1.1")
    lines = format_text(compare(old, new)).splitlines()
    assert lines[0].startswith("REGRESSION A [GetDatastore]: passed -> error")
    assert "fixed      B [GetDatastore]: failed -> passed" in lines
    assert "new        D [GetDatastore]" in lines
    assert "VANISHED   C [GetDatastore]" in lines
    assert "version    botocore: 1.0 -> 1.1" in lines


def test_a_refused_run_is_not_compared_as_if_every_check_vanished(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness.report.writers import write_refusal

    good = tmp_path / "good.json"
    good.write_text(json.dumps(_results({"A": "passed"})))
    write_refusal(tmp_path / "refused", "server", "cannot run: cannot connect to h:1")
    refused = tmp_path / "refused" / "results.json"
    with pytest.raises(ResultsError, match="the server run was refused, nothing was checked"):
        load_results(refused)
    assert main(["diff", str(good), str(refused)]) == 2
    error = capsys.readouterr().err
    assert "refused" in error and "cannot connect to h:1" in error and "VANISHED" not in error
