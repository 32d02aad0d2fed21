"""Where an import's files are prepared: the worker processes give what the file threads
give, a dying process costs only the file that killed it, and small jobs stay on threads."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from harness.emulator.imports import preparation
from harness.emulator.imports.dicom_acceptance import Rejected
from harness.emulator.imports.input_files import PreparedInstance, prepare
from harness.emulator.imports.preparation import ProcessPreparation, default_processes
from tests.emulator.conftest import sample_bytes

DATASTORE = "d" * 32
CRASH = "crash.dcm"


def _crash_on_key(
    data: bytes, key: str, datastore_id: str, storage_format: str | None, accept_broken: bool
) -> PreparedInstance | Rejected:
    """What a worker process runs in these tests: the real preparation, except that the
    file named CRASH ends the process at once, as a crashing codec would."""
    if key == CRASH:
        os._exit(70)
    return preparation.prepare(
        io.BytesIO(data), key, datastore_id, storage_format, accept_broken=accept_broken
    )


@pytest.fixture()
def processes() -> Iterator[ProcessPreparation]:
    pool = ProcessPreparation(1, memory_bytes=1 << 20, min_files=1)
    yield pool
    pool.shutdown()


def _in_thread(name: str, data: bytes) -> PreparedInstance | Rejected:
    return prepare(io.BytesIO(data), name, DATASTORE, "HTJ2K")


@pytest.mark.parametrize(
    ("cores", "expected"), [(1, 0), (2, 1), (3, 2), (5, 4), (16, 4)], ids=lambda v: str(v)
)
def test_a_standalone_emulator_leaves_a_core_to_its_own_process(
    monkeypatch: pytest.MonkeyPatch, cores: int, expected: int
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(cores)), raising=False)
    assert default_processes() == expected


def test_only_jobs_of_at_least_min_files_use_the_processes() -> None:
    pool = ProcessPreparation(2, memory_bytes=1 << 20, min_files=64)
    assert pool.for_job(63) is prepare
    assert pool.for_job(64) == pool.prepare
    assert ProcessPreparation(0, memory_bytes=1 << 20, min_files=1).for_job(1000) is prepare


@pytest.mark.parametrize(
    "name", ["CT_small.dcm", "JPEG2000.dcm", "MR_small_RLE.dcm", "SC_rgb_jpeg_gdcm.dcm"]
)
def test_a_worker_process_prepares_a_file_as_the_thread_does(
    processes: ProcessPreparation, name: str
) -> None:
    data = sample_bytes(name)
    prepared = processes.prepare(io.BytesIO(data), name, DATASTORE, "HTJ2K")
    assert isinstance(prepared, PreparedInstance)
    assert prepared == _in_thread(name, data)
    assert prepared.frames and prepared.digest


def test_refusals_and_broken_files_are_the_same_from_a_worker_process(
    processes: ProcessPreparation,
) -> None:
    truncated = sample_bytes("CT_small.dcm")[:2000]
    refused = processes.prepare(io.BytesIO(truncated), "t.dcm", DATASTORE, "HTJ2K")
    assert isinstance(refused, Rejected)
    assert refused == _in_thread("t.dcm", truncated)
    broken = b"not dicom"
    kept = processes.prepare(io.BytesIO(broken), "b.dcm", DATASTORE, None, accept_broken=True)
    assert isinstance(kept, PreparedInstance)
    assert kept == prepare(io.BytesIO(broken), "b.dcm", DATASTORE, None, accept_broken=True)


def test_a_dying_worker_process_costs_only_the_file_that_killed_it(
    processes: ProcessPreparation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(preparation, "_prepare_bytes", _crash_on_key)
    data = sample_bytes("CT_small.dcm")
    keys = ["a.dcm", "b.dcm", CRASH, "c.dcm", "d.dcm", "e.dcm"]
    with ThreadPoolExecutor(len(keys)) as threads:
        results = dict(
            zip(
                keys,
                threads.map(
                    lambda key: processes.prepare(io.BytesIO(data), key, DATASTORE, None), keys
                ),
                strict=True,
            )
        )
    crashed = results.pop(CRASH)
    assert isinstance(crashed, Rejected)
    assert "the process decoding it stopped" in crashed.message
    for key, result in results.items():
        assert result == prepare(io.BytesIO(data), key, DATASTORE, None), key
    after = processes.prepare(io.BytesIO(data), "later.dcm", DATASTORE, None)
    assert isinstance(after, PreparedInstance)


def test_a_file_larger_than_memory_is_prepared_on_the_calling_thread() -> None:
    pool = ProcessPreparation(1, memory_bytes=1000, min_files=1)
    data = sample_bytes("CT_small.dcm")
    try:
        prepared = pool.prepare(io.BytesIO(data), "big.dcm", DATASTORE, None)
        assert prepared == prepare(io.BytesIO(data), "big.dcm", DATASTORE, None)
        assert pool._pool is None  # no process was started for it
    finally:
        pool.shutdown()


def test_shutdown_ends_the_worker_processes(processes: ProcessPreparation) -> None:
    data = sample_bytes("CT_small.dcm")
    processes.prepare(io.BytesIO(data), "a.dcm", DATASTORE, None)
    assert processes._pool is not None
    pids = list(processes._pool._processes)  # type: ignore[attr-defined]
    assert pids
    processes.shutdown()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)
    with pytest.raises(RuntimeError, match="shut down"):
        processes.prepare(io.BytesIO(data), "b.dcm", DATASTORE, None)
