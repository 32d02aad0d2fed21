"""The CI recipe's own commands, run as the workflow runs them (bash -eo pipefail).

`$AHI` is this checkout's command line; where a step installs something, `python` is a
stand-in that records what it is asked to install, so no test needs the network.
"""

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

from harness import __version__
from harness.model import load_pinned_model
from harness.spec import document

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "contract.yml"
PINNED = "ahi-contract @ git+https://example.invalid/ahi-contract@0123456789abcdef"


def _workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return loaded


def _steps() -> dict[str, dict[str, Any]]:
    steps = _workflow()["jobs"]["contract"]["steps"]
    return {step["id"]: step for step in steps if "id" in step}


def _script(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def _run_step(step: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The step's script, with $AHI this checkout's command line and `env` on top."""
    wrapper = _script(cwd / ".ahi", f'#!/bin/sh\nexec {sys.executable} -m harness "$@"\n')
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AHI_"))}
    environment.update(PYTHONPATH=str(REPO), AHI=str(wrapper))
    environment.update(GITHUB_STEP_SUMMARY=str(cwd / ".summary"), **env)
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", _steps()[step]["run"]],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _summary(folder: Path) -> str:
    return (folder / ".summary").read_text()


def test_the_workflow_installs_then_runs_spec_diff_suite_and_results_diff_in_order() -> None:
    workflow = _workflow()
    ids = [step.get("id") for step in workflow["jobs"]["contract"]["steps"]]
    expected = ["install", "newest-botocore", "spec-diff", "suite", "last-good", "results-diff"]
    assert [i for i in ids if i] == expected
    assert workflow["jobs"]["contract"]["defaults"]["run"]["shell"] == "bash"


def test_a_copied_workflow_reads_no_file_of_this_repository() -> None:
    scripts = "\n".join(step["run"] for step in _steps().values())
    assert "specs/" not in scripts and "harness/" not in scripts


def test_every_variable_the_steps_read_is_set_from_a_repository_variable() -> None:
    environment = _workflow()["env"]
    for name in ("AHI_PACKAGE", "AHI_ENDPOINT", "AHI_IMPORT_ROLE_ARN", "AHI_DATASTORE_ID"):
        assert environment[name] == "${{ vars." + name + " }}"
        assert name in WORKFLOW.read_text().split("\nname: ")[0], f"{name} is not documented"


# --- install steps -----------------------------------------------------------------------


def _stand_in_python(folder: Path) -> dict[str, str]:
    """A PATH whose `python -m venv DIR` makes a DIR/bin/python that records its arguments."""
    recorder = _script(
        folder / ".fake" / "recorder", '#!/bin/sh\nprintf "%s\\n" "$@" > "$0.args"\n'
    )
    _script(
        folder / ".fake" / "bin" / "python",
        '#!/bin/sh\n[ "$1" = -m ] && [ "$2" = venv ] || exit 3\n'
        f'mkdir -p "$3/bin" && cp {recorder} "$3/bin/python"\n',
    )
    return {"PATH": f"{folder / '.fake' / 'bin'}{os.pathsep}{os.environ['PATH']}"}


def _installed(venv: Path) -> list[str]:
    return (venv / "bin" / "python.args").read_text().splitlines()


def test_install_takes_the_checkout_in_ahi_contracts_own_repository(tmp_path: Path) -> None:
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    finished = _run_step("install", tmp_path, **_stand_in_python(tmp_path))
    assert finished.returncode == 0, finished.stderr
    assert _installed(tmp_path / ".venv") == ["-m", "pip", "install", "--quiet", "."]
    assert __version__ in finished.stdout


def test_install_takes_ahi_package_anywhere_else(tmp_path: Path) -> None:
    finished = _run_step("install", tmp_path, AHI_PACKAGE=PINNED, **_stand_in_python(tmp_path))
    assert finished.returncode == 0, finished.stderr
    assert _installed(tmp_path / ".venv") == ["-m", "pip", "install", "--quiet", PINNED]


def test_install_without_ahi_package_elsewhere_says_to_set_it(tmp_path: Path) -> None:
    finished = _run_step("install", tmp_path, **_stand_in_python(tmp_path))
    assert finished.returncode == 1
    assert finished.stderr.startswith("::error::set the repository variable AHI_PACKAGE")
    assert not (tmp_path / ".venv").exists()


def test_the_newest_botocore_goes_where_newest_python_points(tmp_path: Path) -> None:
    finished = _run_step("newest-botocore", tmp_path, **_stand_in_python(tmp_path))
    assert finished.returncode == 0, finished.stderr
    assert _installed(tmp_path / ".newest-botocore") == [
        "-m",
        "pip",
        "install",
        "--quiet",
        "--upgrade",
        "botocore",
    ]
    newest = _workflow()["env"]["NEWEST_PYTHON"]
    assert newest == "${{ github.workspace }}/.newest-botocore/bin/python"


# --- spec-diff ---------------------------------------------------------------------------


def _newest_model(folder: Path, tighten: bool) -> str:
    """A stand-in for the newest botocore's python: `spec model-path` gets a model file."""
    model = json.loads(json.dumps(load_pinned_model().document))
    if tighten:
        assert model["shapes"]["ClientToken"]["max"] == 64
        model["shapes"]["ClientToken"]["max"] = 63
    path = folder / ".newest" / "service-2.json"
    path.parent.mkdir()
    path.write_text(json.dumps(model))
    return str(_script(folder / ".newest" / "python", f"#!/bin/sh\necho {path}\n"))


def test_the_spec_diff_step_checks_the_installed_spec_outside_a_checkout(tmp_path: Path) -> None:
    finished = _run_step("spec-diff", tmp_path, NEWEST_PYTHON=sys.executable)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert f"{document.PACKAGED_SPEC_PATH} is up to date with botocore" in finished.stdout
    assert "no changes" in finished.stdout
    assert "### Service model" in _summary(tmp_path) and "no changes" in _summary(tmp_path)


def test_the_spec_diff_step_fails_on_a_breaking_change_and_summarises_it(tmp_path: Path) -> None:
    newest = _newest_model(tmp_path, tighten=True)
    finished = _run_step("spec-diff", tmp_path, NEWEST_PYTHON=newest)
    assert finished.returncode == 1, finished.stdout[-1000:] + finished.stderr
    assert "BREAKING  bound-tightened        CreateDatastore request.clientToken" in finished.stdout
    assert "BREAKING" in _summary(tmp_path)


def test_the_spec_diff_step_passes_an_unchanged_newest_model(tmp_path: Path) -> None:
    newest = _newest_model(tmp_path, tighten=False)
    finished = _run_step("spec-diff", tmp_path, NEWEST_PYTHON=newest)
    assert finished.returncode == 0, finished.stdout[-1000:] + finished.stderr
    assert "no changes" in finished.stdout


def test_the_spec_diff_step_fails_on_a_drifted_committed_spec(tmp_path: Path) -> None:
    spec = tmp_path / "specs" / "medical-imaging.openapi.yaml"
    spec.parent.mkdir()
    spec.write_text(
        (REPO / "specs" / spec.name).read_text().replace("maxLength: 64", "maxLength: 65", 1)
    )
    finished = _run_step("spec-diff", tmp_path, NEWEST_PYTHON=sys.executable)
    assert finished.returncode == 1, finished.stdout[-1000:] + finished.stderr
    assert "specs/medical-imaging.openapi.yaml differs" in finished.stdout
    assert "no changes" in finished.stdout  # the model diff still ran
    assert "run it and commit" in _summary(tmp_path)


# --- suite -------------------------------------------------------------------------------


def test_the_suite_step_passes_the_variables_as_options(tmp_path: Path) -> None:
    recorder = _script(tmp_path / "ahi", '#!/bin/sh\nprintf "%s\\n" "$@"\n')
    variables = {
        "AHI_ENDPOINT": "https://medical-imaging.us-east-1.amazonaws.com",
        "AHI_IMPORT_ROLE_ARN": "arn:aws:iam::111122223333:role/Import Role",
        "AHI_DATASTORE_ID": "0123456789abcdef0123456789abcdef",
    }
    finished = _run_step("suite", tmp_path, AHI=str(recorder), **variables)
    assert finished.stdout.splitlines() == [
        *("server", "--quiet", "--report-dir", "reports/new"),
        *("--endpoint", variables["AHI_ENDPOINT"]),
        *("--role-arn", variables["AHI_IMPORT_ROLE_ARN"]),
        *("--datastore-id", variables["AHI_DATASTORE_ID"]),
    ]
    unset = _run_step("suite", tmp_path, AHI=str(recorder))
    assert unset.stdout.splitlines() == ["server", "--quiet", "--report-dir", "reports/new"]


@pytest.fixture(scope="module")
def suite_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The suite step, run once against the embedded emulator with an import role ARN."""
    folder = tmp_path_factory.mktemp("ci")
    role = "arn:aws:iam::111122223333:role/AhiContractCiImportRole"
    finished = _run_step("suite", folder, AHI_IMPORT_ROLE_ARN=role)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    return folder


# --- last good results and results-diff --------------------------------------------------


def _stand_in_gh(folder: Path, run_id: str) -> dict[str, str]:
    """A PATH whose `gh` lists `run_id` as the last good run and downloads results.json."""
    _script(
        folder / ".gh" / "gh",
        '#!/bin/sh\nprintf "%s\\n" "$@" >> "$0.args"\n'
        f'[ "$2" = list ] && echo "{run_id}"\n'
        '[ "$2" = download ] && mkdir -p "$7" && echo "{}" > "$7/results.json"\n'
        "exit 0\n",
    )
    return {"PATH": f"{folder / '.gh'}{os.pathsep}{os.environ['PATH']}"}


def test_last_good_downloads_the_artifact_the_workflow_uploads(tmp_path: Path) -> None:
    finished = _run_step("last-good", tmp_path, **_stand_in_gh(tmp_path, "4242"))
    assert finished.returncode == 0, finished.stderr
    calls = (tmp_path / ".gh" / "gh.args").read_text().splitlines()
    assert calls[:4] == ["run", "list", "--workflow", WORKFLOW.name]
    upload = next(
        step
        for step in _workflow()["jobs"]["contract"]["steps"]
        if step.get("uses", "").startswith("actions/upload-artifact")
    )
    name = upload["with"]["name"]
    assert calls[-7:] == ["run", "download", "4242", "--name", name, "--dir", "reports/last-good"]
    assert (tmp_path / "reports" / "last-good" / "results.json").exists()


def test_last_good_downloads_nothing_before_a_first_good_run(tmp_path: Path) -> None:
    finished = _run_step("last-good", tmp_path, **_stand_in_gh(tmp_path, ""))
    assert finished.returncode == 0, finished.stderr
    assert "download" not in (tmp_path / ".gh" / "gh.args").read_text()


def test_the_results_diff_step_passes_against_itself(suite_run: Path) -> None:
    last_good = suite_run / "reports" / "last-good"
    last_good.mkdir(exist_ok=True)
    shutil.copy(suite_run / "reports" / "new" / "results.json", last_good / "results.json")
    finished = _run_step("results-diff", suite_run)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "0 regressions" in finished.stdout
    assert "### Since the last good run" in _summary(suite_run)


def test_the_results_diff_step_fails_on_a_regression_and_summarises_it(suite_run: Path) -> None:
    new = json.loads((suite_run / "reports" / "new" / "results.json").read_text())
    good = json.loads(json.dumps(new))
    new["checks"][0]["status"] = "failed"
    (suite_run / "reports" / "new" / "results.json").write_text(json.dumps(new))
    (suite_run / "reports" / "last-good").mkdir(exist_ok=True)
    (suite_run / "reports" / "last-good" / "results.json").write_text(json.dumps(good))
    (suite_run / ".summary").unlink(missing_ok=True)
    finished = _run_step("results-diff", suite_run)
    assert finished.returncode == 1
    assert "REGRESSION" in finished.stdout
    assert "REGRESSION" in _summary(suite_run)
