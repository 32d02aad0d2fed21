"""A running emulator (real ports, embedded moto S3) and clients for it."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from harness.aws.sigv4 import AwsCredentials, SigV4RequestsAuth
from harness.emulator import Emulator, EmulatorConfig, Limits

FAST = Limits(datastore_transition_seconds=0.2, job_start_delay_seconds=0.3)
ROLE = "arn:aws:iam::123456789012:role/HealthImagingImportRole"


def start_emulator(**overrides: Any) -> Emulator:
    config = EmulatorConfig(
        limits=overrides.pop("limits", FAST),
        credentials=overrides.pop("credentials", ("test:test", "reader:secret:GetDatastore")),
        **overrides,
    )
    return Emulator(config).start()


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    running = start_emulator()
    yield running
    running.stop()


def imaging_client(
    emulator: Emulator, key: str = "test", secret: str = "test", **config: Any
) -> Any:
    """boto3 for the emulator; without the `runtime-` host prefix unless `config` says."""
    options: dict[str, Any] = {"retries": {"max_attempts": 1}, "inject_host_prefix": False}
    options.update(config)
    return boto3.client(
        "medical-imaging",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=boto3.session.Config(**options),
    )


@pytest.fixture(scope="module")
def imaging(emulator: Emulator) -> Any:
    return imaging_client(emulator)


@pytest.fixture(scope="module")
def s3(emulator: Emulator) -> Any:
    return emulator.s3.client()


@pytest.fixture()
def signed() -> requests.Session:
    session = requests.Session()
    session.auth = SigV4RequestsAuth(AwsCredentials("test", "test"), "us-east-1")
    return session


def wait_until(predicate: Any, timeout: float = 15.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError("condition not reached in time")


def active_datastore(imaging: Any) -> str:
    datastore_id: str = imaging.create_datastore(datastoreName=f"t-{uuid.uuid4().hex[:8]}")[
        "datastoreId"
    ]
    wait_until(
        lambda: (
            imaging.get_datastore(datastoreId=datastore_id)["datastoreProperties"][
                "datastoreStatus"
            ]
            == "ACTIVE"
        )
    )
    return datastore_id


def buckets(s3: Any) -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:10]
    source, target = f"ahi-in-{suffix}", f"ahi-out-{suffix}"
    s3.create_bucket(Bucket=source)
    s3.create_bucket(Bucket=target)
    return source, target


def error_of(call: Any, **kwargs: Any) -> tuple[str, int]:
    """The error code and HTTP status `call(**kwargs)` fails with."""
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def start_import(imaging: Any, datastore_id: str, source: str, target: str, **extra: Any) -> Any:
    """StartDICOMImportJob from `s3://source/input/` to `s3://target/output/`."""
    return imaging.start_dicom_import_job(
        datastoreId=datastore_id,
        dataAccessRoleArn=ROLE,
        inputS3Uri=f"s3://{source}/input/",
        outputS3Uri=f"s3://{target}/output/",
        **extra,
    )


def finished_job(imaging: Any, datastore_id: str, job_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        properties: dict[str, Any] = imaging.get_dicom_import_job(
            datastoreId=datastore_id, jobId=job_id
        )["jobProperties"]
        return properties if properties["jobStatus"] in ("COMPLETED", "FAILED") else None

    result: dict[str, Any] = wait_until(done, timeout=30)
    return result


def sample_bytes(name: str) -> bytes:
    """A DICOM file that pydicom ships (CT_small.dcm, MR_small.dcm, ...)."""
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name)
    assert path is not None, name
    with open(path, "rb") as handle:
        return handle.read()


def import_job(
    imaging: Any, s3: Any, datastore_id: str, files: dict[str, bytes]
) -> Callable[[str], bytes]:
    """Import `files` (key below `input/` -> bytes) in one job that must complete; a reader
    of the job's output folder (key below it -> bytes)."""
    source, target = buckets(s3)
    for key, data in files.items():
        s3.put_object(Bucket=source, Key=f"input/{key}", Body=data)
    job = start_import(imaging, datastore_id, source, target)
    properties = finished_job(imaging, datastore_id, job["jobId"])
    assert properties["jobStatus"] == "COMPLETED", properties.get("message")
    folder = properties["outputS3Uri"].split(f"{target}/", 1)[1]

    def read(key: str) -> bytes:
        body: bytes = s3.get_object(Bucket=target, Key=f"{folder}{key}")["Body"].read()
        return body

    return read


def import_files(
    imaging: Any, s3: Any, datastore_id: str, files: dict[str, bytes]
) -> list[dict[str, Any]]:
    """Import `files` (key -> bytes) into a data store; the success.ndjson records."""
    body = import_job(imaging, s3, datastore_id, files)("SUCCESS/success.ndjson")
    return [json.loads(line) for line in body.decode().splitlines() if line]


def wait_active(imaging: Any, datastore_id: str, image_set_id: str) -> dict[str, Any]:
    """GetImageSet once the image set is no longer LOCKED."""

    def active() -> dict[str, Any] | None:
        found: dict[str, Any] = imaging.get_image_set(
            datastoreId=datastore_id, imageSetId=image_set_id
        )
        return found if found["imageSetState"] != "LOCKED" else None

    result: dict[str, Any] = wait_until(active, timeout=10)
    return result
