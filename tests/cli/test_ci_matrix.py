"""The project's own CI (.github/workflows/ci.yml): its job graph, and its step scripts run
as the workflow runs them (bash -eo pipefail, `$AHI` this checkout's command line).

The shard steps read their matrix values from `SHARD`, `SHARDS` and `ADAPTER`, and append
`AHI_SELFTEST_ARGS` / `AHI_SDK_ARGS` (unset in CI), so the tests run a small subset: one
fault and one bug for the self-test, the error scenarios for the reference client, each in
3 shards; the shards' reports are laid out as the download step lays out the artifacts and
the merge step joins them.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"
SELFTEST_SUBSET = ["--fault", "replay-new-job-id", "--bug", "namespace-kept"]
SDK_SUBSET = ["--scenario", "SDK-ERR-*"]
SHARDS = 3
ADAPTER = "reference"  # the matrix has the four bundled SDKs; the in-process client is quicker
RUNS = f"selftest sdk-{ADAPTER}"


def _workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return loaded


def _jobs() -> dict[str, dict[str, Any]]:
    jobs: dict[str, dict[str, Any]] = _workflow()["jobs"]
    return jobs


def _step(job: str, step_id: str) -> dict[str, Any]:
    return next(step for step in _jobs()[job]["steps"] if step.get("id") == step_id)


def _uses(job: str, action: str) -> list[dict[str, Any]]:
    return [step for step in _jobs()[job]["steps"] if step.get("uses", "").startswith(action)]


def _expand(template: str, **matrix: object) -> str:
    """`template` with each `${{ matrix.NAME }}` replaced by matrix[NAME]."""
    return re.sub(r"\$\{\{\s*matrix\.(\w+)\s*\}\}", lambda m: str(matrix[m[1]]), template)


def _start_step(job: str, step_id: str, cwd: Path, **env: str) -> subprocess.Popen[str]:
    """The step's script, started with $AHI this checkout's command line and `env` on top;
    its output goes to cwd/.stdout and cwd/.stderr."""
    wrapper = cwd / ".ahi"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -m harness "$@"\n')
    wrapper.chmod(0o755)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AHI_"))}
    environment.update(PYTHONPATH=str(REPO), AHI=str(wrapper))
    environment.update(
        GITHUB_STEP_SUMMARY=str(cwd / ".summary"), GITHUB_OUTPUT=str(cwd / ".output")
    )
    environment.update(env)
    with (cwd / ".stdout").open("w") as stdout, (cwd / ".stderr").open("w") as stderr:
        return subprocess.Popen(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", _step(job, step_id)["run"]],
            cwd=cwd,
            env=environment,
            stdout=stdout,
            stderr=stderr,
            text=True,
            start_new_session=True,
        )


def _finish(process: subprocess.Popen[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        process.wait(timeout=600)
    finally:
        _stop(process)
    stdout, stderr = (cwd / ".stdout").read_text(), (cwd / ".stderr").read_text()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _stop(process: subprocess.Popen[str]) -> None:
    """End a step that is still running, with whatever it started."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _run_step(job: str, step_id: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The step's script run to its end (`_start_step`)."""
    return _finish(_start_step(job, step_id, cwd, **env), cwd)


def _outputs(folder: Path) -> list[str]:
    return (folder / ".output").read_text().splitlines()


def _results(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _verdicts(results: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(check["id"], check["subject"], check["status"]) for check in results["checks"]}


# --- the job graph -----------------------------------------------------------------------


def test_the_workflow_runs_on_push_and_pull_request_in_bash() -> None:
    workflow = _workflow()
    raw: Any = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert set(raw[True]) == {"push", "pull_request"}  # YAML 1.1 reads a bare `on` as true
    assert set(_jobs()) == {"test", "selftest", "sdk", "merge"}
    assert workflow["defaults"]["run"]["shell"] == "bash"
    assert workflow["env"]["AHI"] == ".venv/bin/ahi-contract"


def test_the_test_job_runs_make_test_with_python_and_node() -> None:
    assert _uses("test", "actions/checkout") and _uses("test", "actions/setup-node")
    assert [s["with"]["python-version"] for s in _uses("test", "actions/setup-python")] == ["3.11"]
    assert _step("test", "test")["run"].strip() == "make test"


@pytest.mark.parametrize(
    ("job", "matrix", "shards"),
    [
        ("selftest", {"shard": [1, 2, 3, 4]}, 4),
        ("sdk", {"adapter": ["boto3", "aiobotocore", "js-v3", "js-v2"], "shard": [1, 2]}, 2),
    ],
)
def test_the_shard_jobs_split_by_their_matrix(
    job: str, matrix: dict[str, list[Any]], shards: int
) -> None:
    strategy = _jobs()[job]["strategy"]
    assert strategy["matrix"] == matrix and strategy["fail-fast"] is False
    ids = [step.get("id") for step in _jobs()[job]["steps"]]
    assert ids.index("setup") < ids.index(job)
    assert _step(job, "setup")["run"].strip() == "make setup"
    env = _step(job, job)["env"]
    assert env["SHARD"] == "${{ matrix.shard }}" and env["SHARDS"] == shards
    assert set(env) == {"SHARD", "SHARDS"} | ({"ADAPTER"} if "adapter" in matrix else set())
    assert env.get("ADAPTER", "${{ matrix.adapter }}") == "${{ matrix.adapter }}"


@pytest.mark.parametrize("job", ["selftest", "sdk"])
def test_a_shard_uploads_its_reports_even_when_it_failed_then_fails(job: str) -> None:
    steps = _jobs()[job]["steps"]
    (upload,) = _uses(job, "actions/upload-artifact")
    assert upload["if"] == "${{ !cancelled() }}"
    verdict = _step(job, "verdict")
    assert steps.index(_step(job, job)) < steps.index(upload) < steps.index(verdict)
    assert verdict["if"] == "${{ steps." + job + ".outputs.status != '0' }}"
    assert verdict["env"]["STATUS"] == "${{ steps." + job + ".outputs.status }}"


def test_ci_runs_every_trial_and_scenario() -> None:
    """The variables that narrow a run in these tests are set nowhere in the workflow."""
    workflow = _workflow()
    scopes = [workflow, *_jobs().values(), *(s for j in _jobs().values() for s in j["steps"])]
    for scope in scopes:
        assert not {"AHI_SELFTEST_ARGS", "AHI_SDK_ARGS"} & set(scope.get("env") or {})


def test_merge_waits_for_every_shard_and_runs_unless_cancelled() -> None:
    merge = _jobs()["merge"]
    assert set(merge["needs"]) == {"selftest", "sdk"}
    assert merge["if"] == "${{ !cancelled() }}"
    ids = [step.get("id") for step in merge["steps"]]
    steps = merge["steps"]
    (download,) = _uses("merge", "actions/download-artifact")
    (upload,) = _uses("merge", "actions/upload-artifact")
    assert steps.index(download) < ids.index("merge") < steps.index(upload)
    assert "name" not in download.get("with", {})  # every artifact, each in its own folder
    assert upload["if"] == "${{ !cancelled() }}" and upload["with"]["path"] == "reports/merged/"
    adapters = _jobs()["sdk"]["strategy"]["matrix"]["adapter"]
    runs = _step("merge", "merge")["env"]["RUNS"].split()
    assert runs == ["selftest", *(f"sdk-{adapter}" for adapter in adapters)]


@pytest.mark.parametrize(
    ("job", "matrix", "command"),
    [
        (
            "selftest",
            {"SHARD": "3", "SHARDS": "4"},
            ["selftest", "--shard", "3/4", "--quiet", "--report-dir", "reports/selftest-3"],
        ),
        (
            "sdk",
            {"ADAPTER": "js-v3", "SHARD": "2", "SHARDS": "2"},
            [
                *("sdk", "--adapter", "js-v3", "--shard", "2/2", "--quiet"),
                *("--report-dir", "reports/sdk-js-v3-2"),
            ],
        ),
    ],
)
def test_a_shard_step_runs_the_ci_command_and_appends_the_narrowing_arguments(
    job: str, matrix: dict[str, str], command: list[str], tmp_path: Path
) -> None:
    recorder = tmp_path / "ahi"
    recorder.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    recorder.chmod(0o755)
    finished = _run_step(job, job, tmp_path, AHI=str(recorder), **matrix)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.splitlines() == command
    assert _outputs(tmp_path) == ["status=0"]
    (tmp_path / "SDK-ERR-X").touch()  # a pattern is passed on, not expanded
    variable = "AHI_SELFTEST_ARGS" if job == "selftest" else "AHI_SDK_ARGS"
    narrowed = _run_step(
        job, job, tmp_path, AHI=str(recorder), **matrix, **{variable: " -x  SDK-ERR-* "}
    )
    assert narrowed.stdout.splitlines() == [*command, "-x", "SDK-ERR-*"]


# --- the shard steps, run ----------------------------------------------------------------


@dataclass(frozen=True)
class Shards:
    """The shard steps' reports, laid out as artifacts/NAME/ as the merge job downloads them,
    and the unsharded runs of the same subsets."""

    artifacts: Path
    whole_selftest: dict[str, Any]
    whole_selftest_printed: str
    whole_sdk: dict[str, Any]


def _artifact(job: str, folder: Path, artifacts: Path, **matrix: object) -> None:
    """Copy what the job's upload step uploads into the folder download-artifact makes."""
    (upload,) = _uses(job, "actions/upload-artifact")
    name = _expand(upload["with"]["name"], **matrix)
    shutil.copytree(folder / _expand(upload["with"]["path"], **matrix), artifacts / name)


def _whole(folder: Path, *arguments: str) -> None:
    """An unsharded run, reporting to folder/COMMAND, what it printed in folder/COMMAND.txt."""
    report_dir = folder / arguments[0]
    finished = subprocess.run(
        [sys.executable, "-m", "harness", *arguments, "--quiet", "--report-dir", str(report_dir)],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AHI_"))},
            "PYTHONPATH": str(REPO),
        },
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    (folder / f"{arguments[0]}.txt").write_text(finished.stdout)


def _run_the_shards(root: Path, artifacts: Path) -> None:
    """Every shard of the self-test step (at once, as the matrix runs them: their trials
    mostly wait) and of the sdk step, then the unsharded runs in root/whole."""
    selftests: dict[int, tuple[Path, subprocess.Popen[str]]] = {}
    for shard in range(1, SHARDS + 1):
        folder = root / f"selftest-{shard}"
        folder.mkdir()
        process = _start_step(
            "selftest",
            "selftest",
            folder,
            SHARD=str(shard),
            SHARDS=str(SHARDS),
            AHI_SELFTEST_ARGS=" ".join(SELFTEST_SUBSET),
        )
        selftests[shard] = (folder, process)
    try:
        for shard in range(1, SHARDS + 1):
            folder = root / f"sdk-{shard}"
            folder.mkdir()
            finished = _run_step(
                "sdk",
                "sdk",
                folder,
                ADAPTER=ADAPTER,
                SHARD=str(shard),
                SHARDS=str(SHARDS),
                AHI_SDK_ARGS=" ".join(SDK_SUBSET),
            )
            assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
            assert _outputs(folder) == ["status=0"], finished.stdout[-2000:] + finished.stderr
            _artifact("sdk", folder, artifacts, adapter=ADAPTER, shard=shard)
        for shard, (folder, process) in selftests.items():
            finished = _finish(process, folder)
            assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
            assert _outputs(folder) == ["status=0"], finished.stdout[-2000:] + finished.stderr
            _artifact("selftest", folder, artifacts, shard=shard)
    finally:
        for _, process in selftests.values():
            _stop(process)
    _whole(root / "whole", "selftest", *SELFTEST_SUBSET)
    _whole(root / "whole", "sdk", "--adapter", ADAPTER, *SDK_SUBSET)


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Shards:
    """The shards and the unsharded runs, once per pytest run: under pytest-xdist the first
    worker to get here runs them and the others wait for its reports."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root = shared / "ci-matrix"
    download = _uses("merge", "actions/download-artifact")[0]
    artifacts = root / "downloaded" / download["with"]["path"]
    with (shared / "ci-matrix.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "done").exists():
            shutil.rmtree(root, ignore_errors=True)
            artifacts.mkdir(parents=True)
            _run_the_shards(root, artifacts)
            (root / "done").touch()
    return Shards(
        artifacts=artifacts,
        whole_selftest=_results(root / "whole" / "selftest" / "results.json"),
        whole_selftest_printed=(root / "whole" / "selftest.txt").read_text(),
        whole_sdk=_results(root / "whole" / "sdk" / "results.json"),
    )


def _downloaded(shards: Shards, folder: Path) -> Path:
    """A fresh copy of the downloaded artifacts in `folder` (the merge step's checkout)."""
    shutil.copytree(shards.artifacts, folder / shards.artifacts.name)
    return folder / shards.artifacts.name


@pytest.mark.slow
def test_the_unsharded_selftest_catches_the_fault_and_the_bug_and_passes_the_clean_variants(
    shards: Shards,
) -> None:
    printed = shards.whole_selftest_printed
    assert "caught   replay-new-job-id" in printed and "caught   namespace-kept" in printed
    assert "clean    unmodified emulator" in printed
    assert "clean    unmodified reference client" in printed
    assert shards.whole_selftest["kind"] == "selftest" and shards.whole_selftest["passed"]
    assert 50 < shards.whole_selftest["target"]["workerPeakRssMiB"] < 4096


@pytest.mark.slow
def test_each_shard_step_runs_its_part_of_the_subset(shards: Shards) -> None:
    every = range(1, SHARDS + 1)
    for name in ("selftest-shard", f"sdk-{ADAPTER}-shard"):
        parts = [_results(shards.artifacts / f"{name}-{k}" / "results.json") for k in every]
        assert [part["shard"] for part in parts] == [{"index": k, "count": SHARDS} for k in every]
        assert all(part["status"] == "passed" for part in parts)
    selftest = [
        _verdicts(_results(shards.artifacts / f"selftest-shard-{k}" / "results.json"))
        for k in every
    ]
    assert all(selftest) and sum(map(len, selftest)) == len(set().union(*selftest))
    assert set().union(*selftest) == _verdicts(shards.whole_selftest)


@pytest.mark.slow
def test_the_merge_step_joins_the_shards_as_the_unsharded_runs(
    shards: Shards, tmp_path: Path
) -> None:
    _downloaded(shards, tmp_path)
    finished = _run_step("merge", "merge", tmp_path, RUNS=RUNS)
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    merged = {run: tmp_path / "reports" / "merged" / run for run in RUNS.split()}
    selftest = _results(merged["selftest"] / "results.json")
    sdk = _results(merged[f"sdk-{ADAPTER}"] / "results.json")
    assert selftest["status"] == "passed" and sdk["status"] == "passed"
    assert selftest["kind"] == "selftest" and sdk["kind"] == "sdk"
    assert selftest["shard"] is None and sdk["shard"] is None
    # the merged verdict equals an unsharded run's, fault for fault
    assert _verdicts(selftest) == _verdicts(shards.whole_selftest)
    assert len(selftest["checks"]) == len(shards.whole_selftest["checks"]) == 4
    subjects = {check["subject"] for check in selftest["checks"]}
    assert {"replay-new-job-id", "namespace-kept"} <= subjects
    assert _verdicts(sdk) == _verdicts(shards.whole_sdk)
    summary = (tmp_path / ".summary").read_text()
    parts = [(merged[run] / "summary.md").read_text() for run in RUNS.split()]
    assert summary == "".join(parts)
    assert parts[0].startswith("## ") and "PASSED" in parts[0] and "PASSED" in parts[1]
    for run in RUNS.split():
        assert {"junit.xml", "results.json", "summary.md", "report.html"} <= {
            path.name for path in merged[run].iterdir()
        }


@pytest.mark.slow
@pytest.mark.parametrize(
    ("missing", "unmerged", "merged"),
    [
        ("selftest-shard-2/results.json", "selftest", f"sdk-{ADAPTER}"),
        (f"sdk-{ADAPTER}-shard-1", f"sdk-{ADAPTER}", "selftest"),  # the job uploaded nothing
    ],
)
def test_a_missing_shard_fails_the_merge_step_after_the_other_merges(
    shards: Shards, tmp_path: Path, missing: str, unmerged: str, merged: str
) -> None:
    artifacts = _downloaded(shards, tmp_path)
    gone = artifacts / missing
    shutil.rmtree(gone) if gone.is_dir() else gone.unlink()
    finished = _run_step("merge", "merge", tmp_path, RUNS=RUNS)
    assert finished.returncode == 2, finished.stdout[-3000:] + finished.stderr[-3000:]
    assert "ahi-contract merge: missing shard(s)" in finished.stderr
    reports = tmp_path / "reports" / "merged"
    assert not (reports / unmerged).exists()
    assert _results(reports / merged / "results.json")["status"] == "passed"
    summary = (tmp_path / ".summary").read_text()
    assert f"## {unmerged}: the shards were not merged (exit 2)" in summary
    assert (reports / merged / "summary.md").read_text() in summary


@pytest.mark.slow
def test_a_failed_check_in_one_shard_fails_the_merge_step(shards: Shards, tmp_path: Path) -> None:
    artifacts = _downloaded(shards, tmp_path)
    path = artifacts / f"sdk-{ADAPTER}-shard-2" / "results.json"
    results = _results(path)
    results["checks"][-1]["status"] = "failed"
    results["status"], results["passed"] = "failed", False
    path.write_text(json.dumps(results))
    finished = _run_step("merge", "merge", tmp_path, RUNS=RUNS)
    assert finished.returncode == 1, finished.stdout[-3000:] + finished.stderr[-3000:]
    reports = tmp_path / "reports" / "merged"
    assert _results(reports / f"sdk-{ADAPTER}" / "results.json")["status"] == "failed"
    assert _results(reports / "selftest" / "results.json")["status"] == "passed"
    assert "FAILED" in (tmp_path / ".summary").read_text()


@pytest.mark.slow
def test_a_refused_shard_is_recorded_uploaded_and_fails_its_job_and_the_merge(
    shards: Shards, tmp_path: Path
) -> None:
    finished = _run_step(
        "sdk",
        "sdk",
        tmp_path,
        ADAPTER=ADAPTER,
        SHARD="1",
        SHARDS=str(SHARDS),
        AHI_SDK_ARGS="--scenario NO-SUCH-SCENARIO",
    )
    assert finished.returncode == 0, finished.stderr  # the upload still runs
    assert _outputs(tmp_path) == ["status=2"]
    verdict = _step("sdk", "verdict")
    failed = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", verdict["run"]],
        env={"STATUS": "2"},
        check=False,
    )
    assert failed.returncode == 2
    unrecorded = subprocess.run(["bash", "-c", verdict["run"]], env={}, check=False)
    assert unrecorded.returncode == 1  # a run step that recorded no status
    merge_job = tmp_path / "merge"
    merge_job.mkdir()
    artifacts = _downloaded(shards, merge_job)
    shutil.rmtree(artifacts / f"sdk-{ADAPTER}-shard-1")
    _artifact("sdk", tmp_path, artifacts, adapter=ADAPTER, shard=1)
    merged = _run_step("merge", "merge", merge_job, RUNS=RUNS)
    assert merged.returncode == 2
    assert "the sdk run was refused" in merged.stderr
    assert (merge_job / "reports" / "merged" / "selftest" / "results.json").exists()
