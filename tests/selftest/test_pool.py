"""Worker processes replaced every few tasks, results in order, failures passed on."""

from __future__ import annotations

import os

import pytest

from harness.selftest.pool import RecyclingPool


def process_of(task: int) -> tuple[int, int]:
    """The task and the process that ran it; task 3 fails."""
    if task == 3:
        raise ValueError("task 3 fails")
    return task, os.getpid()


def test_each_process_runs_at_most_its_share_and_results_keep_the_tasks_order() -> None:
    with RecyclingPool(process_of, workers=1, tasks_per_process=2) as pool:
        futures = pool.map([0, 1, 2, 4, 5, 6])
    results = [future.result() for future in futures]
    assert [task for task, _ in results] == [0, 1, 2, 4, 5, 6]
    processes = [pid for _, pid in results]
    assert processes[0] == processes[1] != processes[2] == processes[3] != processes[4]
    assert os.getpid() not in processes


def test_a_failing_task_fails_its_future_and_the_others_still_run() -> None:
    with RecyclingPool(process_of, workers=2, tasks_per_process=3) as pool:
        futures = pool.map([1, 2, 3, 4, 5])
    with pytest.raises(ValueError, match="task 3 fails"):
        futures[2].result()
    assert [futures[n].result()[0] for n in (0, 1, 3, 4)] == [1, 2, 4, 5]
