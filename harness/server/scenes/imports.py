"""The run's two imports, started together and followed once: the known DICOM set,
and an input bucket that does not exist."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from harness.server.context import Shared, SuiteContext
from harness.server.probe import Exchange

IMPORTS: Shared[Imports] = Shared("the run's two imports")

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
