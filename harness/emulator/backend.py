"""The service's behaviour: data store and import-job lifecycles, idempotency,
quotas and pagination. Handlers call it with validated input in the model's
member names and get back output in the same form.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.emulator.exceptions import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ThrottlingException,
    ValidationException,
)
from harness.emulator.faults import Switchboard
from harness.emulator.pagination import TokenCodec
from harness.emulator.records import TERMINAL_JOB_STATUSES, Datastore, ImportJob
from harness.emulator.store import Store

DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True)
class Limits:
    """Quotas and timings; defaults are the service's documented quotas."""

    concurrent_jobs_per_datastore: int = 100
    datastores: int = 100
    datastore_transition_seconds: float = 1.0
    job_start_delay_seconds: float = 0.2
    image_set_write_seconds: float = 0.2
    """How long an update, copy or delete holds its image sets LOCKED."""
    tags_per_resource: int = 50


def new_id() -> str:
    """32 lowercase hexadecimal characters, as the service's ids are."""
    return uuid.uuid4().hex


def fingerprint(values: dict[str, Any]) -> str:
    """A digest of a request's parameters, for telling replays from conflicts."""
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def output_folder(prefix: str, datastore_id: str, job_id: str) -> str:
    """Where a job writes its results (developer guide, 'Understanding import jobs').

    The prefix is treated as a folder: a `/` is added when the caller left it
    out (harness decision OUTPUT-PREFIX-FOLDER; the model does not require it).
    """
    folder = prefix if prefix.endswith("/") else prefix + "/"
    return f"{folder}{datastore_id}-DicomImport-{job_id}/"


class ImagingBackend:
    """One account's HealthImaging state."""

    def __init__(
        self,
        store: Store,
        faults: Switchboard,
        limits: Limits,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.faults = faults
        self.limits = limits
        self.region = region
        self.account_id = account_id
        self.clock = clock
        self.tokens = TokenCodec(secrets.token_bytes(32))
        self._start_lock = threading.Lock()
        self.on_job_submitted: Callable[[ImportJob], None] = lambda job: None

    # data stores

    def _refresh(self, datastore: Datastore) -> Datastore:
        """Move a data store along its lifecycle once its transition time has come."""
        now = self.clock()
        if now < datastore.ready_at:
            return datastore
        moved = {"CREATING": "ACTIVE", "DELETING": "DELETED"}.get(datastore.datastore_status)
        if moved == "DELETED" and self.faults.on("datastore-deletion-stalls"):
            return datastore
        if moved:
            datastore.datastore_status = moved
            datastore.updated_at = datastore.ready_at
            self.store.save_datastore(datastore)
        return datastore

    def datastore(self, datastore_id: str) -> Datastore:
        """The data store, moved along its lifecycle; ResourceNotFound when unknown."""
        datastore = self.store.datastore(datastore_id)
        if datastore is None:
            raise ResourceNotFoundException(f"Datastore {datastore_id} does not exist")
        return self._refresh(datastore)

    def datastore_arn(self, datastore_id: str) -> str:
        return f"arn:aws:medical-imaging:{self.region}:{self.account_id}:datastore/{datastore_id}"

    def _datastore_properties(self, datastore: Datastore) -> dict[str, Any]:
        properties: dict[str, Any] = {
            "datastoreId": datastore.datastore_id,
            "datastoreName": datastore.datastore_name,
            "datastoreStatus": datastore.datastore_status,
            "datastoreArn": self.datastore_arn(datastore.datastore_id),
            "createdAt": datastore.created_at,
            "updatedAt": datastore.updated_at,
        }
        if (
            self.faults.on("datastore-status-outside-enum")
            and datastore.datastore_status == "ACTIVE"
        ):
            properties["datastoreStatus"] = "AVAILABLE"
        if self.faults.on("datastore-times-in-milliseconds"):
            properties["createdAt"] = datastore.created_at * 1000
            properties["updatedAt"] = datastore.updated_at * 1000
        for key, value in (
            ("kmsKeyArn", datastore.kms_key_arn),
            ("lambdaAuthorizerArn", datastore.lambda_authorizer_arn),
            ("losslessStorageFormat", datastore.lossless_storage_format),
        ):
            if value is not None:
                properties[key] = value
        return properties

    def create_datastore(self, request: dict[str, Any]) -> dict[str, Any]:
        token = request["clientToken"]
        parameters = {k: v for k, v in request.items() if k != "clientToken"}
        if self.faults.on("datastore-token-ignored"):
            token = f"{token}#{new_id()}"
        with self.store.transaction():
            existing = self.store.datastore_by_token(token)
            if existing is not None:
                if existing.fingerprint != fingerprint(parameters):
                    raise ConflictException(
                        "clientToken was already used with different parameters"
                    )
                existing = self._refresh(existing)
                return {
                    "datastoreId": existing.datastore_id,
                    "datastoreStatus": existing.datastore_status,
                }
            if len(request.get("tags") or {}) > self.limits.tags_per_resource:
                raise ValidationException(
                    f"A resource has at most {self.limits.tags_per_resource} tags"
                )
            standing = [self._refresh(other) for other in self.store.datastores(0)]
            if sum(other.datastore_status != "DELETED" for other in standing) >= (
                self.limits.datastores
            ):
                raise ServiceQuotaExceededException(
                    f"The account already has the maximum of {self.limits.datastores} data stores"
                )
            now = self.clock()
            datastore = Datastore(
                datastore_id=new_id(),
                datastore_name=request.get("datastoreName") or "datastore",
                datastore_status="CREATING",
                created_at=now,
                updated_at=now,
                ready_at=now + self.limits.datastore_transition_seconds,
                client_token=token,
                fingerprint=fingerprint(parameters),
                kms_key_arn=request.get("kmsKeyArn"),
                lambda_authorizer_arn=request.get("lambdaAuthorizerArn"),
                lossless_storage_format=request.get("losslessStorageFormat"),
                tags=dict(request.get("tags") or {}),
            )
            self.store.add_datastore(datastore)
        return {"datastoreId": datastore.datastore_id, "datastoreStatus": "CREATING"}

    def get_datastore(self, request: dict[str, Any]) -> dict[str, Any]:
        datastore = self.datastore(request["datastoreId"])
        return {"datastoreProperties": self._datastore_properties(datastore)}

    def list_datastores(self, request: dict[str, Any]) -> dict[str, Any]:
        status = request.get("datastoreStatus")
        scope = {"op": "ListDatastores", "status": status}
        after = self.tokens.read(request["nextToken"], scope) if "nextToken" in request else 0
        limit = request.get("maxResults", DEFAULT_PAGE_SIZE)
        summaries: list[dict[str, Any]] = []
        next_token = None
        for datastore in self.store.datastores(after):
            datastore = self._refresh(datastore)
            if status and datastore.datastore_status != status:
                continue
            if len(summaries) == limit:
                next_token = self.tokens.issue(after, scope)
                break
            properties = self._datastore_properties(datastore)
            for key in ("kmsKeyArn", "lambdaAuthorizerArn", "losslessStorageFormat"):
                properties.pop(key, None)
            summaries.append(properties)
            after = datastore.seq
        result: dict[str, Any] = {"datastoreSummaries": summaries}
        if next_token:
            result["nextToken"] = next_token
        return result

    def delete_datastore(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            datastore = self.datastore(request["datastoreId"])
            if datastore.datastore_status != "ACTIVE":
                raise ConflictException(
                    f"Datastore {datastore.datastore_id} is {datastore.datastore_status}, "
                    "not ACTIVE"
                )
            if self.store.active_job_count(datastore.datastore_id):
                raise ConflictException("Datastore has import jobs that have not finished")
            now = self.clock()
            if self.store.image_sets.count(datastore.datastore_id, now) and not self.faults.on(
                "delete-with-image-sets"
            ):
                raise ConflictException("Datastore holds image sets; delete them first")
            datastore.datastore_status = "DELETING"
            datastore.updated_at = now
            datastore.ready_at = now + self.limits.datastore_transition_seconds
            self.store.save_datastore(datastore)
        return {"datastoreId": datastore.datastore_id, "datastoreStatus": "DELETING"}

    # import jobs

    def start_import_job(self, request: dict[str, Any]) -> dict[str, Any]:
        datastore_id = request["datastoreId"]
        token = request["clientToken"]
        parameters = {k: v for k, v in request.items() if k != "clientToken"}
        if self.faults.on("concurrent-starts-duplicate"):
            return self._start_racy(datastore_id, token, parameters)
        with self.store.transaction():
            return self._start(datastore_id, token, parameters)

    def _start_racy(
        self, datastore_id: str, token: str, parameters: dict[str, Any]
    ) -> dict[str, Any]:
        replay = self.store.job_by_token(token)
        if replay is not None:
            return self._replay(replay, parameters)
        time.sleep(0.05)  # check, then act: the window the fault leaves open
        return self._start(datastore_id, f"{token}#{new_id()}", parameters)

    def _start(self, datastore_id: str, token: str, parameters: dict[str, Any]) -> dict[str, Any]:
        if not self.faults.on("client-token-ignored"):
            replay = self.store.job_by_token(token)
            if replay is not None:
                return self._replay(replay, parameters)
        else:
            token = f"{token}#{new_id()}"
        datastore = self.datastore(datastore_id)
        if datastore.datastore_status != "ACTIVE":
            raise ConflictException(
                f"Datastore {datastore_id} is {datastore.datastore_status}, not ACTIVE"
            )
        quota = self.limits.concurrent_jobs_per_datastore
        if self.store.active_job_count(datastore_id) >= quota and not self.faults.on(
            "quota-not-enforced"
        ):
            message = f"The data store already runs the maximum of {quota} concurrent import jobs"
            if self.faults.on("quota-as-throttling"):
                raise ThrottlingException(message)
            raise ServiceQuotaExceededException(message)
        job_id = new_id()
        job = ImportJob(
            job_id=job_id,
            datastore_id=datastore_id,
            job_name=parameters.get("jobName") or f"import-{job_id[:8]}",
            job_status="SUBMITTED",
            data_access_role_arn=parameters["dataAccessRoleArn"],
            input_s3_uri=parameters["inputS3Uri"],
            output_prefix=parameters["outputS3Uri"],
            output_folder=output_folder(parameters["outputS3Uri"], datastore_id, job_id),
            submitted_at=self.clock(),
            client_token=token,
            fingerprint=fingerprint(parameters),
            input_owner_account_id=parameters.get("inputOwnerAccountId"),
            import_configuration=parameters.get("importConfiguration"),
        )
        self.store.add_job(job)
        self.on_job_submitted(job)
        return self._start_response(job)

    def _replay(self, job: ImportJob, parameters: dict[str, Any]) -> dict[str, Any]:
        if self.faults.on("replay-conflicts"):
            raise ConflictException("An import job with this clientToken already exists")
        if job.fingerprint != fingerprint(parameters) and not self.faults.on(
            "conflicting-replay-accepted"
        ):
            raise ConflictException("clientToken was already used with different parameters")
        response = self._start_response(job)
        if self.faults.on("replay-new-job-id"):
            response["jobId"] = new_id()
        return response

    def _start_response(self, job: ImportJob) -> dict[str, Any]:
        response: dict[str, Any] = {
            "datastoreId": job.datastore_id,
            "jobId": job.job_id,
            "jobStatus": job.job_status,
            "submittedAt": self._reported_time(job.submitted_at),
        }
        if self.faults.on("missing-required-output"):
            del response["submittedAt"]
        return response

    def _job(self, datastore_id: str, job_id: str) -> ImportJob:
        self.datastore(datastore_id)
        job = self.store.job(datastore_id, job_id)
        if job is None:
            if self.faults.on("unknown-job-500"):
                raise RuntimeError(f"job {job_id} lookup failed")
            raise ResourceNotFoundException(f"Import job {job_id} does not exist")
        return job

    def _reported_status(self, job: ImportJob) -> str:
        if job.job_status in TERMINAL_JOB_STATUSES and self.faults.every(
            "status-moves-backwards", 2
        ):
            return "IN_PROGRESS"
        return job.job_status

    def _reported_time(self, moment: float) -> float:
        """A job's time as answered: an hour early under `job-clock-an-hour-behind`."""
        return moment - 3600 if self.faults.on("job-clock-an-hour-behind") else moment

    def _ended_at(self, job: ImportJob) -> float | None:
        if self.faults.on("ended-at-while-running") and job.ended_at is None:
            return self.clock()
        if job.ended_at is not None and self.faults.on("ended-before-submitted"):
            return job.submitted_at - 60
        return None if job.ended_at is None else self._reported_time(job.ended_at)

    def _job_summary(self, job: ImportJob) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "jobId": job.job_id,
            "jobName": job.job_name,
            "jobStatus": self._reported_status(job),
            "datastoreId": job.datastore_id,
            "dataAccessRoleArn": job.data_access_role_arn,
            "submittedAt": self._reported_time(job.submitted_at),
        }
        ended_at = self._ended_at(job)
        if ended_at is not None:
            summary["endedAt"] = ended_at
        if job.message:
            summary["message"] = job.message
        return summary

    def get_import_job(self, request: dict[str, Any]) -> dict[str, Any]:
        job = self._job(request["datastoreId"], request["jobId"])
        properties = self._job_summary(job)
        properties["inputS3Uri"] = (
            job.input_s3_uri.rstrip("/")
            if self.faults.on("input-uri-normalized")
            else job.input_s3_uri
        )
        properties["outputS3Uri"] = (
            job.output_prefix if self.faults.on("output-uri-not-resolved") else job.output_folder
        )
        if job.import_configuration is not None:
            properties["importConfiguration"] = job.import_configuration
        return {"jobProperties": properties}

    def list_import_jobs(self, request: dict[str, Any]) -> dict[str, Any]:
        datastore_id = request["datastoreId"]
        self.datastore(datastore_id)
        status = None if self.faults.on("list-filter-ignored") else request.get("jobStatus")
        scope = {"op": "ListDICOMImportJobs", "datastoreId": datastore_id, "status": status}
        after = 0
        if "nextToken" in request:
            try:
                after = self.tokens.read(request["nextToken"], scope)
            except Exception:
                if not self.faults.on("tampered-token-accepted"):
                    raise
        limit = request.get("maxResults", DEFAULT_PAGE_SIZE)
        if self.faults.on("max-results-ignored"):
            limit = 10_000
        jobs = self.store.jobs(datastore_id, status, after, limit + 1)
        if self.faults.on("jobs-listed-across-datastores"):
            jobs = sorted(
                (
                    job
                    for other in self.store.datastores(0)
                    for job in self.store.jobs(other.datastore_id, status, after, limit + 1)
                ),
                key=lambda job: job.seq,
            )[: limit + 1]
        result: dict[str, Any] = {"jobSummaries": [self._job_summary(j) for j in jobs[:limit]]}
        if len(jobs) > limit:
            last = jobs[limit - 1].seq
            if self.faults.on("next-token-repeats") and limit > 1:
                last = jobs[limit - 2].seq
            result["nextToken"] = self.tokens.issue(last, scope)
        return result

    # worker side

    def job_for_worker(self, datastore_id: str, job_id: str) -> ImportJob | None:
        return self.store.job(datastore_id, job_id)

    def mark_in_progress(self, job: ImportJob) -> None:
        with self.store.transaction():
            job.job_status = "IN_PROGRESS"
            self.store.save_job(job)

    def finish(self, job: ImportJob, status: str, message: str | None = None) -> None:
        with self.store.transaction():
            job.job_status = status
            job.ended_at = max(self.clock(), job.submitted_at)
            job.message = message
            self.store.save_job(job)
