"""Import jobs: idempotent starts, the per-data-store quota, the status a job moves
through, and StartDICOMImportJob, GetDICOMImportJob, ListDICOMImportJobs.

A started job is handed to the worker (`on_job_submitted`), which moves it on
through `mark_in_progress` and `finish`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from harness.emulator.account import Account
from harness.emulator.datastores import Datastores
from harness.emulator.exceptions import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ThrottlingException,
)
from harness.emulator.faults import Switch
from harness.emulator.handlers import handler
from harness.emulator.pagination import DEFAULT_PAGE_SIZE
from harness.emulator.records import TERMINAL_JOB_STATUSES, ImportJob, fingerprint, new_id


def output_folder(prefix: str, datastore_id: str, job_id: str) -> str:
    """Where a job writes its results (developer guide, 'Understanding import jobs').

    The prefix is treated as a folder: a `/` is added when the caller left it
    out (harness decision OUTPUT-PREFIX-FOLDER; the model does not require it).
    """
    folder = prefix if prefix.endswith("/") else prefix + "/"
    return f"{folder}{datastore_id}-DicomImport-{job_id}/"


class ImportJobs:
    """The import jobs of one account's data stores."""

    def __init__(self, account: Account, datastores: Datastores) -> None:
        self.account = account
        self.datastores = datastores
        self.store = account.store
        self.faults = account.faults
        self.limits = account.limits
        self.tokens = account.tokens
        self.on_job_submitted: Callable[[ImportJob], None] = lambda job: None

    @handler
    def start_dicom_import_job(self, request: dict[str, Any]) -> dict[str, Any]:
        datastore_id = request["datastoreId"]
        token = request["clientToken"]
        parameters = {k: v for k, v in request.items() if k != "clientToken"}
        if self.faults.on(Switch.CONCURRENT_STARTS_DUPLICATE):
            return self._start_racy(datastore_id, token, parameters)
        with self.store.transaction():
            return self._start(datastore_id, token, parameters)

    def _start_racy(
        self, datastore_id: str, token: str, parameters: dict[str, Any]
    ) -> dict[str, Any]:
        replay = self.store.jobs.by_token(token)
        if replay is not None:
            return self._replay(replay, parameters)
        time.sleep(0.05)  # check, then act: the window the fault leaves open
        return self._start(datastore_id, f"{token}#{new_id()}", parameters)

    def _start(self, datastore_id: str, token: str, parameters: dict[str, Any]) -> dict[str, Any]:
        if not self.faults.on(Switch.CLIENT_TOKEN_IGNORED):
            replay = self.store.jobs.by_token(token)
            if replay is not None:
                return self._replay(replay, parameters)
        else:
            token = f"{token}#{new_id()}"
        datastore = self.datastores.datastore(datastore_id)
        if datastore.datastore_status != "ACTIVE":
            raise ConflictException(
                f"Datastore {datastore_id} is {datastore.datastore_status}, not ACTIVE"
            )
        quota = self.limits.concurrent_jobs_per_datastore
        if self.store.jobs.active_count(datastore_id) >= quota and not self.faults.on(
            Switch.QUOTA_NOT_ENFORCED
        ):
            message = f"The data store already runs the maximum of {quota} concurrent import jobs"
            if self.faults.on(Switch.QUOTA_AS_THROTTLING):
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
            submitted_at=self.account.clock(),
            client_token=token,
            fingerprint=fingerprint(parameters),
            input_owner_account_id=parameters.get("inputOwnerAccountId"),
            import_configuration=parameters.get("importConfiguration"),
        )
        self.store.jobs.add(job)
        self.on_job_submitted(job)
        return self._start_response(job)

    def _replay(self, job: ImportJob, parameters: dict[str, Any]) -> dict[str, Any]:
        if self.faults.on(Switch.REPLAY_CONFLICTS):
            raise ConflictException("An import job with this clientToken already exists")
        if job.fingerprint != fingerprint(parameters) and not self.faults.on(
            Switch.CONFLICTING_REPLAY_ACCEPTED
        ):
            raise ConflictException("clientToken was already used with different parameters")
        response = self._start_response(job)
        if self.faults.on(Switch.REPLAY_NEW_JOB_ID):
            response["jobId"] = new_id()
        return response

    def _start_response(self, job: ImportJob) -> dict[str, Any]:
        response: dict[str, Any] = {
            "datastoreId": job.datastore_id,
            "jobId": job.job_id,
            "jobStatus": job.job_status,
            "submittedAt": self._reported_time(job.submitted_at),
        }
        if self.faults.on(Switch.MISSING_REQUIRED_OUTPUT):
            del response["submittedAt"]
        return response

    def _job(self, datastore_id: str, job_id: str) -> ImportJob:
        self.datastores.datastore(datastore_id)
        job = self.store.jobs.get(datastore_id, job_id)
        if job is None:
            if self.faults.on(Switch.UNKNOWN_JOB_500):
                raise RuntimeError(f"job {job_id} lookup failed")
            raise ResourceNotFoundException(f"Import job {job_id} does not exist")
        return job

    def _reported_status(self, job: ImportJob) -> str:
        if job.job_status in TERMINAL_JOB_STATUSES and self.faults.every(
            Switch.STATUS_MOVES_BACKWARDS, 2
        ):
            return "IN_PROGRESS"
        return job.job_status

    def _reported_time(self, moment: float) -> float:
        """A job's time as answered: an hour early under `job-clock-an-hour-behind`."""
        return moment - 3600 if self.faults.on(Switch.JOB_CLOCK_AN_HOUR_BEHIND) else moment

    def _ended_at(self, job: ImportJob) -> float | None:
        if self.faults.on(Switch.ENDED_AT_WHILE_RUNNING) and job.ended_at is None:
            return self.account.clock()
        if job.ended_at is not None and self.faults.on(Switch.ENDED_BEFORE_SUBMITTED):
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

    @handler
    def get_dicom_import_job(self, request: dict[str, Any]) -> dict[str, Any]:
        job = self._job(request["datastoreId"], request["jobId"])
        properties = self._job_summary(job)
        properties["inputS3Uri"] = (
            job.input_s3_uri.rstrip("/")
            if self.faults.on(Switch.INPUT_URI_NORMALIZED)
            else job.input_s3_uri
        )
        properties["outputS3Uri"] = (
            job.output_prefix
            if self.faults.on(Switch.OUTPUT_URI_NOT_RESOLVED)
            else job.output_folder
        )
        if job.import_configuration is not None:
            properties["importConfiguration"] = job.import_configuration
        return {"jobProperties": properties}

    @handler
    def list_dicom_import_jobs(self, request: dict[str, Any]) -> dict[str, Any]:
        datastore_id = request["datastoreId"]
        self.datastores.datastore(datastore_id)
        status = None if self.faults.on(Switch.LIST_FILTER_IGNORED) else request.get("jobStatus")
        scope = {"op": "ListDICOMImportJobs", "datastoreId": datastore_id, "status": status}
        after = 0
        if "nextToken" in request:
            try:
                after = self.tokens.read(request["nextToken"], scope)
            except Exception:
                if not self.faults.on(Switch.TAMPERED_TOKEN_ACCEPTED):
                    raise
        limit = request.get("maxResults", DEFAULT_PAGE_SIZE)
        if self.faults.on(Switch.MAX_RESULTS_IGNORED):
            limit = 10_000
        jobs = self.store.jobs.of_datastore(datastore_id, status, after, limit + 1)
        if self.faults.on(Switch.JOBS_LISTED_ACROSS_DATASTORES):
            jobs = sorted(
                (
                    job
                    for other in self.store.datastores.after(0)
                    for job in self.store.jobs.of_datastore(
                        other.datastore_id, status, after, limit + 1
                    )
                ),
                key=lambda job: job.seq,
            )[: limit + 1]
        result: dict[str, Any] = {"jobSummaries": [self._job_summary(j) for j in jobs[:limit]]}
        if len(jobs) > limit:
            last = jobs[limit - 1].seq
            if self.faults.on(Switch.NEXT_TOKEN_REPEATS) and limit > 1:
                last = jobs[limit - 2].seq
            result["nextToken"] = self.tokens.issue(last, scope)
        return result

    # worker side

    def job_for_worker(self, datastore_id: str, job_id: str) -> ImportJob | None:
        return self.store.jobs.get(datastore_id, job_id)

    def mark_in_progress(self, job: ImportJob) -> None:
        with self.store.transaction():
            job.job_status = "IN_PROGRESS"
            self.store.jobs.save(job)

    def finish(self, job: ImportJob, status: str, message: str | None = None) -> None:
        with self.store.transaction():
            job.job_status = status
            job.ended_at = max(self.account.clock(), job.submitted_at)
            job.message = message
            self.store.jobs.save(job)

    def unfinished(self) -> list[ImportJob]:
        """Every job a previous process left SUBMITTED or IN_PROGRESS."""
        return self.store.jobs.unfinished()
