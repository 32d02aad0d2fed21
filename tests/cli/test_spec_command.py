from __future__ import annotations

from pathlib import Path

import pytest

from harness import __version__
from harness.cli import main


def test_committed_spec_is_what_build_writes(repo_root: Path) -> None:
    assert (
        main(["spec", "check", "--spec", str(repo_root / "specs/medical-imaging.openapi.yaml")])
        == 0
    )


def test_check_fails_on_a_hand_edited_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "spec.yaml"
    assert main(["spec", "build", "--output", str(spec)]) == 0
    assert main(["spec", "check", "--spec", str(spec)]) == 0
    spec.write_text(spec.read_text().replace("maxLength: 64", "maxLength: 65", 1))
    assert main(["spec", "check", "--spec", str(spec)]) == 1
    output = capsys.readouterr().out
    assert "+                  maxLength: 64" in output
    assert "spec build" in output


def test_check_fails_when_the_spec_is_missing(tmp_path: Path) -> None:
    assert main(["spec", "check", "--spec", str(tmp_path / "absent.yaml")]) == 1


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert __version__ in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "spec" in capsys.readouterr().out
