"""The emulator driven by the real boto3 client, end to end over real ports."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.emulator import Emulator, Limits
from harness.imaging.known_set import upload
from tests.emulator.conftest import (
    ROLE,
    active_datastore,
    buckets,
    finished_job,
    imaging_client,
    start_emulator,
    wait_until,
)


def _error(call: Any, **kwargs: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def _start(imaging: Any, datastore_id: str, source: str, target: str, **extra: Any) -> Any:
    return imaging.start_dicom_import_job(
        datastoreId=datastore_id,
        dataAccessRoleArn=ROLE,
        inputS3Uri=f"s3://{source}/input/",
        outputS3Uri=f"s3://{target}/output/",
        **extra,
    )


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

    started = _start(imaging, datastore_id, source, target, jobName="e2e-import")
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
    for record in successes:
        assert len(record["importResponse"]["imageSetId"]) == 32
        assert record["importResponse"]["isPrimary"] is True
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


def test_replay_with_the_same_token_returns_the_same_job(imaging: Any, s3: Any) -> None:
    datastore_id = active_datastore(imaging)
    source, target = buckets(s3)
    token = uuid.uuid4().hex
    first = _start(imaging, datastore_id, source, target, clientToken=token)
    second = _start(imaging, datastore_id, source, target, clientToken=token)
    assert second["jobId"] == first["jobId"]
    assert second["submittedAt"] == first["submittedAt"]
    jobs = imaging.list_dicom_import_jobs(datastoreId=datastore_id)["jobSummaries"]
    assert [job["jobId"] for job in jobs] == [first["jobId"]]


def test_same_token_with_other_parameters_is_a_conflict(imaging: Any, s3: Any) -> None:
    datastore_id = active_datastore(imaging)
    source, target = buckets(s3)
    token = uuid.uuid4().hex
    _start(imaging, datastore_id, source, target, clientToken=token)
    assert _error(
        _start,
        imaging=imaging,
        datastore_id=datastore_id,
        source=source,
        target=target,
        clientToken=token,
        jobName="other",
    ) == ("ConflictException", 409)


def test_parallel_identical_starts_create_exactly_one_job(imaging: Any, s3: Any) -> None:
    datastore_id = active_datastore(imaging)
    source, target = buckets(s3)
    token = uuid.uuid4().hex
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(
                lambda _: _start(imaging, datastore_id, source, target, clientToken=token)["jobId"],
                range(16),
            )
        )
    assert len(set(answers)) == 1
    listed = imaging.list_dicom_import_jobs(datastoreId=datastore_id)["jobSummaries"]
    assert len(listed) == 1


def test_unknown_datastore_and_job_are_not_found(imaging: Any) -> None:
    assert _error(imaging.get_datastore, datastoreId="0" * 32) == (
        "ResourceNotFoundException",
        404,
    )
    datastore_id = active_datastore(imaging)
    assert _error(imaging.get_dicom_import_job, datastoreId=datastore_id, jobId="abc") == (
        "ResourceNotFoundException",
        404,
    )
    assert _error(
        imaging.start_dicom_import_job,
        datastoreId="0" * 32,
        dataAccessRoleArn=ROLE,
        inputS3Uri="s3://bucket/in/",
        outputS3Uri="s3://bucket/out/",
    ) == ("ResourceNotFoundException", 404)


def test_a_datastore_that_is_not_active_takes_no_jobs(imaging: Any) -> None:
    datastore_id = imaging.create_datastore(datastoreName="creating")["datastoreId"]
    assert _error(
        imaging.start_dicom_import_job,
        datastoreId=datastore_id,
        dataAccessRoleArn=ROLE,
        inputS3Uri="s3://bucket/in/",
        outputS3Uri="s3://bucket/out/",
    ) == ("ConflictException", 409)


def test_concurrent_job_quota_is_a_402() -> None:
    emulator = start_emulator(
        limits=Limits(
            concurrent_jobs_per_datastore=2,
            datastore_transition_seconds=0.1,
            job_start_delay_seconds=5,
        )
    )
    try:
        imaging = imaging_client(emulator)
        datastore_id = active_datastore(imaging)
        source, target = buckets(emulator.s3.client())
        _start(imaging, datastore_id, source, target)
        _start(imaging, datastore_id, source, target)
        assert _error(
            _start, imaging=imaging, datastore_id=datastore_id, source=source, target=target
        ) == ("ServiceQuotaExceededException", 402)
    finally:
        emulator.stop()


def test_unreachable_buckets_fail_the_job_with_a_message(imaging: Any, s3: Any) -> None:
    datastore_id = active_datastore(imaging)
    source, target = buckets(s3)
    missing_input = _start(imaging, datastore_id, "ahi-missing-bucket", target)
    missing_output = _start(imaging, datastore_id, source, "ahi-missing-bucket")
    for started, words in ((missing_input, "input"), (missing_output, "output")):
        job = finished_job(imaging, datastore_id, started["jobId"])
        assert job["jobStatus"] == "FAILED"
        assert words in job["message"]
        assert job["endedAt"] >= job["submittedAt"]


def _all_pages(imaging: Any, datastore_id: str, page_size: int, **filters: Any) -> list[str]:
    ids: list[str] = []
    kwargs: dict[str, Any] = {"datastoreId": datastore_id, "maxResults": page_size, **filters}
    while True:
        page = imaging.list_dicom_import_jobs(**kwargs)
        assert len(page["jobSummaries"]) <= page_size
        ids += [job["jobId"] for job in page["jobSummaries"]]
        if "nextToken" not in page:
            return ids
        kwargs["nextToken"] = page["nextToken"]


def test_pagination_is_complete_stable_and_filtered(imaging: Any, s3: Any) -> None:
    datastore_id = active_datastore(imaging)
    source, target = buckets(s3)
    started = [_start(imaging, datastore_id, source, target)["jobId"] for _ in range(7)]
    for page_size in (1, 2, 3, 6, 7, 50):
        assert _all_pages(imaging, datastore_id, page_size) == started
    for job_id in started:
        finished_job(imaging, datastore_id, job_id)
    assert _all_pages(imaging, datastore_id, 2, jobStatus="COMPLETED") == started
    assert _all_pages(imaging, datastore_id, 2, jobStatus="SUBMITTED") == []


def test_jobs_added_during_a_walk_appear_once_and_none_is_skipped(imaging: Any, s3: Any) -> None:
    datastore_id = active_datastore(imaging)
    source, target = buckets(s3)
    started = [_start(imaging, datastore_id, source, target)["jobId"] for _ in range(4)]
    page = imaging.list_dicom_import_jobs(datastoreId=datastore_id, maxResults=2)
    seen = [job["jobId"] for job in page["jobSummaries"]]
    started.append(_start(imaging, datastore_id, source, target)["jobId"])
    token = page["nextToken"]
    while token:
        page = imaging.list_dicom_import_jobs(
            datastoreId=datastore_id, maxResults=2, nextToken=token
        )
        seen += [job["jobId"] for job in page["jobSummaries"]]
        token = page.get("nextToken")
    assert seen == started


def test_tampered_or_foreign_next_tokens_are_rejected(imaging: Any, s3: Any) -> None:
    datastore_id = active_datastore(imaging)
    source, target = buckets(s3)
    for _ in range(3):
        _start(imaging, datastore_id, source, target)
    token = imaging.list_dicom_import_jobs(datastoreId=datastore_id, maxResults=1)["nextToken"]
    tampered = ("A" if token[0] != "A" else "B") + token[1:]
    for bad in (tampered, "garbage", token[:-2]):
        assert _error(imaging.list_dicom_import_jobs, datastoreId=datastore_id, nextToken=bad) == (
            "ValidationException",
            400,
        )
    assert _error(
        imaging.list_dicom_import_jobs,
        datastoreId=datastore_id,
        nextToken=token,
        jobStatus="FAILED",
    ) == ("ValidationException", 400)


def test_datastore_lifecycle_and_deletion_rules(imaging: Any, s3: Any) -> None:
    empty = active_datastore(imaging)
    deleted = imaging.delete_datastore(datastoreId=empty)
    assert deleted == {**deleted, "datastoreId": empty, "datastoreStatus": "DELETING"}
    wait_until(
        lambda: (
            imaging.get_datastore(datastoreId=empty)["datastoreProperties"]["datastoreStatus"]
            == "DELETED"
        )
    )
    assert _error(imaging.delete_datastore, datastoreId=empty) == ("ConflictException", 409)

    holding = active_datastore(imaging)
    source, target = buckets(s3)
    upload(s3, source, "input/")
    job = _start(imaging, holding, source, target)
    assert finished_job(imaging, holding, job["jobId"])["jobStatus"] == "COMPLETED"
    assert _error(imaging.delete_datastore, datastoreId=holding) == ("ConflictException", 409)


def test_list_datastores_pages_through_every_datastore(emulator: Emulator) -> None:
    imaging = imaging_client(emulator)
    for _ in range(3):
        imaging.create_datastore(datastoreName="paged")
    every = [d["datastoreId"] for d in imaging.list_datastores()["datastoreSummaries"]]
    paged: list[str] = []
    kwargs: dict[str, Any] = {"maxResults": 2}
    while True:
        page = imaging.list_datastores(**kwargs)
        paged += [d["datastoreId"] for d in page["datastoreSummaries"]]
        if "nextToken" not in page:
            break
        kwargs["nextToken"] = page["nextToken"]
    assert paged == every
    assert len(set(every)) == len(every) >= 3
