"""A server run removes what it made, on a real emulator (real port, its moto S3): after
clean runs, interrupted runs and runs in a lent data store; `--keep` keeps it all."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.aws.sigv4 import AwsCredentials
from harness.emulator import Emulator, Limits
from harness.report.record import RunRecord
from harness.server import cleanup, environment, runner
from harness.server.cleanup import Sweeper, remove_bucket
from harness.server.context import PROFILES, SuiteContext, Target
from harness.server.environment import OUTPUT_PREFIX, tear_down
from harness.server.probe import Exchange, Probe
from harness.server.run_model import Made
from harness.server.selection import Selection
from tests.emulator.conftest import (
    ROLE,
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
    # Buckets left by embedded runs earlier in this process (their state vanishes, so they
    # are not cleaned up) would be taken for this test's.
    s3 = running.s3.client()
    for name in _buckets(running):
        assert remove_bucket(s3, name) is None
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


@pytest.mark.slow
def test_quick_runs_one_after_another_against_a_quota_of_ten_pass_and_leave_nothing(
    emulator: Emulator, tmp_path: Path
) -> None:
    for run in range(2):
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


@pytest.mark.parametrize(
    "workers",
    [
        (),
        # Both workers import the known set into the lent store, so their results name the
        # same image sets: those are deleted once both have ended, and neither fails for it.
        ("--workers", "2", "--check", "JOB-COMPLETES", "--check", "JOB-OUTPUT-URI"),
    ],
    ids=["one process", "two workers"],
)
def test_in_a_lent_data_store_only_the_image_sets_the_run_made_are_deleted(
    emulator: Emulator, tmp_path: Path, workers: tuple[str, ...]
) -> None:
    imaging = imaging_client(emulator)
    lent = active_datastore(imaging)
    (theirs,) = {
        line["importResponse"]["imageSetId"]
        for line in import_files(
            imaging, emulator.s3.client(), lent, {"ct.dcm": sample_bytes("CT_small.dcm")}
        )
    }
    time.sleep(1.0)  # older than the run's first import by more than the clock margin
    run = _server(
        emulator, tmp_path, "--datastore-id", lent, "--check", "IMPORT-INSTANCES-FOUND", *workers
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    def listed() -> dict[str, Any]:
        found = imaging.search_image_sets(datastoreId=lent)["imageSetsMetadataSummaries"]
        return {summary["imageSetId"]: summary.get("createdAt") for summary in found}

    # A deletion ends after the service's write delay: the last ones, the parent's after a
    # run over two workers, may still be listed just after the run.
    with contextlib.suppress(AssertionError):
        wait_until(lambda: list(listed()) == [theirs], timeout=10)
    left = listed()
    assert list(left) == [theirs], f"left: {left}\n" + run.stdout[-3000:] + run.stderr[-3000:]
    properties = imaging.get_datastore(datastoreId=lent)["datastoreProperties"]
    assert properties["datastoreStatus"] == "ACTIVE"


@pytest.mark.slow
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


@pytest.mark.slow
def test_ctrl_c_at_the_terminal_stops_every_worker_and_each_removes_what_it_made(
    emulator: Emulator, tmp_path: Path
) -> None:
    process = subprocess.Popen(
        _command(emulator, tmp_path, "--workers", "2", "--profile", "full"),
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a process group of its own, as a shell's job is
    )
    try:
        wait_until(
            lambda: (
                process.poll() is not None
                or sum(status == "ACTIVE" for _, status in _standing(emulator)) >= 2
            ),
            90,
            0.2,
        )
        time.sleep(1.0)
        os.killpg(process.pid, signal.SIGINT)  # the terminal signals the whole group
        signalled = time.monotonic()
        stdout, stderr = process.communicate(timeout=180)
        stopped_after = time.monotonic() - signalled
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode in (130, -signal.SIGINT), stdout[-2000:] + stderr[-2000:]
    assert "stopped by SIGINT" in stderr
    assert stopped_after < 60, f"the full profile ran on for {stopped_after:.0f} s"
    assert "BrokenProcessPool" not in stderr and "left on the target" not in stderr, stderr
    assert _standing(emulator) == []
    assert _buckets(emulator) == []


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


def _context_at(endpoint: str, s3: str | None = None, lent: str | None = None) -> SuiteContext:
    credentials = AwsCredentials("test", "test")
    target = Target(endpoint, "us-east-1", credentials, s3, credentials, ROLE, lent)
    probe = Probe(endpoint, credentials, "us-east-1", 10.0)
    record = RunRecord(kind="server", target={}, tool={}, seed=0, profile="quick")
    return SuiteContext(target, probe, record, PROFILES["quick"], 0)


def _image_sets(imaging: Any, datastore_id: str) -> set[str]:
    found = imaging.search_image_sets(datastoreId=datastore_id)["imageSetsMetadataSummaries"]
    return {summary["imageSetId"] for summary in found}


class _Interrupted:
    """An S3 client whose CreateBucket is cut off after S3 made the bucket."""

    def __init__(self, s3: Any) -> None:
        self.s3 = s3

    def create_bucket(self, **arguments: Any) -> None:
        self.s3.create_bucket(**arguments)
        raise KeyboardInterrupt


def test_what_set_up_made_before_its_answers_were_lost_is_removed(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AHI_CONTRACT_KEEP", raising=False)
    imaging, s3 = imaging_client(emulator), emulator.s3.client()
    context = _context_at(emulator.url, emulator.s3_url)
    context.run_id = uuid.uuid4().hex[:12]
    name = environment.run_name(context.run_id)
    # The CreateDatastore answer never came back (an interrupt or a timeout), so the run
    # knows no id; someone else's data store of another name stays.
    context.creating = (name, uuid.uuid4().hex)
    made = imaging.create_datastore(datastoreName=name, clientToken=context.creating[1])[
        "datastoreId"
    ]
    theirs = imaging.create_datastore(datastoreName=f"{name}-not-the-run")["datastoreId"]
    wait_until(lambda: {made, theirs} <= {i for i, _ in _statuses(imaging, "ACTIVE")}, 10, 0.1)
    context.s3 = _Interrupted(s3)
    with pytest.raises(KeyboardInterrupt):
        environment._create_run_bucket(context, context.s3, name)
    context.s3 = s3

    assert tear_down(context) == []
    statuses = dict(_statuses(imaging))
    assert statuses[made] in ("DELETING", "DELETED")
    assert statuses[theirs] == "ACTIVE"
    assert _named(imaging, name) == [made]  # sent again with its token: nothing new made
    assert name not in _buckets(emulator)
    imaging.delete_datastore(datastoreId=theirs)


def test_a_create_whose_answer_was_lost_in_flight_is_found_by_its_token(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request may reach the target after tear-down has listed (it was in flight when
    the interrupt came): sent again with the same clientToken, it names the data store
    however late it was made; here it never arrived, so the replay makes it, and
    tear-down removes it."""
    monkeypatch.delenv("AHI_CONTRACT_KEEP", raising=False)
    imaging = imaging_client(emulator)
    context = _context_at(emulator.url, emulator.s3_url)
    context.run_id = uuid.uuid4().hex[:12]
    name = environment.run_name(context.run_id)
    context.creating = (name, uuid.uuid4().hex)

    assert tear_down(context) == []
    (made,) = _named(imaging, name)
    assert dict(_statuses(imaging))[made] in ("DELETING", "DELETED")


def _named(imaging: Any, name: str) -> list[str]:
    summaries = imaging.list_datastores(maxResults=50)["datastoreSummaries"]
    return [s["datastoreId"] for s in summaries if s["datastoreName"] == name]


def _statuses(imaging: Any, *wanted: str) -> list[tuple[str, str]]:
    summaries = imaging.list_datastores(maxResults=50)["datastoreSummaries"]
    return [
        (summary["datastoreId"], summary["datastoreStatus"])
        for summary in summaries
        if not wanted or summary["datastoreStatus"] in wanted
    ]


def test_tear_down_in_a_lent_data_store_deletes_only_what_the_runs_imports_and_copies_created(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    imaging, s3 = imaging_client(emulator), emulator.s3.client()
    lent = active_datastore(imaging)
    (theirs,) = {
        line["importResponse"]["imageSetId"]
        for line in import_files(imaging, s3, lent, {"ct.dcm": sample_bytes("CT_small.dcm")})
    }
    time.sleep(1.5)  # older than the run by more than the clock margin
    context = _context_at(emulator.url, emulator.s3_url, lent)
    assert context.call("SearchImageSets", datastoreId=lent).status == 200  # seen, not made

    # Set-up stopped before its bucket: the run imported nothing, so nothing is deleted.
    assert tear_down(context) == []
    assert _image_sets(imaging, lent) == {theirs}

    # Someone else's import during the run; the run's copy; the run's own import (results in
    # its bucket), which adds a version to their image set and makes one, still running when
    # tear-down begins.
    others = {
        line["importResponse"]["imageSetId"]
        for line in import_files(
            imaging, s3, lent, {"rgb.dcm": sample_bytes("SC_rgb_small_odd.dcm")}
        )
    }
    version = imaging.get_image_set(datastoreId=lent, imageSetId=theirs)["versionId"]
    copy = context.call(
        "CopyImageSet",
        datastoreId=lent,
        sourceImageSetId=theirs,
        copyImageSetInformation={"sourceImageSet": {"latestVersionId": version}},
    ).json()
    assert copy["destinationImageSetProperties"]["imageSetId"] not in others | {theirs}
    context.s3, context.bucket = s3, f"ahi-contract-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=context.bucket)
    for key, name in (("ct.dcm", "CT_small.dcm"), ("mr.dcm", "MR_small.dcm")):
        s3.put_object(Bucket=context.bucket, Key=f"input/{key}", Body=sample_bytes(name))
    started = context.call(
        "StartDICOMImportJob",
        datastoreId=lent,
        dataAccessRoleArn=ROLE,
        clientToken=str(uuid.uuid4()),
        inputS3Uri=f"s3://{context.bucket}/input/",
        outputS3Uri=f"s3://{context.bucket}/{OUTPUT_PREFIX}",
    )
    assert started.status == 200
    named: list[set[str]] = []

    def imported(*arguments: Any) -> set[str]:
        named.append(cleanup.imported_image_sets(*arguments))
        return named[-1]

    monkeypatch.setattr(environment, "imported_image_sets", imported)
    assert tear_down(context) == []
    assert len(named) == 1 and theirs in named[0] and len(named[0]) == 2  # the job had ended
    with contextlib.suppress(AssertionError):  # deletions end a moment after they are asked
        wait_until(lambda: _image_sets(imaging, lent) == {theirs} | others, 10, 0.2)
    assert _image_sets(imaging, lent) == {theirs} | others
    assert imaging.get_datastore(datastoreId=lent)["datastoreProperties"]["datastoreStatus"] == (
        "ACTIVE"
    )


def _answer(status: int, body: object) -> Exchange:
    exchange = Exchange("POST", "http://target/", {}, None, status=status, headers={})
    exchange.body = json.dumps(body).encode()
    return exchange


def test_listing_image_sets_stops_when_the_target_repeats_its_next_token() -> None:
    calls: list[str] = []

    def call(operation: str, **params: object) -> Exchange:
        calls.append(operation)
        if operation == "GetDatastore":
            return _answer(200, {"datastoreProperties": {"datastoreStatus": "ACTIVE"}})
        page = {"imageSetId": f"set-{len(calls)}"}
        return _answer(200, {"imageSetsMetadataSummaries": [page], "nextToken": "same"})

    sweeper = Sweeper(call, bound=30.0)
    assert sweeper.image_sets("store") is None
    assert calls == ["GetDatastore", "SearchImageSets", "SearchImageSets"]
    assert [str(left) for left in sweeper.left] == [
        "image sets of data store store: nextToken repeats"
    ]


def test_listing_image_sets_gives_up_at_the_bound_when_pages_never_end() -> None:
    def call(operation: str, **params: object) -> Exchange:
        if operation == "GetDatastore":
            return _answer(200, {"datastoreProperties": {"datastoreStatus": "ACTIVE"}})
        return _answer(200, {"imageSetsMetadataSummaries": [], "nextToken": uuid.uuid4().hex})

    sweeper = Sweeper(call, bound=0.2)
    assert sweeper.image_sets("store") is None
    assert len(sweeper.left) == 1


def test_a_candidate_image_set_created_before_the_run_is_not_deleted() -> None:
    deleted: list[object] = []
    created = {"old": 1000.0, "new": 2000.0}

    def call(operation: str, **params: object) -> Exchange:
        if operation == "DeleteImageSet":
            deleted.append(params["imageSetId"])
            return _answer(200, {"imageSetState": "LOCKED"})
        image_set = str(params["imageSetId"])
        if image_set not in created:
            return _answer(404, {"message": "not found"})
        return _answer(200, {"imageSetId": image_set, "createdAt": created[image_set]})

    sweeper = Sweeper(call, bound=30.0)
    sweeper.delete_new_image_sets("store", ["old", "new", "gone"], since=1500.0)
    assert deleted == ["new"]
    assert sweeper.left == []


def test_a_target_that_breaks_clean_up_is_named_as_a_leftover_not_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AHI_CONTRACT_KEEP", raising=False)
    context = _context_at("http://127.0.0.1:9")
    context.unobserved.datastores["store"] = Made("store", "store", {}, None)

    def call(operation: str, **params: object) -> Exchange:
        if operation == "GetDatastore":
            return _answer(200, {"datastoreProperties": {"datastoreStatus": "ACTIVE"}})
        return _answer(200, {"imageSetsMetadataSummaries": 5})  # not a list

    context.call = call  # type: ignore[method-assign]
    left = tear_down(context)
    assert [leftover.what for leftover in left] == ["data store store"]
    assert "TypeError" in left[0].reason


def _stopped_while_the_spec_is_built(*arguments: Any) -> Any:
    raise KeyboardInterrupt


def test_a_stop_while_the_spec_is_built_after_set_up_still_tears_down(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between set-up and the first unit the run builds its spec (modules imported,
    dataclasses made): a worker's stop landing there once skipped tear-down."""
    monkeypatch.delenv("AHI_CONTRACT_KEEP", raising=False)
    monkeypatch.setattr(runner, "build_spec", _stopped_while_the_spec_is_built)
    credentials = AwsCredentials("test", "test")
    target = Target(emulator.url, "us-east-1", credentials, emulator.s3_url, credentials, ROLE)
    plan = runner.Plan(PROFILES["quick"], 0, 10.0, Selection(("JOB-ENDS",)))
    with pytest.raises(KeyboardInterrupt):
        runner.run_units(target, plan, ["jobs"])
    assert _standing(emulator) == []
    assert _buckets(emulator) == []
