"""Worker processes that are replaced after a few tasks each, so none grows without end.

A server run does not give all its memory back to the system; a worker that ran many
grew past a gigabyte. `ProcessPoolExecutor(max_tasks_per_child=...)` would replace
workers, but on Python 3.11 it can hang once a worker has been replaced, so each of
`workers` threads here keeps a one-process executor of its own and starts a new one
after `tasks_per_process` tasks. New processes fork from a server process that has
already imported the task's module (`forkserver` with preload), so a fresh worker costs
a fork, not a second of imports.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Generic, TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")


class RecyclingPool(Generic[Task, Result]):
    """Runs `function(task)` for each task in `workers` processes at a time, each
    process replaced after `tasks_per_process` tasks; results come back as futures."""

    def __init__(
        self, function: Callable[[Task], Result], workers: int, tasks_per_process: int
    ) -> None:
        self._function = function
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload([function.__module__])
        self._tasks_per_process = max(1, tasks_per_process)
        self._waiting: deque[tuple[Task, Future[Result]]] = deque()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._work, name=f"trial-worker-{n}", daemon=True)
            for n in range(max(1, workers))
        ]

    def __enter__(self) -> RecyclingPool[Task, Result]:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc_info: object) -> None:
        """Wait until every task has ended and every process is gone; leaving on an error
        or an interrupt, the tasks not yet started are cancelled first."""
        if kind is not None:
            with self._lock:
                while self._waiting:
                    self._waiting.popleft()[1].cancel()
        for thread in self._threads:
            if thread.is_alive():
                thread.join()

    def map(self, tasks: list[Task]) -> list[Future[Result]]:
        """Start every task; the futures are in the order of `tasks`."""
        futures: list[Future[Result]] = []
        for task in tasks:
            future: Future[Result] = Future()
            self._waiting.append((task, future))
            futures.append(future)
        for thread in self._threads:
            thread.start()
        return futures

    def _next(self) -> tuple[Task, Future[Result]] | None:
        with self._lock:
            return self._waiting.popleft() if self._waiting else None

    def _work(self) -> None:
        process: ProcessPoolExecutor | None = None
        ran = 0
        try:
            while (taken := self._next()) is not None:
                if process is None or ran == self._tasks_per_process:
                    if process is not None:
                        process.shutdown()
                    process, ran = ProcessPoolExecutor(max_workers=1, mp_context=self._context), 0
                task, future = taken
                ran += 1
                try:
                    future.set_result(process.submit(self._function, task).result())
                except BaseException as error:  # the task's failure, or its process's death
                    future.set_exception(error)
                    process.shutdown(wait=False, cancel_futures=True)
                    process = None
        finally:
            if process is not None:
                process.shutdown()
