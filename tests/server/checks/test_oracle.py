from __future__ import annotations

import base64
import gzip
import json
import time
from dataclasses import dataclass, field, replace
from typing import Any

from harness.server.context import PROFILES, Profile
from harness.server.observation import observe
from harness.server.probe import Exchange
from harness.server.run_model import RunModel
from harness.server.units import at_end
from tests.server.exchanges import JOB, OTHER, STORE, exchange, get_job, start

SHORT = replace(PROFILES["quick"], job_timeout_seconds=1.2)


@dataclass
class Context:
    """What the oracle's history checks use of a suite context; GetDICOMImportJob answers
    `answers` in turn, then COMPLETED."""

    model: RunModel
    answers: list[str] = field(default_factory=list)
    profile: Profile = SHORT
    verdicts: dict[tuple[str, str], tuple[bool, str]] = field(default_factory=dict)
    polled: int = 0
    skew: float = 0.0

    def verdict(
        self, check_id: str, subject: str, ok: bool, message: str, *e: Any, **k: Any
    ) -> bool:
        self.verdicts[(check_id, subject)] = (ok, message)
        return ok

    def remaining(self) -> float:
        return 60.0

    def get_job(self, datastore_id: str, job_id: str) -> Exchange:
        self.polled += 1
        status = self.answers.pop(0) if self.answers else "COMPLETED"
        answered = get_job(time.time(), datastore_id, self.skew, jobStatus=status)
        self.model.observe(answered)
        return answered


def judged_with(*history: Exchange, answers: tuple[str, ...] = (), skew: float = 0.0) -> Context:
    context = Context(RunModel.of(history), list(answers), skew=skew)
    for judged in at_end():
        if judged.check.family == "oracle":
            judged(context)  # type: ignore[arg-type]
    return context


def judged(*history: Exchange) -> dict[tuple[str, str], tuple[bool, str]]:
    return judged_with(*history).verdicts


def test_an_exchange_reads_back_as_its_operation_labels_and_time() -> None:
    seen = observe(get_job(1_800_000_000.0))
    assert seen is not None
    assert seen.operation == "GetDICOMImportJob"
    assert seen.labels == {"datastoreId": STORE, "jobId": JOB}
    assert seen.window == (1_800_000_000.0, 1_800_000_001.05)
    assert observe(exchange("GET", "/nowhere", {})) is None


def test_a_member_that_mirrors_what_was_sent_must_equal_it() -> None:
    now = time.time()
    sent = {"inputS3Uri": "s3://b/in/", "dataAccessRoleArn": "arn:r", "clientToken": "t"}
    good = judged(start(now, **sent), get_job(now, inputS3Uri="s3://b/in/", jobName="x"))
    assert good[("ECHO-SENT", "GetDICOMImportJob")][0]
    bad = judged(start(now, **sent), get_job(now, inputS3Uri="s3://b/in"))
    ok, message = bad[("ECHO-SENT", "GetDICOMImportJob")]
    assert not ok and "inputS3Uri" in message


def test_timestamps_in_milliseconds_or_outside_their_request_fail() -> None:
    now = time.time()
    sent = {"inputS3Uri": "s3://b/in/", "dataAccessRoleArn": "arn:r", "clientToken": "t"}
    assert judged(start(now, **sent), get_job(now + 2, submittedAt=now))[
        ("TIMESTAMP-PLAUSIBLE", "GetDICOMImportJob")
    ][0]
    milliseconds = judged(get_job(now, submittedAt=now * 1000))
    assert not milliseconds[("TIMESTAMP-PLAUSIBLE", "GetDICOMImportJob")][0]
    an_hour_early = judged(start(now, **sent), get_job(now + 2, submittedAt=now - 3600))
    assert not an_hour_early[("TIMESTAMP-PLAUSIBLE", "GetDICOMImportJob")][0]
    reversed_order = judged(get_job(now, submittedAt=now, endedAt=now - 60))
    ok, message = reversed_order[("TIMESTAMP-PLAUSIBLE", "GetDICOMImportJob")]
    assert not ok and "endedAt" in message


def test_a_target_clock_ahead_of_ours_is_allowed_for() -> None:
    now, skew = time.time(), 600.0
    sent = {"inputS3Uri": "s3://b/in/", "dataAccessRoleArn": "arn:r", "clientToken": "t"}
    history = [
        exchange(
            "POST",
            f"/startDICOMImportJob/datastore/{STORE}",
            {"jobId": JOB, "datastoreId": STORE, "submittedAt": now + skew},
            sent,
            at=now,
            server_skew=skew,
        )
    ]
    verdicts = judged_with(*history, skew=skew).verdicts
    assert verdicts[("TIMESTAMP-PLAUSIBLE", "StartDICOMImportJob")][0]


def test_a_job_answered_under_another_data_store_is_a_scope_leak() -> None:
    now = time.time()
    sent = {"inputS3Uri": "s3://b/in/", "dataAccessRoleArn": "arn:r", "clientToken": "t"}
    verdicts = judged(start(now, **sent), get_job(now, datastore=OTHER))
    ok, message = verdicts[("RESOURCE-SCOPE", "GetDICOMImportJob")]
    assert not ok and OTHER in message
    assert judged(start(now, **sent), get_job(now))[("RESOURCE-SCOPE", "GetDICOMImportJob")][0]


def test_an_update_time_lies_within_the_update_request() -> None:
    now = time.time()
    path = f"/datastore/{STORE}/imageSet/{'d' * 32}/updateImageSetMetadata?latestVersion=1"
    answer = {"datastoreId": STORE, "imageSetId": "d" * 32, "latestVersionId": "2"}
    on_time = exchange("POST", path, {**answer, "updatedAt": now, "createdAt": now - 60}, {})
    late = exchange("POST", path, {**answer, "updatedAt": now - 3600, "createdAt": now - 7200}, {})
    assert judged(on_time)[("TIMESTAMP-PLAUSIBLE", "UpdateImageSetMetadata")][0]
    ok, message = judged(late)[("TIMESTAMP-PLAUSIBLE", "UpdateImageSetMetadata")]
    assert not ok and "updatedAt" in message


def test_every_accepted_job_is_followed_until_it_ends() -> None:
    now = time.time()
    sent = {"inputS3Uri": "s3://b/in/", "dataAccessRoleArn": "arn:r", "clientToken": "t"}
    ends = judged_with(start(now, **sent), answers=("IN_PROGRESS", "COMPLETED"))
    assert ends.verdicts[("JOB-ENDS", "GetDICOMImportJob")][0] and ends.polled == 2
    already = judged_with(start(now, **sent), get_job(now, jobStatus="FAILED"))
    assert already.verdicts[("JOB-ENDS", "GetDICOMImportJob")][0] and already.polled == 0


def test_an_accepted_job_that_never_ends_fails_with_its_statuses() -> None:
    now = time.time()
    sent = {"inputS3Uri": "s3://b/in/", "dataAccessRoleArn": "arn:r", "clientToken": "t"}
    stuck = judged_with(start(now, **sent), answers=("IN_PROGRESS",) * 100)
    ok, message = stuck.verdicts[("JOB-ENDS", "GetDICOMImportJob")]
    assert not ok and f"job {JOB} seen SUBMITTED -> IN_PROGRESS" in message
    assert ("JOB-ENDS", "GetDICOMImportJob") not in judged(get_job(now, jobStatus="IN_PROGRESS"))


def _metadata_read(image_set: str, version: str, patient: dict[str, Any]) -> Exchange:
    document = {"SchemaVersion": "1.1", "Patient": {"DICOM": patient}, "Study": {"DICOM": {}}}
    read = exchange(
        "POST", f"/datastore/{STORE}/imageSet/{image_set}/getImageSetMetadata?version={version}", {}
    )
    read.wire_body = gzip.compress(json.dumps(document).encode())
    read.body = b""
    return read


def test_a_version_an_update_made_holds_what_it_set_and_lacks_what_it_removed() -> None:
    image_set = "d" * 32
    updatable = {"SchemaVersion": 1.1, "Patient": {"DICOM": {"PatientName": "AHI^NEW"}}}
    removable = {"SchemaVersion": 1.1, "Patient": {"DICOM": {"PatientBirthDate": "19700101"}}}
    sent = {
        "DICOMUpdates": {
            "updatableAttributes": base64.b64encode(json.dumps(updatable).encode()).decode(),
            "removableAttributes": base64.b64encode(json.dumps(removable).encode()).decode(),
        }
    }
    update = exchange(
        "POST",
        f"/datastore/{STORE}/imageSet/{image_set}/updateImageSetMetadata?latestVersion=1",
        {"datastoreId": STORE, "imageSetId": image_set, "latestVersionId": "2"},
        sent,
    )
    good = judged(update, _metadata_read(image_set, "2", {"PatientName": "AHI^NEW"}))
    assert good[("ECHO-SENT", "GetImageSetMetadata")][0]
    kept_old = judged(update, _metadata_read(image_set, "2", {"PatientName": "AHI^OLD"}))
    ok, message = kept_old[("ECHO-SENT", "GetImageSetMetadata")]
    assert not ok and "Patient.PatientName='AHI^OLD'" in message
    not_removed = judged(
        update,
        _metadata_read(image_set, "2", {"PatientName": "AHI^NEW", "PatientBirthDate": "1970"}),
    )
    ok, message = not_removed[("ECHO-SENT", "GetImageSetMetadata")]
    assert not ok and "PatientBirthDate" in message
    older = judged(update, _metadata_read(image_set, "1", {"PatientName": "AHI^OLD"}))
    assert ("ECHO-SENT", "GetImageSetMetadata") not in older  # version 1 was not updated
