"""The import worker with the real boto3 client and S3 over real ports: the documented
manifests and result files, and jobs that fail for want of a bucket."""

from __future__ import annotations

import io
import json
from typing import Any

import pydicom

from harness.imaging.known_set import upload
from tests.emulator.conftest import (
    active_datastore,
    buckets,
    finished_job,
    start_import,
    wait_until,
)


def _sop_uid(data: bytes) -> str:
    return str(pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True).SOPInstanceUID)


def _read_ndjson(s3: Any, bucket: str, key: str) -> list[dict[str, Any]]:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines() if line]


def test_import_reads_real_dicom_from_s3_and_writes_documented_manifests(
    imaging: Any, s3: Any
) -> None:
    created = imaging.create_datastore(datastoreName="e2e")
    assert created["datastoreStatus"] == "CREATING"
    datastore_id = active_datastore(imaging)
    source, target = buckets(s3)
    files = upload(s3, source, "input/")

    started = start_import(imaging, datastore_id, source, target, jobName="e2e-import")
    assert started["jobStatus"] == "SUBMITTED"
    seen: list[str] = []

    def poll() -> dict[str, Any] | None:
        properties: dict[str, Any] = imaging.get_dicom_import_job(
            datastoreId=datastore_id, jobId=started["jobId"]
        )["jobProperties"]
        seen.append(properties["jobStatus"])
        return properties if properties["jobStatus"] in ("COMPLETED", "FAILED") else None

    job = wait_until(poll, timeout=30)
    assert job["jobStatus"] == "COMPLETED", job.get("message")
    order = ["SUBMITTED", "IN_PROGRESS", "COMPLETED"]
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen)
    assert job["endedAt"] >= job["submittedAt"]
    folder_key = f"output/{datastore_id}-DicomImport-{started['jobId']}/"
    assert job["outputS3Uri"] == f"s3://{target}/{folder_key}"

    manifest = json.loads(
        s3.get_object(Bucket=target, Key=f"{folder_key}job-output-manifest.json")["Body"].read()
    )["jobSummary"]
    successes = _read_ndjson(s3, target, f"{folder_key}SUCCESS/success.ndjson")
    failures = _read_ndjson(s3, target, f"{folder_key}FAILURE/failure.ndjson")

    expected_good = {f"input/{f.key}" for f in files if f.importable}
    expected_bad = {f"input/{f.key}" for f in files if not f.importable}
    assert sorted(r["inputFile"] for r in successes) == sorted(expected_good)
    assert sorted(r["inputFile"] for r in failures) == sorted(expected_bad)
    sop_of = {f"input/{f.key}": _sop_uid(f.data) for f in files if f.importable}
    first_of_sop: dict[str, str] = {}
    for key in sorted(sop_of):  # S3 lists keys in order: the first copy of an instance leads
        first_of_sop.setdefault(sop_of[key], key)
    for record in successes:
        assert len(record["importResponse"]["imageSetId"]) == 32
        leads = first_of_sop[sop_of[record["inputFile"]]] == record["inputFile"]
        assert record["importResponse"]["isPrimary"] is leads, record["inputFile"]
    assert sum(not r["importResponse"]["isPrimary"] for r in successes) == 2  # MR_small's copies
    for sop, leader in first_of_sop.items():
        copies = [r for r in successes if sop_of[r["inputFile"]] == sop]
        assert len({r["importResponse"]["imageSetId"] for r in copies}) == len(copies), leader
    for record in failures:
        assert record["exception"]["exceptionType"] == "ValidationException"
        assert record["exception"]["message"]
    assert manifest["jobId"] == started["jobId"]
    assert manifest["datastoreId"] == datastore_id
    assert manifest["numberOfScannedFiles"] == len(files)
    assert manifest["numberOfImportedFiles"] == len(expected_good)
    assert manifest["numberOfFilesWithCustomerError"] == len(expected_bad)
    assert manifest["numberOfFilesWithServerError"] == 0
    assert manifest["successOutputS3Uri"] == f"s3://{target}/{folder_key}SUCCESS/"
    assert manifest["failureOutputS3Uri"] == f"s3://{target}/{folder_key}FAILURE/"
    image_sets = {r["importResponse"]["imageSetId"] for r in successes}
    assert {s["imageSetId"] for s in manifest["imageSetsSummary"]} == image_sets
    assert manifest["numberOfGeneratedImageSets"] == len(image_sets)
    assert sum(s["numberOfMatchedSOPInstances"] for s in manifest["imageSetsSummary"]) == len(
        successes
    )


def test_unreachable_buckets_fail_the_job_with_a_message(imaging: Any, s3: Any) -> None:
    datastore_id = active_datastore(imaging)
    source, target = buckets(s3)
    missing_input = start_import(imaging, datastore_id, "ahi-missing-bucket", target)
    missing_output = start_import(imaging, datastore_id, source, "ahi-missing-bucket")
    for started, words in ((missing_input, "input"), (missing_output, "output")):
        job = finished_job(imaging, datastore_id, started["jobId"])
        assert job["jobStatus"] == "FAILED"
        assert words in job["message"]
        assert job["endedAt"] >= job["submittedAt"]
