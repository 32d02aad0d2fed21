"""Data stores with the real boto3 client over real ports: lifecycle, deletion rules, pages."""

from __future__ import annotations

from typing import Any

from harness.emulator import Emulator
from harness.imaging.known_set import upload
from tests.emulator.conftest import (
    active_datastore,
    buckets,
    error_of,
    finished_job,
    imaging_client,
    start_import,
    wait_until,
)


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
    assert error_of(imaging.delete_datastore, datastoreId=empty) == ("ConflictException", 409)

    holding = active_datastore(imaging)
    source, target = buckets(s3)
    upload(s3, source, "input/")
    job = start_import(imaging, holding, source, target)
    assert finished_job(imaging, holding, job["jobId"])["jobStatus"] == "COMPLETED"
    assert error_of(imaging.delete_datastore, datastoreId=holding) == ("ConflictException", 409)


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
