"""The run's two imports, started together and followed once: the known DICOM set,
and an input bucket that does not exist; and the known set's results, read once."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.server.context import Shared, SuiteContext
from harness.server.probe import Exchange
from harness.server.scenes.outputs import FAILURE, MANIFEST, SUCCESS, job_folder, ndjson_objects

IMPORTS: Shared[Imports] = Shared("the run's two imports")
RESULTS: Shared[Results] = Shared("the known set's import results, read")

ORDER = {"SUBMITTED": 0, "IN_PROGRESS": 1, "COMPLETED": 2, "FAILED": 2}
"""Where each job status stands in a job's life (API reference, JobStatus)."""
TERMINAL = ("COMPLETED", "FAILED")
"""The job statuses that end a job."""


def job_status(exchange: Exchange) -> str | None:
    """The jobStatus a GetDICOMImportJob answer holds, or None when it holds none."""
    body = exchange.json() if exchange.status == 200 else None
    properties = body.get("jobProperties") if isinstance(body, dict) else None
    status = properties.get("jobStatus") if isinstance(properties, dict) else None
    return status if isinstance(status, str) else None


def start_job(context: SuiteContext, **changes: Any) -> tuple[str | None, Exchange]:
    """Start a job on the suite's data store: its id (None when the answer holds none)
    and the answer."""
    exchange = context.start_job(context.env.datastore_id, **context.start_body(**changes))
    body = exchange.json() if exchange.status == 200 else None
    job_id = body.get("jobId") if isinstance(body, dict) else None
    return (job_id if isinstance(job_id, str) else None), exchange


@dataclass
class Followed:
    """One job: the answer that started it, then its polls until it ended (and three more
    reads)."""

    job_id: str | None
    started: Exchange | None = None
    seen: list[tuple[Exchange, dict[str, Any]]] = field(default_factory=list)
    broken: Exchange | None = None

    @property
    def last(self) -> tuple[Exchange, dict[str, Any]] | None:
        return self.seen[-1] if self.seen else None


def follow(context: SuiteContext, job_id: str, timeout: float) -> Followed:
    """Poll a job until it ends, the answers break, or `timeout`."""
    followed = Followed(job_id)
    deadline = time.monotonic() + timeout
    terminal_reads = 0
    while time.monotonic() < deadline and terminal_reads < 4:
        exchange = context.get_job(context.env.datastore_id, job_id)
        body = exchange.json()
        properties = body.get("jobProperties") if isinstance(body, dict) else None
        if exchange.status != 200 or not isinstance(properties, dict):
            followed.broken = exchange
            return followed
        followed.seen.append((exchange, properties))
        if properties.get("jobStatus") in TERMINAL:
            terminal_reads += 1
        else:
            time.sleep(0.2)
    return followed


@dataclass
class Imports:
    """The run's two imports: the known DICOM set, and a bucket that does not exist."""

    main: Followed
    failing: Followed


MAIN_NOTE = "the import of the known DICOM set"
FAILING_NOTE = "input bucket that does not exist"


def imports(context: SuiteContext) -> Imports:
    """Both imports, started together and followed, once per run."""

    def run() -> Imports:
        timeout = context.profile.job_timeout_seconds
        both = []
        for changes in (
            {"jobName": "ahi-contract-known-set"},
            {
                "jobName": "ahi-contract-missing-bucket",
                "clientToken": uuid.uuid4().hex,
                "inputS3Uri": f"s3://ahi-contract-missing-{uuid.uuid4().hex[:12]}/input/",
            },
        ):
            job_id, exchange = start_job(context, **changes)
            both.append((job_id, exchange))
        followed = []
        for job_id, exchange in both:
            one = follow(context, job_id, timeout) if job_id else Followed(None)
            one.started = exchange
            followed.append(one)
        return Imports(*followed)

    return context.shared(IMPORTS, run)


def output_folder(context: SuiteContext, job_id: str) -> tuple[str, str]:
    """A job's output folder as an S3 key and as the URI GetDICOMImportJob must report."""
    env = context.env
    key = job_folder(env.output_prefix, env.datastore_id, job_id)
    return key, f"s3://{env.output_bucket}/{key}"


def read_output(context: SuiteContext, key: str) -> bytes | None:
    """An object of the suite's output bucket, or None when it cannot be read."""
    try:
        body: bytes = context.s3.get_object(Bucket=context.env.output_bucket, Key=key)[
            "Body"
        ].read()
        return body
    except (ClientError, BotoCoreError):
        return None


RESULT_FILES = (MANIFEST, SUCCESS, FAILURE)


@dataclass
class Results:
    """The known set's result files, read: `parsed` when the manifest holds a jobSummary
    object and every line of both ndjson files is a JSON object (the lines that are one
    are kept either way)."""

    job_id: str
    where: str
    folder_uri: str
    missing: list[str]
    parsed: bool
    summary: dict[str, Any]
    successes: list[dict[str, Any]]
    failures: list[dict[str, Any]]


def _manifest_summary(raw: bytes | None) -> dict[str, Any] | None:
    try:
        summary = json.loads(raw or b"null")["jobSummary"]
    except (ValueError, TypeError, KeyError):
        return None
    return summary if isinstance(summary, dict) else None


def _all_objects(raw: bytes | None, found: list[dict[str, Any]]) -> bool:
    return len(found) == sum(1 for line in (raw or b"").splitlines() if line.strip())


def results(context: SuiteContext) -> Results | None:
    """The known set's import results, read once; None when the import did not complete."""
    main = imports(context).main
    if main.last is None or main.job_id is None or main.last[1].get("jobStatus") != "COMPLETED":
        return None
    job_id = main.job_id

    def read() -> Results:
        key, uri = output_folder(context, job_id)
        raw = {name: read_output(context, key + name) for name in RESULT_FILES}
        missing = [name for name, data in raw.items() if data is None]
        summary = _manifest_summary(raw[MANIFEST])
        successes = ndjson_objects(raw[SUCCESS] or b"")
        failures = ndjson_objects(raw[FAILURE] or b"")
        parsed = (
            summary is not None
            and _all_objects(raw[SUCCESS], successes)
            and _all_objects(raw[FAILURE], failures)
        )
        where = f"s3://{context.env.output_bucket}/{key} (job {job_id})"
        return Results(job_id, where, uri, missing, parsed, summary or {}, successes, failures)

    return context.shared(RESULTS, read)
