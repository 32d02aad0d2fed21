"""The server suite under pytest, as a user runs it: one item per check and operation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _pytest(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "harness.pytest_plugin.test_conformance",
            "-q",
            "-p",
            "no:cacheprovider",
            "--ahi-seed",
            "9",
            *arguments,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )


@pytest.mark.slow
def test_pytest_passes_against_the_emulator_and_writes_reports(tmp_path: Path) -> None:
    result = _pytest(tmp_path, "--ahi-report-dir", str(tmp_path / "reports"))
    assert result.returncode == 0, result.stdout[-2000:]
    assert " passed" in result.stdout.splitlines()[-1]
    assert (tmp_path / "reports" / "junit.xml").exists()


@pytest.mark.slow
def test_pytest_fails_the_item_of_the_broken_rule(tmp_path: Path) -> None:
    result = _pytest(
        tmp_path, "--ahi-fault", "ended-before-submitted", "--ahi-check", "JOB-ENDED-AT"
    )
    assert result.returncode == 1
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    assert any("JOB-ENDED-AT[GetDICOMImportJob]" in line for line in failed), failed
