"""A server run removes what it made, on a real emulator (real port, its moto S3): after
clean runs, interrupted runs and runs in a lent data store; `--keep` keeps it all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.emulator import Emulator, Limits
from harness.server.cleanup import remove_bucket
from tests.emulator.conftest import (
    active_datastore,
    imaging_client,
    import_files,
    sample_bytes,
    start_emulator,
    wait_until,
)

QUOTA = 10
STANDING = ("CREATING", "ACTIVE", "CREATE_FAILED")


@pytest.fixture()
def emulator() -> Iterator[Emulator]:
    running = start_emulator(
        limits=Limits(
            datastores=QUOTA, datastore_transition_seconds=0.3, job_start_delay_seconds=0.2
        )
    )
    yield running
    running.stop()


def _command(emulator: Emulator, reports: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "harness",
        "server",
        "--endpoint",
        emulator.url,
        "--s3-endpoint",
        emulator.s3_url,
        "--access-key",
        "test",
        "--secret-key",
        "test",
        "--region",
        "us-east-1",
        "--report-dir",
        str(reports),
        "--quiet",
        *extra,
    ]


def _environment() -> dict[str, str]:
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") and key != "AHI_CONTRACT_KEEP"
    }


def _server(emulator: Emulator, reports: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(emulator, reports, *extra),
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _standing(emulator: Emulator) -> list[tuple[str, str]]:
    """The data stores that still count: (name, status)."""
    summaries = imaging_client(emulator).list_datastores(maxResults=50)["datastoreSummaries"]
    return [
        (summary["datastoreName"], summary["datastoreStatus"])
        for summary in summaries
        if summary["datastoreStatus"] in STANDING
    ]


def _buckets(emulator: Emulator) -> list[str]:
    """The suite's buckets (moto's S3 state is shared by every emulator of this process)."""
    listed = emulator.s3.client().list_buckets()["Buckets"]
    return [bucket["Name"] for bucket in listed if bucket["Name"].startswith("ahi-contract-")]


@pytest.fixture(autouse=True)
def _no_suite_buckets_before(emulator: Emulator) -> None:
    """Buckets left by embedded runs earlier in this process (their state vanishes, so they
    are not cleaned up) would be taken for this test's."""
    s3 = emulator.s3.client()
    for name in _buckets(emulator):
        assert remove_bucket(s3, name) is None


def test_three_quick_runs_against_a_quota_of_ten_pass_and_leave_nothing(
    emulator: Emulator, tmp_path: Path
) -> None:
    for run in range(3):
        finished = _server(emulator, tmp_path / str(run))
        assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
        assert "left on the target" not in finished.stdout
        assert _standing(emulator) == [], f"after run {run + 1}"
        assert _buckets(emulator) == [], f"after run {run + 1}"


def test_keep_keeps_what_the_run_made_and_the_default_removes_it(
    emulator: Emulator, tmp_path: Path
) -> None:
    kept = _server(emulator, tmp_path / "kept", "--keep", "--check", "IMPORT-INSTANCES-FOUND")
    assert kept.returncode == 0, kept.stdout[-3000:] + kept.stderr[-3000:]
    standing = _standing(emulator)
    assert [name for name, _ in standing if name.startswith("ahi-contract-")], standing
    assert _buckets(emulator)

    before = {name for name, _ in standing}
    removed = _server(emulator, tmp_path / "removed", "--check", "IMPORT-INSTANCES-FOUND")
    assert removed.returncode == 0, removed.stdout[-3000:] + removed.stderr[-3000:]
    assert {name for name, _ in _standing(emulator)} == before
    assert len(_buckets(emulator)) == 1


def test_in_a_lent_data_store_only_the_image_sets_the_run_made_are_deleted(
    emulator: Emulator, tmp_path: Path
) -> None:
    imaging = imaging_client(emulator)
    lent = active_datastore(imaging)
    (theirs,) = {
        line["importResponse"]["imageSetId"]
        for line in import_files(
            imaging, emulator.s3.client(), lent, {"ct.dcm": sample_bytes("CT_small.dcm")}
        )
    }
    run = _server(emulator, tmp_path, "--datastore-id", lent, "--check", "IMPORT-INSTANCES-FOUND")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    found = imaging.search_image_sets(datastoreId=lent)["imageSetsMetadataSummaries"]
    assert [summary["imageSetId"] for summary in found] == [theirs]
    properties = imaging.get_datastore(datastoreId=lent)["datastoreProperties"]
    assert properties["datastoreStatus"] == "ACTIVE"


@pytest.mark.parametrize(
    ("stop", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)
def test_an_interrupted_run_removes_what_it_made(
    emulator: Emulator, tmp_path: Path, stop: signal.Signals, status: int
) -> None:
    process = subprocess.Popen(
        _command(emulator, tmp_path),
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(
            lambda: (
                process.poll() is not None
                or any(status == "ACTIVE" for _, status in _standing(emulator))
            ),
            60,
            0.2,
        )
        time.sleep(1.0)  # inside the schemathesis phase: its data stores are made then
        process.send_signal(stop)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    # A shell reports 128 + the signal's number either way: exit status 130 (143), or death
    # by the signal itself (Python ends so when a KeyboardInterrupt reaches its top level).
    assert process.returncode in (status, -stop), stdout[-2000:] + stderr[-2000:]
    assert f"stopped by {stop.name}" in stderr
    assert _standing(emulator) == []


def test_a_target_without_usable_s3_is_refused_and_left_as_it_was(
    emulator: Emulator, tmp_path: Path
) -> None:
    command = _command(emulator, tmp_path)
    at = command.index("--s3-endpoint")
    del command[at : at + 2]
    finished = subprocess.run(
        command,
        env={**_environment(), "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 2
    assert "cannot prepare S3 input at http://127.0.0.1:9" in finished.stderr
    assert _standing(emulator) == []


def test_a_target_outside_aws_without_an_s3_endpoint_is_refused_with_what_to_do(
    emulator: Emulator, tmp_path: Path
) -> None:
    command = _command(emulator, tmp_path)
    at = command.index("--s3-endpoint")
    del command[at : at + 2]
    finished = subprocess.run(
        command, env=_environment(), capture_output=True, text=True, timeout=120, check=False
    )
    assert finished.returncode == 2
    assert "--s3-endpoint" in finished.stderr and "AWS_ENDPOINT_URL_S3" in finished.stderr
    assert _standing(emulator) == []
