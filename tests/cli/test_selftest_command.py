from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from harness.emulator import faults


@pytest.mark.slow
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
