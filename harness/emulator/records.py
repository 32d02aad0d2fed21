"""What the service keeps: data stores, import jobs, image sets and their versions, and IDs."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

TERMINAL_JOB_STATUSES = frozenset({"COMPLETED", "FAILED"})


def new_id() -> str:
    """32 lowercase hexadecimal characters, as the service's IDs are."""
    return uuid.uuid4().hex


def fingerprint(values: dict[str, Any]) -> str:
    """A digest of a request's parameters, kept on its record to tell replays from conflicts."""
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


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


@dataclass
class ImageSet:
    """An image set: its latest version, its lifecycle and its search fields.

    `state` and `workflow_status` are what the set shows once no write holds it;
    while `locked_until` lies ahead it shows LOCKED with `lock_workflow`.
    `dicom_tags` holds the search summary's DICOMTags of the latest version.
    """

    image_set_id: str
    datastore_id: str
    created_at: float
    updated_at: float
    latest_version: int
    is_primary: bool
    workflow_status: str
    state: str = "ACTIVE"
    lock_workflow: str | None = None
    locked_until: float = 0.0
    deleted_at: float | None = None
    dicom_tags: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    seq: int = 0

    def locked(self, now: float) -> bool:
        """Whether a write still holds the set at `now`."""
        return self.lock_workflow is not None and now < self.locked_until

    def gone(self, now: float) -> bool:
        """Whether a delete has completed by `now`."""
        return self.state == "DELETED" and not self.locked(now)

    def shown_state(self, now: float) -> tuple[str, str]:
        """(imageSetState, imageSetWorkflowStatus) as a reader sees them at `now`."""
        if self.locked(now):
            return "LOCKED", self.lock_workflow or ""
        return self.state, self.workflow_status


@dataclass
class ImageSetVersion:
    """One version of an image set; its metadata document is stored beside it."""

    image_set_id: str
    version: int
    created_at: float
    updated_at: float
    workflow_status: str
    is_primary: bool
    forced: bool = False
    message: str | None = None
