"""A running emulator (real ports, embedded moto S3) and clients for it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

from harness.emulator import Emulator, EmulatorConfig, Limits
from harness.sigv4 import AwsCredentials, SigV4RequestsAuth

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


def imaging_client(emulator: Emulator, key: str = "test", secret: str = "test") -> Any:
    return boto3.client(
        "medical-imaging",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=boto3.session.Config(retries={"max_attempts": 1}),
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


def finished_job(imaging: Any, datastore_id: str, job_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        properties: dict[str, Any] = imaging.get_dicom_import_job(
            datastoreId=datastore_id, jobId=job_id
        )["jobProperties"]
        return properties if properties["jobStatus"] in ("COMPLETED", "FAILED") else None

    result: dict[str, Any] = wait_until(done, timeout=30)
    return result
