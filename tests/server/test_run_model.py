from __future__ import annotations

import time

from harness.aws.sigv4 import AwsCredentials
from harness.server.probe import Exchange, Probe
from harness.server.run_model import NOT_FOUND, RunModel
from tests.server.exchanges import JOB, OTHER, STORE, exchange, get_job, start

SENT = {"inputS3Uri": "s3://b/in/", "dataAccessRoleArn": "arn:r", "clientToken": "t1"}


def _start(job_id: str, datastore: str, token: str, status: int = 200) -> Exchange:
    answer = {"jobId": job_id, "datastoreId": datastore, "jobStatus": "SUBMITTED"}
    return exchange(
        "POST",
        f"/startDICOMImportJob/datastore/{datastore}",
        answer,
        {**SENT, "clientToken": token},
        status=status,
    )


def _datastore(datastore: str, status: str | None, code: int = 200) -> Exchange:
    answer = {} if status is None else {"datastoreProperties": {"datastoreStatus": status}}
    return exchange("GET", f"/datastore/{datastore}", answer, status=code)


def test_jobs_are_known_under_their_own_data_store_and_token() -> None:
    model = RunModel.of(
        [_start("j1", STORE, "t1"), _start("j2", OTHER, "t2"), _start("j3", STORE, "t3", 402)]
    )
    assert model.jobs_in(STORE) == {"j1"} and model.jobs_in(OTHER) == {"j2"}
    made = model.made_with("StartDICOMImportJob", "t1")
    assert made is not None and made.id == "j1" and made.sent["inputS3Uri"] == "s3://b/in/"
    assert model.made_with("StartDICOMImportJob", "t3") is None
    assert model.made_with("CreateDatastore", "t1") is None


def test_a_token_keeps_what_its_first_call_made() -> None:
    model = RunModel.of([_start("j1", STORE, "t1"), _start("j9", STORE, "t1")])
    made = model.made_with("StartDICOMImportJob", "t1")
    assert made is not None and made.id == "j1"
    assert model.jobs_in(STORE) == {"j1", "j9"}  # both were accepted: both must be listed


def test_statuses_are_kept_in_order_from_starts_and_reads_only() -> None:
    now = time.time()
    listed = exchange(
        "GET",
        f"/listDICOMImportJobs/datastore/{STORE}",
        {"jobSummaries": [{"jobId": JOB, "jobStatus": "FAILED", "datastoreId": STORE}]},
    )
    model = RunModel.of(
        [
            start(now, **SENT),
            get_job(now, jobStatus="IN_PROGRESS"),
            get_job(now, jobStatus="IN_PROGRESS"),
            listed,
            get_job(now, jobStatus="COMPLETED"),
        ]
    )
    assert [status for status, _ in model.statuses(JOB)] == [
        "SUBMITTED",
        "IN_PROGRESS",
        "COMPLETED",
    ]
    assert model.status(JOB) == "COMPLETED"
    assert model.status("never-made") is None


def test_a_data_store_not_found_after_deletion_is_recorded_as_such() -> None:
    created = exchange(
        "POST",
        "/datastore",
        {"datastoreId": STORE, "datastoreStatus": "CREATING"},
        {"datastoreName": "n", "clientToken": "d1"},
    )
    model = RunModel.of(
        [
            created,
            _datastore(STORE, "ACTIVE"),
            _datastore(STORE, None, 404),
            _datastore(OTHER, None, 404),
        ]
    )
    assert [status for status, _ in model.statuses(STORE)] == ["CREATING", "ACTIVE", NOT_FOUND]
    assert model.statuses(OTHER) == []  # not made by the run: nothing to expect of it
    made = model.made_with("CreateDatastore", "d1")
    assert made is not None and made.id == STORE


def test_a_clock_offset_the_date_headers_disagree_on_is_the_median_of_their_middles() -> None:
    now = time.time()
    model = RunModel()
    for skew in (100.0, 120.0, 3000.0):
        model.observe(exchange("GET", "/datastore", {}, at=now, server_skew=skew))
    assert 118 <= model.offset <= 122
    low, high = model.on_target_clock((now, now + 1)) or (0.0, 0.0)
    assert low < now + 120 < now + 121 < high


def test_the_probe_tells_its_observers_of_every_exchange_it_completes() -> None:
    probe = Probe("http://127.0.0.1:9", AwsCredentials("AKID", "secret"), "us-east-1", 2)
    told: list[Exchange] = []
    probe.observers.append(told.append)
    sent = probe.call("GetDatastore", datastoreId=STORE)
    assert told == [sent] and sent.error is not None


def test_a_replayed_start_does_not_read_as_a_status_seen_again() -> None:
    now = time.time()
    model = RunModel.of(
        [start(now, **SENT), get_job(now, jobStatus="COMPLETED"), start(now, **SENT)]
    )
    assert [status for status, _ in model.statuses(JOB)] == ["SUBMITTED", "COMPLETED"]


def test_a_read_of_the_latest_version_is_the_one_getimageset_last_showed_settled() -> None:
    image_set = "d" * 32
    base = f"/datastore/{STORE}/imageSet/{image_set}"

    def settled(version: str) -> Exchange:
        answer = {"versionId": version, "imageSetState": "ACTIVE", "imageSetId": image_set}
        return exchange("POST", f"{base}/getImageSet", answer)

    def read(query: str = "") -> Exchange:
        return exchange("POST", f"{base}/getImageSetMetadata{query}", {})

    updated = exchange(
        "POST", f"{base}/updateImageSetMetadata?latestVersion=2", {"latestVersionId": "3"}, {}
    )
    history = [settled("2"), read(), read("?version=1"), updated, read(), settled("3"), read()]
    model = RunModel.of(history)
    reads = [seen for seen in model.observations if seen.operation == "GetImageSetMetadata"]
    assert [model.read_version(seen) for seen in reads] == ["2", "1", None, "3"]


def test_an_image_set_s_versions_are_those_its_copy_and_updates_made() -> None:
    copy, source = "e" * 32, "d" * 32
    copied = exchange(
        "POST",
        f"/datastore/{STORE}/imageSet/{source}/copyImageSet",
        {"destinationImageSetProperties": {"imageSetId": copy, "latestVersionId": "1"}},
        {},
    )
    updated = exchange(
        "POST",
        f"/datastore/{STORE}/imageSet/{copy}/updateImageSetMetadata?latestVersion=1",
        {"latestVersionId": "2"},
        {"revertToVersionId": "1"},
    )
    refused = exchange(
        "POST",
        f"/datastore/{STORE}/imageSet/{copy}/updateImageSetMetadata?latestVersion=1",
        {"message": "stale"},
        {},
        status=409,
    )
    model = RunModel.of([copied, updated, refused])
    assert model.versions(copy) == {"1", "2"} and model.versions(source) == set()
    assert model.image_sets[copy] == STORE
    assert {made.id: made.datastore_id for made in model.copies.values()} == {copy: STORE}


def test_answers_of_the_wrong_shape_teach_nothing_and_raise_nothing() -> None:
    garbled = [
        exchange(
            "POST", f"/datastore/{STORE}/searchImageSets", {"imageSetsMetadataSummaries": [1]}
        ),
        exchange("POST", f"/datastore/{STORE}/searchImageSets", {"imageSetsMetadataSummaries": 5}),
        exchange(
            "POST",
            f"/datastore/{STORE}/imageSet/{'d' * 32}/copyImageSet",
            {"destinationImageSetProperties": "x"},
            {},
        ),
        exchange("GET", f"/datastore/{STORE}/importJob/{JOB}", {"jobProperties": ["x"]}),
        exchange("GET", f"/datastore/{STORE}", {"datastoreProperties": 3}),
    ]
    model = RunModel.of([_start(JOB, STORE, "t1"), _datastore(STORE, "ACTIVE"), *garbled])
    assert model.copies == {} and model.image_sets == {}
    assert [status for status, _ in model.statuses(JOB)] == ["SUBMITTED"]


def test_answers_held_in_a_queue_do_not_move_the_clock_offset() -> None:
    """Same clock, but most answers were stamped four seconds after they were sent (held in
    a loaded target's queue): the quick answers bound the offset, and it stays near zero."""
    now = float(int(time.time()))
    model = RunModel()
    for n in range(3):
        model.observe(exchange("GET", "/datastore", {}, at=now + n, server_skew=0.0))
    for n in range(7):
        late = exchange("GET", "/datastore", {}, at=now + n, server_skew=4.0)
        late.elapsed = 4.5
        model.observe(late)
    assert abs(model.offset) <= 0.5


def test_requests_sent_long_after_they_were_signed_do_not_move_the_clock_offset() -> None:
    """Same clock, but most requests waited two seconds between signing and sending (a
    loaded harness) and were answered at once: the time each answer arrived bounds when it
    was handled, and the offset stays near zero."""
    now = float(int(time.time()))
    model = RunModel()
    for n in range(3):
        quick = exchange("GET", "/datastore", {}, at=now + n + 0.5)
        quick.started_at = now + n + 0.5
        model.observe(quick)
    for n in range(7):
        waited = exchange("GET", "/datastore", {}, at=now + n + 0.2, server_skew=2.0)
        waited.started_at = now + n + 2.2
        model.observe(waited)
    assert abs(model.offset) <= 0.5
