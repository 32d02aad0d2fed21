"""The emulator's records: what the service keeps about data stores and import jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TERMINAL_JOB_STATUSES = frozenset({"COMPLETED", "FAILED"})
JOB_STATUS_ORDER = {"SUBMITTED": 0, "IN_PROGRESS": 1, "COMPLETED": 2, "FAILED": 2}


@dataclass
class Datastore:
    """A data store. Timestamps are epoch seconds."""

    datastore_id: str
    datastore_name: str
    datastore_status: str
    created_at: float
    updated_at: float
    ready_at: float
    client_token: str | None = None
    fingerprint: str = ""
    kms_key_arn: str | None = None
    lambda_authorizer_arn: str | None = None
    lossless_storage_format: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    deleted_at: float | None = None
    seq: int = 0


@dataclass
class ImportJob:
    """An import job. `output_prefix` is what the caller passed; `output_folder` the job's."""

    job_id: str
    datastore_id: str
    job_name: str
    job_status: str
    data_access_role_arn: str
    input_s3_uri: str
    output_prefix: str
    output_folder: str
    submitted_at: float
    client_token: str | None = None
    fingerprint: str = ""
    ended_at: float | None = None
    message: str | None = None
    input_owner_account_id: str | None = None
    import_configuration: dict[str, Any] | None = None
    seq: int = 0
