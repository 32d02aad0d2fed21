"""Where the committed spec lives, and which file `spec check` reads in and out of a checkout."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.cli import main
from harness.spec import document

CHECKOUT_SPEC = Path("specs") / "medical-imaging.openapi.yaml"


def test_the_checkouts_spec_is_a_symlink_to_the_packaged_one(repo_root: Path) -> None:
    entry = repo_root / CHECKOUT_SPEC
    assert entry.is_symlink()
    assert entry.resolve() == document.PACKAGED_SPEC_PATH.resolve()
    assert document.PACKAGED_SPEC_PATH.parent == repo_root / "harness" / "spec"


def test_check_in_a_checkout_reads_its_specs_file(
    repo_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo_root)
    assert main(["spec", "check"]) == 0
    output = capsys.readouterr().out
    assert output.startswith(f"{CHECKOUT_SPEC} is up to date with botocore ")


def test_check_outside_a_checkout_reads_the_packaged_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["spec", "check"]) == 0
    output = capsys.readouterr().out
    assert output.startswith(f"{document.PACKAGED_SPEC_PATH} is up to date with botocore ")


def test_a_checkouts_edited_spec_wins_over_the_packaged_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "specs").mkdir()
    text = document.PACKAGED_SPEC_PATH.read_text().replace("maxLength: 64", "maxLength: 65", 1)
    (tmp_path / CHECKOUT_SPEC).write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main(["spec", "check"]) == 1
    output = capsys.readouterr().out
    assert f"--- {CHECKOUT_SPEC}" in output
    assert output.rstrip().endswith(
        f"{CHECKOUT_SPEC} differs from what `ahi-contract spec build` writes: run it and commit."
    )


def test_a_stale_packaged_spec_says_botocore_is_not_the_pinned_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    packaged = tmp_path / "site-packages" / "harness" / "spec" / document.SPEC_NAME
    packaged.parent.mkdir(parents=True)
    shutil.copy(document.PACKAGED_SPEC_PATH, packaged)
    packaged.write_text(packaged.read_text().replace("maxLength: 64", "maxLength: 65", 1))
    monkeypatch.setattr(document, "PACKAGED_SPEC_PATH", packaged)
    monkeypatch.chdir(tmp_path)
    assert main(["spec", "check"]) == 1
    output = capsys.readouterr().out
    assert f"{packaged}, the spec installed with ahi-contract, differs" in output
    assert "reinstall ahi-contract" in output


def test_a_missing_packaged_spec_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(document, "PACKAGED_SPEC_PATH", tmp_path / "absent.yaml")
    monkeypatch.chdir(tmp_path)
    assert main(["spec", "check"]) == 2
    error = capsys.readouterr().err
    assert error.strip() == (
        f"ahi-contract spec check: {tmp_path / 'absent.yaml'}: no such file "
        "(the package was installed without it)"
    )
