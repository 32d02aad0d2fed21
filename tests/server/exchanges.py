"""Exchanges as a target would answer them, for tests that read a run's history."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any

from harness.server.probe import Exchange
from harness.server.run_model import RunModel

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
