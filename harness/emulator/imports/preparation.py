"""Where an import prepares its files: on its file threads, or on worker processes.

Preparing a file (parse, accept, encode frames, describe: `input_files.prepare`) is
Python work that holds the GIL, so on the file threads of one process an import goes at
most as fast as one core prepares, and the service's requests wait behind it. With
`import_processes` set (`ahi-contract emulator` sets it from the machine's cores), a job
of at least `min_files` files has its files prepared on a pool of worker processes,
started in the background with the service and kept; the service's own process is left
the S3 reads, the grouping and the store. `benchmarks/emulator_bench.py` measures both ways.

Worker processes start from a `forkserver` (or by `spawn` where there is none), never by
forking the threaded service. Like every multiprocessing start method but `fork`, they
import the main module of the program that started the emulator: a script that starts an
emulator with processes must guard its entry point with `if __name__ == "__main__":`.

A worker process that dies (a codec that crashes) breaks the pool: each file the pool
held is prepared again alone, in a process of its own, and a file whose own process dies
too is rejected; a new pool takes the files that follow. A file larger than
`memory_bytes` is prepared on the calling thread, its bytes never copied to a process.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import IO, Protocol

from harness.emulator.imports.dicom_acceptance import Rejected
from harness.emulator.imports.input_files import PreparedInstance, prepare

PROCESS_MIN_FILES = 64
"""Smaller jobs prepare on threads: a pool's start would cost them more than it saves."""
MAX_AUTO_PROCESSES = 4


class Preparation(Protocol):
    """Prepares one file whose bytes `source` holds (`input_files.prepare`'s signature)."""

    def __call__(
        self,
        source: IO[bytes],
        key: str,
        datastore_id: str,
        lossless_storage_format: str | None,
        *,
        accept_broken: bool = False,
    ) -> PreparedInstance | Rejected: ...


def default_processes() -> int:
    """The worker processes a standalone emulator uses: one a core but the one its own
    process and S3 need, up to MAX_AUTO_PROCESSES; none on a single core, where they could
    only compete (on 2 cores, one process imports as fast as two, with less memory)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(0, min((cores or 1) - 1, MAX_AUTO_PROCESSES))


class ProcessPreparation:
    """A lazily started pool of `processes` worker processes that prepare files."""

    def __init__(
        self, processes: int, memory_bytes: int, min_files: int = PROCESS_MIN_FILES
    ) -> None:
        self.processes = processes
        self.min_files = min_files
        self.memory_bytes = memory_bytes
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False

    def for_job(self, files: int) -> Preparation:
        """How a job of at least `files` files prepares them."""
        if self.processes < 1 or files < self.min_files:
            return prepare
        return self.prepare

    def prepare(
        self,
        source: IO[bytes],
        key: str,
        datastore_id: str,
        lossless_storage_format: str | None,
        *,
        accept_broken: bool = False,
    ) -> PreparedInstance | Rejected:
        """`input_files.prepare` on a worker process (a large file on this thread)."""
        source.seek(0, io.SEEK_END)
        size = source.tell()
        source.seek(0)
        if size > self.memory_bytes:
            return prepare(
                source, key, datastore_id, lossless_storage_format, accept_broken=accept_broken
            )
        arguments = (source.read(), key, datastore_id, lossless_storage_format, accept_broken)
        pool = self._current()
        try:
            return pool.submit(_prepare_bytes, *arguments).result()
        except BrokenProcessPool:
            self._replace(pool)
        with self._new_pool(1) as alone:
            try:
                return alone.submit(_prepare_bytes, *arguments).result()
            except BrokenProcessPool:
                return Rejected(
                    "DICOM pixel data cannot be stored: the process decoding it stopped"
                )

    def warm(self) -> None:
        """Start the worker processes in the background, so the first large job does not
        wait for them (a process imports the DICOM and codec libraries once)."""
        if self.processes < 1:
            return

        def start() -> None:
            try:
                pool = self._current()
                for started in [pool.submit(_ready) for _ in range(self.processes)]:
                    started.result()
            except Exception:  # shut down meanwhile, or a process did not start: jobs retry
                return

        threading.Thread(target=start, name="import-processes-start", daemon=True).start()

    def shutdown(self) -> None:
        """Stop the worker processes (after the jobs using them have stopped)."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise RuntimeError("the import's worker processes are shut down")
            if self._pool is None:
                self._pool = self._new_pool(self.processes)
            return self._pool

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)

    def _new_pool(self, processes: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=processes, mp_context=_context(), initializer=_worker_started
        )


def _context() -> multiprocessing.context.BaseContext:
    """The forkserver, which imports this module (and the DICOM and codec libraries) once
    before it forks each worker; asked only when processes start, since its preload list
    is the whole program's."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def _worker_started() -> None:
    """Ctrl-C reaches the whole process group: the service, not its workers, handles it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _ready() -> None:
    """A task that only makes its worker process start."""


def _prepare_bytes(
    data: bytes,
    key: str,
    datastore_id: str,
    lossless_storage_format: str | None,
    accept_broken: bool,
) -> PreparedInstance | Rejected:
    return prepare(
        io.BytesIO(data), key, datastore_id, lossless_storage_format, accept_broken=accept_broken
    )
