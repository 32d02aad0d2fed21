"""`ahi-contract emulator` as a user runs it: a separate process on real ports."""

from __future__ import annotations

import json
import os
import queue
import shlex
import signal
import socket
import subprocess
import sys
import threading
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

from harness.emulator.faults import FAULTS
from harness.imaging.known_set import sample_set, upload
from tests.emulator.conftest import ROLE, active_datastore, wait_until


@contextmanager
def emulator_process(*arguments: str) -> Iterator[dict[str, str]]:
    """Run the CLI; yield the URLs it prints, its pid and its start lines (`output`, up to
    `ready`, each line read while the process runs); kill it at the end."""
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "emulator", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout

    def read() -> None:
        for line in stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    try:
        output: list[str] = []
        while not output or output[-1] != "ready":
            try:
                line = lines.get(timeout=60)
            except queue.Empty:
                raise AssertionError(f"no `ready` line within 60 s: {output}") from None
            if line is None:
                process.wait(timeout=10)
                raise AssertionError(f"emulator exited: {process.stderr.read()}")  # type: ignore[union-attr]
            output.append(line.rstrip("\n"))
        assert process.poll() is None, "the emulator exited after printing `ready`"
        urls = dict(line.split(": ", 1) for line in output[:2])
        yield {
            "service": urls["service"],
            "s3": urls["s3"],
            "pid": str(process.pid),
            "output": "\n".join(output),
        }
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def exports(output: str) -> dict[str, str]:
    """The `export NAME=VALUE` lines of the emulator's start lines, as the shell reads them."""
    pairs = [shlex.split(line)[1] for line in output.splitlines() if line.startswith("export ")]
    return dict(pair.split("=", 1) for pair in pairs)


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
    words += ["--datastore-quota", "10", "--concurrent-job-quota", "3"]
    limits = config_from(build_parser(words).parse_args(words)).limits
    assert limits.datastores == 10
    assert limits.concurrent_jobs_per_datastore == 3
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
        (("--fault", "slow-respnses"), "did you mean slow-responses?"),
        (("--datastore-quota", "-1"), "-1"),
        (("--concurrent-job-quota", "many"), "many"),
        (("--job-delay", "nan"), "nan"),
        (("--datastore-delay", "-0.5"), "-0.5"),
        (("--s3-endpoint", "localhost:9000"), "localhost:9000"),
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


def test_the_start_lines_give_region_credentials_and_exports_before_ready() -> None:
    with emulator_process() as urls:
        service, s3 = urls["service"], urls["s3"]
        assert urls["output"].splitlines() == [
            f"service: {service}",
            f"s3: {s3}",
            f"health: {service}/_health",
            "region: us-east-1",
            "credentials: test / test",
            "paste into a shell to point the AWS CLI, boto3 and other SDKs at it:",
            f"export AWS_ENDPOINT_URL_MEDICAL_IMAGING={service}",
            f"export AWS_ENDPOINT_URL_S3={s3}",
            "export AWS_ACCESS_KEY_ID=test",
            "export AWS_SECRET_ACCESS_KEY=test",
            "export AWS_REGION=us-east-1",
            "export AWS_DEFAULT_REGION=us-east-1",
            "export AWS_DISABLE_HOST_PREFIX_INJECTION=true",
            "ready",
        ]
        assert service != s3


_EXPORTS_ONLY_CLIENT = """
import time, uuid
import boto3

imaging, s3 = boto3.client("medical-imaging"), boto3.client("s3")
bucket = "exports-" + uuid.uuid4().hex[:12]
s3.create_bucket(
    Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name}
)
s3.put_object(Bucket=bucket, Key="a/b.txt", Body=b"hello")
assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["a/b.txt"]
store = imaging.create_datastore(datastoreName="exports")["datastoreId"]
status = lambda: imaging.get_datastore(datastoreId=store)["datastoreProperties"]
while status()["datastoreStatus"] != "ACTIVE":
    time.sleep(0.1)
assert imaging.search_image_sets(datastoreId=store)["imageSetsMetadataSummaries"] == []
try:
    imaging.get_image_set(datastoreId=store, imageSetId="0" * 32)
except imaging.exceptions.ResourceNotFoundException:
    pass
print(imaging.meta.region_name, s3.get_object(Bucket=bucket, Key="a/b.txt")["Body"].read())
"""


def test_the_exports_alone_point_boto3_at_the_emulator_and_its_s3(
    tmp_path: Path, external_s3: str
) -> None:
    options = ("--region", "eu-west-1", "--credentials", "alice:wonderland")
    with emulator_process(
        *options, "--s3-endpoint", external_s3, "--datastore-delay", "0.1"
    ) as urls:
        variables = exports(urls["output"])
        assert variables == {
            "AWS_ENDPOINT_URL_MEDICAL_IMAGING": urls["service"],
            "AWS_ENDPOINT_URL_S3": external_s3,
            "AWS_ACCESS_KEY_ID": "alice",
            "AWS_SECRET_ACCESS_KEY": "wonderland",
            "AWS_REGION": "eu-west-1",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
        }
        assert "note: the S3 at --s3-endpoint is used with key test" in urls["output"]
        result = subprocess.run(
            [sys.executable, "-c", _EXPORTS_ONLY_CLIENT],
            env={"PATH": os.defpath, "HOME": str(tmp_path), **variables},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "eu-west-1 b'hello'"


def test_the_datastore_quota_refuses_one_data_store_too_many() -> None:
    with emulator_process("--datastore-quota", "2", "--datastore-delay", "0") as urls:
        imaging, _ = _clients(urls["service"], urls["s3"])
        for number in range(2):
            imaging.create_datastore(datastoreName=f"quota-{number}")
        with pytest.raises(imaging.exceptions.ServiceQuotaExceededException) as refused:
            imaging.create_datastore(datastoreName="quota-2")
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 402
        assert "maximum of 2 data stores" in str(refused.value)
        assert len(imaging.list_datastores()["datastoreSummaries"]) == 2
        first = imaging.list_datastores()["datastoreSummaries"][0]["datastoreId"]
        imaging.delete_datastore(datastoreId=first)
        assert imaging.create_datastore(datastoreName="quota-3")["datastoreStatus"] == "CREATING"


def test_list_faults_as_json_lists_every_fault_with_its_fields() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "harness", "emulator", "--list-faults", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout) == [
        {"name": fault.name, "description": fault.description, "caughtBy": fault.caught_by}
        for fault in FAULTS
    ]


def test_help_explains_every_option_the_exit_codes_and_the_environment() -> None:
    import argparse

    from harness.cli import build_parser

    root = build_parser(["emulator"])
    commands = next(a for a in root._actions if isinstance(a, argparse._SubParsersAction))
    parser = commands.choices["emulator"]
    undocumented = [
        action.option_strings for action in parser._actions if not (action.help or "").strip()
    ]
    assert undocumented == []
    result = subprocess.run(
        [sys.executable, "-m", "harness", "emulator", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    text = result.stdout
    assert "Run the reference HealthImaging emulator" in text
    assert "0  stopped by SIGTERM or SIGINT" in text
    assert "2  refused before serving: a port in use, a bad option" in text
    assert "environment:" in text and "HTTP_PROXY" in text
    assert "AHI_CONTRACT_TRACEBACK=1" in text
    assert "--datastore-quota N" in text and "(default: 100, the documented quota)" in text
    assert "--job-delay SECONDS" in text and "(default: 0.2)" in text


# --- --load -----------------------------------------------------------------------------


def load_document(output: str) -> dict[str, Any]:
    """The JSON document `--load` prints after the export lines and before `ready`."""
    lines = output.splitlines()
    assert lines[-1] == "ready"
    start = lines.index("{")
    assert lines[start - 1].startswith("export AWS_DISABLE_HOST_PREFIX_INJECTION=")
    document: dict[str, Any] = json.loads("\n".join(lines[start:-1]))
    return document


def _imaging(service: str) -> Any:
    """boto3 for the emulator, without the `runtime-` host prefix."""
    from botocore.config import Config

    return boto3.client(
        "medical-imaging",
        endpoint_url=service,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(inject_host_prefix=False),
    )


def _instances(imaging: Any, datastore_id: str, image_set_id: str) -> dict[str, Any]:
    import gzip

    reply = imaging.get_image_set_metadata(datastoreId=datastore_id, imageSetId=image_set_id)
    series: dict[str, Any] = json.loads(gzip.decompress(reply["imageSetMetadataBlob"].read()))[
        "Study"
    ]["Series"]
    return series


def test_load_prints_each_file_s_image_set_or_refusal_before_ready() -> None:
    from pydicom.data import get_testdata_file

    folder = Path(str(get_testdata_file("CT_small.dcm"))).parent
    files = sorted(str(path) for path in folder.rglob("*") if path.is_file())
    with emulator_process(
        "--load", str(folder), "--load-sample", "--datastore-delay", "0.2", "--job-delay", "0"
    ) as urls:
        document = load_document(urls["output"])
        imaging = _imaging(urls["service"])
        datastore_id = document["datastoreId"]
        imported = {entry["file"]: entry for entry in document["imported"]}
        refused = {entry["file"]: entry for entry in document["refused"]}
        samples = {sample.key: sample for sample in sample_set()}
        assert sorted(imported.keys() | refused.keys()) == sorted([*files, *samples])
        assert not imported.keys() & refused.keys()
        assert {key for key in samples if key in imported} == {
            key for key, sample in samples.items() if sample.importable
        }
        assert f"{folder}/README.txt" in refused
        assert all(entry["reason"] and entry["exceptionType"] for entry in refused.values())
        held: dict[str, dict[str, Any]] = {}
        for name, entry in imported.items():
            image_set = entry["imageSetId"]
            if image_set not in held:
                held[image_set] = _instances(imaging, datastore_id, image_set)
            series = held[image_set][entry["seriesInstanceUid"]]
            assert entry["sopInstanceUid"] in series["Instances"], name
        assert sorted(held) == sorted(document["imageSetIds"])
        assert document["reused"] is False and len(document["jobIds"]) == 1
        assert document["datastoreName"].startswith("ahi-contract-load-")


def test_load_with_state_imports_an_unchanged_set_once(tmp_path: Path) -> None:
    from pydicom.data import get_testdata_file

    scans = tmp_path / "scans"
    scans.mkdir()
    for name in ("CT_small.dcm", "MR_small.dcm"):
        (scans / name).write_bytes(Path(str(get_testdata_file(name))).read_bytes())
    state = ("--state", str(tmp_path / "state.sqlite"), "--datastore-delay", "0.1")
    with emulator_process("--load", str(scans), *state) as urls:
        first = load_document(urls["output"])
    with emulator_process("--load", str(scans), *state) as urls:
        again = load_document(urls["output"])
        imaging = _clients(urls["service"], urls["s3"])[0]
        assert len(imaging.list_datastores()["datastoreSummaries"]) == 1
        jobs = imaging.list_dicom_import_jobs(datastoreId=first["datastoreId"])["jobSummaries"]
        assert [job["jobId"] for job in jobs] == first["jobIds"]
    assert again == first | {"reused": True}
    (scans / "MR_small.dcm").write_bytes(Path(str(get_testdata_file("rtdose.dcm"))).read_bytes())
    with emulator_process("--load", str(scans), *state) as urls:
        changed = load_document(urls["output"])
        imaging = _clients(urls["service"], urls["s3"])[0]
        assert len(imaging.list_datastores()["datastoreSummaries"]) == 2
    assert changed["reused"] is False and changed["datastoreId"] != first["datastoreId"]


def test_load_paths_without_dicom_files_are_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not an image\n")
    (tmp_path / "empty").mkdir()
    missing = tmp_path / "missing.dcm"
    assert _refused("--load", str(missing)) == (
        f"ahi-contract emulator: --load {missing}: no such file or folder"
    )
    assert "a folder with no files" in _refused("--load", str(tmp_path / "empty"))
    assert "no file matches" in _refused("--load", str(tmp_path / "*.png"))
    line = _refused("--load", str(tmp_path / "notes.txt"), "--load", str(tmp_path / "notes.txt"))
    assert line.endswith("notes.txt: not DICOM P10 (a 128-byte preamble, then 'DICM')")


def test_a_load_that_fails_is_one_line_and_exit_2_without_ready() -> None:
    from pydicom.data import get_testdata_file

    ct = str(get_testdata_file("CT_small.dcm"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    result = subprocess.run(
        [sys.executable, "-m", "harness", "emulator", "--s3-endpoint", closed, "--load", ct],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "ready" not in result.stdout.splitlines()
    [line] = [line for line in result.stderr.splitlines() if line.startswith("ahi-contract")]
    assert line.startswith("ahi-contract emulator: --load: CreateBucket on the emulator's S3")
    assert "Traceback" not in result.stderr


def test_a_signal_during_a_load_stops_the_emulator_with_exit_0() -> None:
    from pydicom.data import get_testdata_file

    ct = str(get_testdata_file("CT_small.dcm"))
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "emulator", "--job-delay", "600", "--load", ct],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        printed = []
        for line in process.stdout:
            printed.append(line.rstrip("\n"))
            if line.startswith("export AWS_DISABLE_HOST_PREFIX_INJECTION="):
                break
        assert process.stderr.readline() == "loading 1 file\n"
        time.sleep(1.0)  # the job waits 600 s to start: the load is waiting for it
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        assert "ready" not in printed + process.stdout.read().splitlines()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
