"""`ahi-contract emulator` as a user runs it: a separate process on real ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from harness.dicom_samples import sample_set, upload
from harness.emulator.faults import FAULTS
from tests.emulator.conftest import ROLE, active_datastore, wait_until


@contextmanager
def emulator_process(*arguments: str) -> Iterator[dict[str, str]]:
    """Run the CLI; yield the URLs it prints; kill it at the end."""
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "emulator", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    urls: dict[str, str] = {}
    try:
        assert process.stdout is not None
        while len(urls) < 2:
            line = process.stdout.readline()
            if not line:
                raise AssertionError(f"emulator exited: {process.stderr.read()}")  # type: ignore[union-attr]
            name, _, value = line.strip().partition(": ")
            if name in ("service", "s3"):
                urls[name] = value
        urls["pid"] = str(process.pid)
        yield urls
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _clients(service: str, s3_url: str) -> tuple[Any, Any]:
    common: dict[str, Any] = {
        "region_name": "us-east-1",
        "aws_access_key_id": "test",
        "aws_secret_access_key": "test",
    }
    return (
        boto3.client("medical-imaging", endpoint_url=service, **common),
        boto3.client("s3", endpoint_url=s3_url, **common),
    )


def _job(imaging: Any, datastore_id: str, job_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = imaging.get_dicom_import_job(
        datastoreId=datastore_id, jobId=job_id
    )["jobProperties"]
    return properties


def test_cli_emulator_imports_the_sample_set() -> None:
    with emulator_process("--datastore-delay", "0.2", "--job-delay", "0.1") as urls:
        imaging, s3 = _clients(urls["service"], urls["s3"])
        datastore_id = active_datastore(imaging)
        s3.create_bucket(Bucket="cli-input")
        s3.create_bucket(Bucket="cli-output")
        upload(s3, "cli-input", "in/")
        job_id = imaging.start_dicom_import_job(
            datastoreId=datastore_id,
            dataAccessRoleArn=ROLE,
            inputS3Uri="s3://cli-input/in/",
            outputS3Uri="s3://cli-output/out/",
        )["jobId"]
        job = wait_until(
            lambda: (p := _job(imaging, datastore_id, job_id))["jobStatus"] == "COMPLETED" and p,
            timeout=30,
        )
        key = job["outputS3Uri"].removeprefix("s3://cli-output/") + "job-output-manifest.json"
        manifest = s3.get_object(Bucket="cli-output", Key=key)["Body"].read()
        assert f'"numberOfScannedFiles": {len(sample_set())}'.encode() in manifest


@pytest.fixture()
def external_s3() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_state_survives_kill_9_and_unfinished_jobs_resume(tmp_path: Path, external_s3: str) -> None:
    state = tmp_path / "state.sqlite"
    common = ("--state", str(state), "--s3-endpoint", external_s3, "--datastore-delay", "0.1")
    token = uuid.uuid4().hex
    with emulator_process(*common, "--job-delay", "600") as urls:
        imaging, s3 = _clients(urls["service"], urls["s3"])
        assert urls["s3"] == external_s3
        datastore_id = active_datastore(imaging)
        s3.create_bucket(Bucket="kill-input")
        s3.create_bucket(Bucket="kill-output")
        upload(s3, "kill-input", "in/")
        request = {
            "datastoreId": datastore_id,
            "dataAccessRoleArn": ROLE,
            "inputS3Uri": "s3://kill-input/in/",
            "outputS3Uri": "s3://kill-output/out/",
            "clientToken": token,
        }
        job_id = imaging.start_dicom_import_job(**request)["jobId"]
        assert _job(imaging, datastore_id, job_id)["jobStatus"] == "SUBMITTED"
        os.kill(int(urls["pid"]), signal.SIGKILL)

    with emulator_process(*common, "--job-delay", "0.1") as urls:
        imaging, _ = _clients(urls["service"], urls["s3"])
        status = imaging.get_datastore(datastoreId=datastore_id)["datastoreProperties"]
        assert status["datastoreStatus"] == "ACTIVE"
        assert imaging.start_dicom_import_job(**request)["jobId"] == job_id
        job = wait_until(
            lambda: (p := _job(imaging, datastore_id, job_id))["jobStatus"] == "COMPLETED" and p,
            timeout=30,
        )
        assert job["endedAt"] >= job["submittedAt"]
        listed = imaging.list_dicom_import_jobs(datastoreId=datastore_id)["jobSummaries"]
        assert [item["jobId"] for item in listed] == [job_id]


def test_list_faults_prints_every_fault() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "harness", "emulator", "--list-faults"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert len(lines) == len(FAULTS) >= 20
    for fault, line in zip(FAULTS, lines, strict=True):
        assert line.split()[0] == fault.name
        assert fault.description in line


def test_an_unknown_fault_is_refused_with_exit_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "harness", "emulator", "--fault", "no-such-fault"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "no-such-fault" in result.stderr


def test_the_command_line_sets_every_timing_limit() -> None:
    from harness.cli import build_parser
    from harness.cli.emulator import config_from

    words = ["emulator", "--datastore-delay", "0.5", "--job-delay", "0.25", "--write-delay", "2"]
    limits = config_from(build_parser(words).parse_args(words)).limits
    assert limits.datastore_transition_seconds == 0.5
    assert limits.job_start_delay_seconds == 0.25
    assert limits.image_set_write_seconds == 2.0


def _refused(*arguments: str) -> str:
    """Run the CLI with arguments it must refuse: exit 2, one line on stderr; that line."""
    result = subprocess.run(
        [sys.executable, "-m", "harness", "emulator", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_emulator_with_exit_0(signum: int) -> None:
    with emulator_process() as urls:
        process_id = int(urls["pid"])
        os.kill(process_id, signum)
        for _ in range(100):
            finished, status = os.waitpid(process_id, os.WNOHANG)
            if finished:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the emulator did not stop within 10 s")
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_job_accepted_before_sigterm_completes_after_a_restart(
    tmp_path: Path, external_s3: str
) -> None:
    state = tmp_path / "state.sqlite"
    common = ("--state", str(state), "--s3-endpoint", external_s3, "--datastore-delay", "0.1")
    with emulator_process(*common, "--job-delay", "600") as urls:
        imaging, s3 = _clients(urls["service"], urls["s3"])
        datastore_id = active_datastore(imaging)
        s3.create_bucket(Bucket="term-input")
        s3.create_bucket(Bucket="term-output")
        upload(s3, "term-input", "in/")
        job_id = imaging.start_dicom_import_job(
            datastoreId=datastore_id,
            dataAccessRoleArn=ROLE,
            inputS3Uri="s3://term-input/in/",
            outputS3Uri="s3://term-output/out/",
        )["jobId"]
        os.kill(int(urls["pid"]), signal.SIGTERM)
    with emulator_process(*common, "--job-delay", "0.1") as urls:
        imaging, _ = _clients(urls["service"], urls["s3"])
        job = wait_until(
            lambda: (p := _job(imaging, datastore_id, job_id))["jobStatus"] == "COMPLETED" and p,
            timeout=30,
        )
        assert job["jobId"] == job_id


def test_a_port_in_use_is_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = _refused("--port", str(port))
    assert f"port {port}" in line and "in use" in line


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (("--credentials", "reader:secret:GetDatastore,FlyToTheMoon"), "FlyToTheMoon"),
        (("--credentials", "no-secret"), "no-secret"),
        (("--credentials", ":secret"), ":secret"),
        (("--port", "70000"), "70000"),
        (("--port", "-1"), "-1"),
        (("--fault", "no-such-fault"), "no-such-fault"),
    ],
)
def test_bad_inputs_are_one_line_and_exit_2(arguments: tuple[str, ...], named: str) -> None:
    assert named in _refused(*arguments)


def test_a_corrupt_state_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    state.write_bytes(b"this is not a database" * 100)
    assert str(state) in _refused("--state", str(state))


def test_an_unwritable_state_location_is_one_line_and_exit_2(tmp_path: Path) -> None:
    state = tmp_path / "missing-directory" / "state.sqlite"
    assert str(state) in _refused("--state", str(state))


def test_health_endpoint_and_access_log(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    with emulator_process("--access-log", str(log)) as urls:
        health = requests.get(f"{urls['service']}/_health", timeout=10)
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        imaging, _ = _clients(urls["service"], urls["s3"])
        imaging.list_datastores()
        unsigned = requests.get(f"{urls['service']}/datastore", timeout=10)
        assert unsigned.status_code == 403
        lines = wait_until(
            lambda: (text := log.read_text().splitlines()) and len(text) >= 3 and text
        )
    method, path, status, error, duration = lines[0].split()
    assert (method, path, status, error) == ("GET", "/_health", "200", "-")
    assert lines[1].split()[:4] == ["GET", "/datastore", "200", "-"]
    assert lines[2].split()[:4] == [
        "GET",
        "/datastore",
        "403",
        "MissingAuthenticationTokenException",
    ]
    assert duration.endswith("ms") and float(duration[:-2]) >= 0
