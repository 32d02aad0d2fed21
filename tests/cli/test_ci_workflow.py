"""The CI recipe's own commands, run as the workflow runs them (bash -eo pipefail)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "contract.yml"


def _steps() -> dict[str, dict[str, Any]]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = workflow["jobs"]["contract"]["steps"]
    return {step["id"]: step for step in steps if "id" in step}


def _run_step(step: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The step's script, with $AHI this checkout's command line and $NEWEST_PYTHON given."""
    wrapper = cwd / ".ahi"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -m harness "$@"\n')
    wrapper.chmod(0o755)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environment.update(
        PYTHONPATH=str(REPO),
        AHI=str(wrapper),
        GITHUB_STEP_SUMMARY=str(cwd / ".summary"),
        AHI_ENDPOINT="",
        **env,
    )
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", _steps()[step]["run"]],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_workflow_runs_spec_diff_suite_and_results_diff_in_order() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    ids = [step.get("id") for step in workflow["jobs"]["contract"]["steps"]]
    assert [i for i in ids if i] == ["spec-diff", "suite", "results-diff"]
    assert workflow["jobs"]["contract"]["defaults"]["run"]["shell"] == "bash"
    assert "upgrade botocore" in json.dumps(workflow)


def test_the_spec_diff_step_passes_against_the_pinned_model(tmp_path: Path) -> None:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    finished = _run_step("spec-diff", tmp_path, NEWEST_PYTHON=sys.executable)
    assert finished.returncode == 0, finished.stderr
    assert "no changes" in finished.stdout
    assert "### Service model" in (tmp_path / ".summary").read_text()


def test_the_spec_diff_step_fails_on_a_breaking_change(tmp_path: Path) -> None:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    spec = tmp_path / "specs" / "medical-imaging.openapi.yaml"
    spec.write_text(spec.read_text().replace("maxLength: 64", "maxLength: 65", 1))
    finished = _run_step("spec-diff", tmp_path, NEWEST_PYTHON=sys.executable)
    assert finished.returncode == 1, finished.stdout[-1000:] + finished.stderr


@pytest.fixture(scope="module")
def suite_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The suite step, run once against the embedded emulator."""
    folder = tmp_path_factory.mktemp("ci")
    finished = _run_step("suite", folder)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    return folder


def test_the_results_diff_step_passes_against_itself(suite_run: Path) -> None:
    last_good = suite_run / "reports" / "last-good"
    last_good.mkdir(exist_ok=True)
    shutil.copy(suite_run / "reports" / "new" / "results.json", last_good / "results.json")
    finished = _run_step("results-diff", suite_run)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "0 regressions" in finished.stdout


def test_the_results_diff_step_fails_on_a_regression(suite_run: Path) -> None:
    new = json.loads((suite_run / "reports" / "new" / "results.json").read_text())
    good = json.loads(json.dumps(new))
    new["checks"][0]["status"] = "failed"
    (suite_run / "reports" / "new" / "results.json").write_text(json.dumps(new))
    (suite_run / "reports" / "last-good").mkdir(exist_ok=True)
    (suite_run / "reports" / "last-good" / "results.json").write_text(json.dumps(good))
    finished = _run_step("results-diff", suite_run)
    assert finished.returncode == 1
    assert "REGRESSION" in finished.stdout
