from __future__ import annotations

import sys
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


def test_a_missing_spec_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["spec", "check", "--spec", str(tmp_path / "absent.yaml")])
    assert exited.value.code == 2


def test_model_path_names_the_model_spec_diff_reads(
    repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["spec", "model-path", "--python", sys.executable]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path.name in ("service-2.json.gz", "service-2.json")
    assert path.parent.parent.name == "medical-imaging"
    assert (
        main(["spec", "diff", str(repo_root / "specs/medical-imaging.openapi.yaml"), str(path)])
        == 0
    )
    assert "no changes" in capsys.readouterr().out


def test_model_path_says_when_a_python_has_no_botocore(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    python = tmp_path / "python"
    python.write_text("#!/bin/sh\necho 'no botocore in it' >&2\nexit 1\n")
    python.chmod(0o755)
    assert main(["spec", "model-path", "--python", str(python)]) == 2
    assert capsys.readouterr().err.strip() == "ahi-contract spec model-path: no botocore in it"


def test_every_command_help_states_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    for words in (["server"], ["sdk"], ["diff"], ["selftest"], ["spec", "diff"], []):
        with pytest.raises(SystemExit):
            main([*words, "--help"])
        text = capsys.readouterr().out
        assert "exit status:" in text and "2    bad input" in text, words
        assert "AHI_CONTRACT_TRACEBACK" in text


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert __version__ in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "spec" in capsys.readouterr().out
