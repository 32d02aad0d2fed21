"""Import jobs with the real boto3 client over real ports: idempotent starts, not-found and
conflicts, the quota, and pages of ListDICOMImportJobs."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from harness.emulator import Limits
from tests.emulator.conftest import (
    ROLE,
    active_datastore,
    buckets,
    error_of,
    finished_job,
    imaging_client,
    start_emulator,
    start_import,
)


def test_replay_with_the_same_token_returns_the_same_job(imaging: Any, s3: Any) -> None:
    datastore_id = active_datastore(imaging)
    source, target = buckets(s3)
    token = uuid.uuid4().hex
    first = start_import(imaging, datastore_id, source, target, clientToken=token)
    second = start_import(imaging, datastore_id, source, target, clientToken=token)
    assert second["jobId"] == first["jobId"]
    assert second["submittedAt"] == first["submittedAt"]
    jobs = imaging.list_dicom_import_jobs(datastoreId=datastore_id)["jobSummaries"]
    assert [job["jobId"] for job in jobs] == [first["jobId"]]


def test_same_token_with_other_parameters_is_a_conflict(imaging: Any, s3: Any) -> None:
    datastore_id = active_datastore(imaging)
    source, target = buckets(s3)
    token = uuid.uuid4().hex
    start_import(imaging, datastore_id, source, target, clientToken=token)
    assert error_of(
        start_import,
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
                lambda _: start_import(imaging, datastore_id, source, target, clientToken=token)[
                    "jobId"
                ],
                range(16),
            )
        )
    assert len(set(answers)) == 1
    listed = imaging.list_dicom_import_jobs(datastoreId=datastore_id)["jobSummaries"]
    assert len(listed) == 1


def test_unknown_datastore_and_job_are_not_found(imaging: Any) -> None:
    assert error_of(imaging.get_datastore, datastoreId="0" * 32) == (
        "ResourceNotFoundException",
        404,
    )
    datastore_id = active_datastore(imaging)
    assert error_of(imaging.get_dicom_import_job, datastoreId=datastore_id, jobId="abc") == (
        "ResourceNotFoundException",
        404,
    )
    assert error_of(
        imaging.start_dicom_import_job,
        datastoreId="0" * 32,
        dataAccessRoleArn=ROLE,
        inputS3Uri="s3://bucket/in/",
        outputS3Uri="s3://bucket/out/",
    ) == ("ResourceNotFoundException", 404)


def test_a_datastore_that_is_not_active_takes_no_jobs(imaging: Any) -> None:
    datastore_id = imaging.create_datastore(datastoreName="creating")["datastoreId"]
    assert error_of(
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
        start_import(imaging, datastore_id, source, target)
        start_import(imaging, datastore_id, source, target)
        assert error_of(
            start_import, imaging=imaging, datastore_id=datastore_id, source=source, target=target
        ) == ("ServiceQuotaExceededException", 402)
    finally:
        emulator.stop()


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
    started = [start_import(imaging, datastore_id, source, target)["jobId"] for _ in range(7)]
    for page_size in (1, 2, 3, 6, 7, 50):
        assert _all_pages(imaging, datastore_id, page_size) == started
    for job_id in started:
        finished_job(imaging, datastore_id, job_id)
    assert _all_pages(imaging, datastore_id, 2, jobStatus="COMPLETED") == started
    assert _all_pages(imaging, datastore_id, 2, jobStatus="SUBMITTED") == []


def test_jobs_added_during_a_walk_appear_once_and_none_is_skipped(imaging: Any, s3: Any) -> None:
    datastore_id = active_datastore(imaging)
    source, target = buckets(s3)
    started = [start_import(imaging, datastore_id, source, target)["jobId"] for _ in range(4)]
    page = imaging.list_dicom_import_jobs(datastoreId=datastore_id, maxResults=2)
    seen = [job["jobId"] for job in page["jobSummaries"]]
    started.append(start_import(imaging, datastore_id, source, target)["jobId"])
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
        start_import(imaging, datastore_id, source, target)
    token = imaging.list_dicom_import_jobs(datastoreId=datastore_id, maxResults=1)["nextToken"]
    tampered = ("A" if token[0] != "A" else "B") + token[1:]
    for bad in (tampered, "garbage", token[:-2]):
        assert error_of(
            imaging.list_dicom_import_jobs, datastoreId=datastore_id, nextToken=bad
        ) == (
            "ValidationException",
            400,
        )
    assert error_of(
        imaging.list_dicom_import_jobs,
        datastoreId=datastore_id,
        nextToken=token,
        jobStatus="FAILED",
    ) == ("ValidationException", 400)
