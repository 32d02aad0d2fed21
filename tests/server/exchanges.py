"""Exchanges as a target would answer them, for tests that read a run's history; and a
scripted target, for tests of checks that call one."""

from __future__ import annotations

import gzip
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any

import requests
import responses
from pydicom.dataset import Dataset

from harness.aws.sigv4 import AwsCredentials
from harness.imaging.known_set import SampleFile
from harness.report.record import RunRecord
from harness.server.context import PROFILES, Environment, Profile, SuiteContext, Target
from harness.server.observation import Observation, observe
from harness.server.probe import Exchange, Probe
from harness.server.run_model import RunModel
from harness.server.scenes.imaging import ImportedFile, MetadataRead, Scene
from harness.server.scenes.updates import UpdateRun

ENDPOINT = "http://127.0.0.1:1"
STORE, OTHER, JOB = "a" * 32, "b" * 32, "c" * 32


def exchange(
    method: str,
    path: str,
    answer: dict[str, Any],
    sent: dict[str, Any] | None = None,
    at: float | None = None,
    server_skew: float = 0.0,
    status: int = 200,
) -> Exchange:
    at = time.time() if at is None else at
    stamp = datetime.fromtimestamp(at, UTC).strftime("%Y%m%dT%H%M%SZ")
    return Exchange(
        method=method,
        url=ENDPOINT + path,
        request_headers={"X-Amz-Date": stamp},
        request_body=json.dumps(sent).encode() if sent is not None else None,
        status=status,
        headers={"Date": formatdate(at + server_skew, usegmt=True)},
        body=json.dumps(answer).encode(),
        elapsed=0.05,
    )


def start(at: float, **sent: Any) -> Exchange:
    body = {"jobId": JOB, "datastoreId": STORE, "jobStatus": "SUBMITTED", "submittedAt": at}
    return exchange("POST", f"/startDICOMImportJob/datastore/{STORE}", body, sent, at=at)


def get_job(
    at: float, datastore: str = STORE, server_skew: float = 0.0, **properties: Any
) -> Exchange:
    body = {"jobProperties": {"jobId": JOB, "datastoreId": datastore, **properties}}
    path = f"/getDICOMImportJob/datastore/{datastore}/job/{JOB}"
    return exchange("GET", path, body, at=at, server_skew=server_skew)


@dataclass
class HistoryContext:
    """What a check judged on the history uses of a suite context: the run model, and the
    verdicts it records by (check, subject)."""

    model: RunModel
    verdicts: dict[tuple[str, str], tuple[bool, str]] = field(default_factory=dict)

    def verdict(
        self, check_id: str, subject: str, ok: bool, message: str, *e: Any, **k: Any
    ) -> bool:
        self.verdicts[(check_id, subject)] = (ok, message)
        return ok


@dataclass
class Reply:
    """What a scripted target answers one request: a JSON body (or bytes as they are), the
    status, and headers beside the ones every answer carries."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def refusal(status: int, code: str, message: str = "refused") -> Reply:
    """An AWS error answer: X-Amzn-Errortype and a JSON `message`."""
    return Reply({"message": message}, status, {"X-Amzn-Errortype": code})


Answer = Callable[[Observation], Reply]
"""A scripted target: the answer to each request, read as the operation it calls."""

ENVIRONMENT = Environment(STORE, True, "in-bucket", "input/", "out-bucket", "out/")
CREDENTIALS = AwsCredentials("AKIDAHICONTRACTTEST", "test-secret")


def _answering(answer: Answer) -> Callable[[requests.PreparedRequest], tuple[int, Any, bytes]]:
    def respond(request: requests.PreparedRequest) -> tuple[int, Any, bytes]:
        body = request.body if isinstance(request.body, bytes) else None
        sent = Exchange(str(request.method), str(request.url), dict(request.headers), body)
        seen = observe(sent)
        reply = refusal(404, "UnknownOperationException") if seen is None else answer(seen)
        raw = reply.body if isinstance(reply.body, bytes) else b""
        if reply.body is not None and not isinstance(reply.body, bytes):
            raw = json.dumps(reply.body).encode()
        headers = {
            "Content-Type": "application/json",
            "x-amzn-RequestId": uuid.uuid4().hex,
            "Date": formatdate(usegmt=True),
            **reply.headers,
        }
        return reply.status, headers, raw

    return respond


@contextmanager
def scripted(
    answer: Answer,
    environment: Environment | None = ENVIRONMENT,
    profile: Profile = PROFILES["quick"],
    job_quota: int | None = None,
) -> Iterator[SuiteContext]:
    """A suite context whose probe sends each request to `answer` instead of a network (the
    real probe, signing and run model; only the transport is replaced)."""
    target = Target(
        ENDPOINT,
        "us-east-1",
        CREDENTIALS,
        None,
        CREDENTIALS,
        "arn:aws:iam::123456789012:role/ImportRole",
        job_quota=job_quota,
    )
    record = RunRecord(kind="server", target={}, tool={}, seed=1, profile=profile.name)
    probe = Probe(ENDPOINT, CREDENTIALS, "us-east-1")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in ("GET", "POST", "PUT", "DELETE"):
            mock.add_callback(method, re.compile(re.escape(ENDPOINT) + ".*"), _answering(answer))
        yield SuiteContext(target, probe, record, profile, 1, environment)


def unreachable(seen: Observation) -> Reply:
    """A target for checks judged on what was shared with them: any request is a mistake."""
    raise AssertionError(f"unexpected {seen.operation}")


def outcomes(context: SuiteContext, check_id: str) -> list[tuple[str, str, str]]:
    """(subject, status, message) of each outcome `check_id` recorded, in order."""
    return [
        (outcome.subject, outcome.status, outcome.message)
        for outcome in context.record.outcomes
        if outcome.check_id == check_id
    ]


def failures(context: SuiteContext, check_id: str) -> list[tuple[str, str]]:
    """(subject, message) of each outcome of `check_id` that did not pass."""
    found = outcomes(context, check_id)
    return [(subject, message) for subject, status, message in found if status != "passed"]


def imported_scene(*image_set_ids: str) -> Scene:
    """A completed import of the known set, one file going to each of `image_set_ids`."""
    files = [
        ImportedFile(SampleFile(f"f{number}.dcm", b"", True, "valid"), Dataset(), image_set_id)
        for number, image_set_id in enumerate(image_set_ids)
    ]
    return Scene(job_id=JOB, status="COMPLETED", files=files)


def metadata(document: dict[str, Any]) -> Reply:
    """A GetImageSetMetadata answer: the document as gzip bytes."""
    raw = gzip.compress(json.dumps(document).encode())
    return Reply(raw, headers={"Content-Encoding": "gzip"})


def update_run(image_set_id: str, **attributes: Any) -> UpdateRun:
    """The run's update of `image_set_id` as if made from version 1 to 2 and settled,
    `attributes` changed; made without calling a target."""
    run = UpdateRun.__new__(UpdateRun)
    answered = {"imageSetId": image_set_id, "latestVersionId": "2", "imageSetState": "LOCKED"}
    path = f"/datastore/{STORE}/imageSet/{image_set_id}"
    settled = {"imageSetId": image_set_id, "versionId": "2", "imageSetState": "ACTIVE"}
    defaults: dict[str, Any] = {
        "image_set_id": image_set_id,
        "version_before": "1",
        "new_name": "AHI^CONTRACT^UPDATED",
        "exchange": exchange("POST", f"{path}/updateImageSetMetadata?latestVersion=1", answered),
        "answer": answered,
        "second_write": exchange(
            "POST",
            f"{path}/updateImageSetMetadata?latestVersion=2",
            {"message": "locked"},
            status=409,
        ),
        "after": settled,
        "after_exchange": exchange("POST", f"{path}/getImageSet", settled),
        "before_exchange": exchange("POST", f"{path}/getImageSet", {"versionId": "1"}),
        "metadata_before": MetadataRead(
            exchange("POST", f"{path}/getImageSetMetadata?version=1", {}), {"Patient": {}}
        ),
    }
    defaults["second_write"].headers["X-Amzn-Errortype"] = "ConflictException"
    for name, value in {**defaults, **attributes}.items():
        setattr(run, name, value)
    return run
