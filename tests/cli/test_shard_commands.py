"""`--shard K/N` and `merge` end to end: the parts of a run, merged, give the unsharded
run's verdict, check for check (the self-test's is in test_ci_matrix.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow
STEP = "SUITE-STEP"


def _start(folder: Path, *words: str) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AHI_"))}
    return subprocess.Popen(
        [sys.executable, "-m", "harness", *words, "--report-dir", str(folder)],
        env={**environment, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(process: subprocess.Popen[str], expected: int = 0) -> str:
    output, _ = process.communicate(timeout=600)
    assert process.returncode == expected, output[-3000:]
    return output


def _verdicts(folder: Path) -> set[tuple[str, str, str]]:
    results: dict[str, Any] = json.loads((folder / "results.json").read_text())
    return {(check["id"], check["subject"], check["status"]) for check in results["checks"]}


def _sharded_and_whole(tmp_path: Path, count: int, *words: str) -> tuple[Path, Path]:
    """Every shard of the run and the unsharded run, side by side; then `merge`."""
    parts = [
        _start(tmp_path / f"part-{index}", *words, "--quiet", "--shard", f"{index}/{count}")
        for index in range(1, count + 1)
    ]
    whole = _start(tmp_path / "whole", *words, "--quiet")
    for process in [*parts, whole]:
        _finish(process)
    results = [str(tmp_path / f"part-{index}" / "results.json") for index in range(1, count + 1)]
    merged = tmp_path / "merged"
    output = _finish(_start(merged, "merge", *results))
    assert f"{count} shards of a " in output
    return merged, tmp_path / "whole"


def test_the_reference_sdk_in_four_shards_merges_to_the_unsharded_run(tmp_path: Path) -> None:
    merged, whole = _sharded_and_whole(tmp_path, 4, "sdk", "--adapter", "reference")
    assert _verdicts(merged) == _verdicts(whole)
    run_level = {"SDK-ADAPTER", "SDK-RETRY-BEHAVIOUR", "SDK-ERROR-TYPES", "SDK-KNOWN-DEVIATIONS"}
    scenarios = [
        {check for check, _, _ in _verdicts(tmp_path / f"part-{index}")} - run_level
        for index in range(1, 5)
    ]
    assert all(scenarios) and sum(map(len, scenarios)) == len(set().union(*scenarios))


def test_a_server_run_in_three_shards_merges_to_the_unsharded_run(tmp_path: Path) -> None:
    merged, whole = _sharded_and_whole(tmp_path, 3, "server", "--seed", "4")
    assert _verdicts(merged) == _verdicts(whole)
    steps = [
        {subject for check, subject, _ in _verdicts(tmp_path / f"part-{index}") if check == STEP}
        for index in range(1, 4)
    ]
    assert all(steps) and sum(map(len, steps)) == len(set().union(*steps))
