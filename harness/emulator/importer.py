"""The import worker: reads DICOM P10 objects from S3 and writes the job's results back.

Each job lists every object under `inputS3Uri` (paginated, nested folders
included), streams each one through a spooled temporary file (memory stays flat
however many or however large the files), inspects it, and records it as a
success or a failure. Results go under the job's output folder as the developer
guide's 'Understanding import jobs' describes: `SUCCESS/success.ndjson`,
`FAILURE/failure.ndjson`, then `job-output-manifest.json`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.emulator.backend import ImagingBackend
from harness.emulator.dicom_check import Accepted, Rejected, inspect_p10
from harness.emulator.faults import Switchboard
from harness.emulator.records import TERMINAL_JOB_STATUSES, ImportJob
from harness.emulator.s3 import S3Settings, split_s3_uri

log = logging.getLogger(__name__)
SPOOL_BYTES = 8 * 1024 * 1024
MAX_FILES_PER_JOB = 5000


class ImportFailure(Exception):
    """The job as a whole cannot run; its message becomes the job's `message`."""


def image_set_id(datastore_id: str, study: str, series: str) -> str:
    """Instances of one Study and Series in one data store share an image set."""
    return hashlib.sha256(f"{datastore_id}/{study}/{series}".encode()).hexdigest()[:32]


def _spool() -> IO[bytes]:
    """A file in memory up to SPOOL_BYTES, on disk beyond; closed by its owner."""
    return tempfile.SpooledTemporaryFile(SPOOL_BYTES)


@dataclass
class _Results:
    """Streams result lines to spooled files and keeps the manifest's counts."""

    scanned: int = 0
    imported: int = 0
    customer_errors: int = 0
    server_errors: int = 0
    image_sets: Counter[str] = field(default_factory=Counter)
    success: IO[bytes] = field(default_factory=lambda: _spool())
    failure: IO[bytes] = field(default_factory=lambda: _spool())

    @staticmethod
    def _line(target: IO[bytes], record: dict[str, Any]) -> None:
        target.write(json.dumps(record, separators=(",", ":")).encode() + b"\n")

    def imported_file(self, key: str, set_id: str) -> None:
        self.imported += 1
        self.image_sets[set_id] += 1
        self._line(
            self.success,
            {"inputFile": key, "importResponse": {"imageSetId": set_id, "isPrimary": True}},
        )

    def failed_file(self, key: str, exception_type: str, message: str) -> None:
        if exception_type == "ValidationException":
            self.customer_errors += 1
        else:
            self.server_errors += 1
        self._line(
            self.failure,
            {"inputFile": key, "exception": {"exceptionType": exception_type, "message": message}},
        )

    def close(self) -> None:
        self.success.close()
        self.failure.close()


class ImportWorker:
    """Runs import jobs on a small thread pool."""

    def __init__(
        self,
        backend: ImagingBackend,
        s3: S3Settings,
        faults: Switchboard,
        threads: int = 2,
        max_files: int = MAX_FILES_PER_JOB,
    ) -> None:
        self.backend = backend
        self.faults = faults
        self.max_files = max_files
        self._s3 = s3.client()
        self._stopping = threading.Event()
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="import-job")
        backend.on_job_submitted = self.submit

    def submit(self, job: ImportJob) -> None:
        self._executor.submit(self._run, job.datastore_id, job.job_id)

    def resume_unfinished(self) -> int:
        """Queue again every job a previous process left SUBMITTED or IN_PROGRESS."""
        jobs = self.backend.store.unfinished_jobs()
        for job in jobs:
            self.submit(job)
        return len(jobs)

    def shutdown(self) -> None:
        self._stopping.set()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _run(self, datastore_id: str, job_id: str) -> None:
        if self._stopping.wait(self.backend.limits.job_start_delay_seconds):
            return
        job = self.backend.job_for_worker(datastore_id, job_id)
        if job is None or job.job_status in TERMINAL_JOB_STATUSES:
            return
        self.backend.mark_in_progress(job)
        try:
            self._import(job)
        except ImportFailure as failure:
            self.backend.finish(job, "FAILED", str(failure))
        except Exception as error:  # a job is never lost: it fails with a reason
            log.exception("import job %s failed unexpectedly", job_id)
            self.backend.finish(job, "FAILED", f"Internal error while importing: {error}")
        else:
            self.backend.finish(job, "COMPLETED")

    def _import(self, job: ImportJob) -> None:
        in_bucket, in_prefix = split_s3_uri(job.input_s3_uri)
        out_bucket, out_folder = split_s3_uri(job.output_folder)
        try:
            self._s3.head_bucket(Bucket=out_bucket)
        except (ClientError, BotoCoreError) as error:
            raise ImportFailure(
                f"Unable to write to the output S3 location {job.output_prefix}: {error}"
            ) from error
        results = _Results()
        try:
            for key in self._keys(in_bucket, in_prefix, job.input_s3_uri):
                results.scanned += 1
                if results.scanned > self.max_files:
                    raise ImportFailure(
                        f"The input holds more than the maximum of {self.max_files} files per job"
                    )
                self._import_file(job, in_bucket, key, results)
            self._write_results(job, out_bucket, out_folder, results)
        finally:
            results.close()

    def _keys(self, bucket: str, prefix: str, uri: str) -> Any:
        try:
            paginator = self._s3.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                for item in page.get("Contents", ()):
                    if item["Key"].endswith("/") and item.get("Size", 0) == 0:
                        continue  # a folder marker, not a file
                    yield item["Key"]
        except (ClientError, BotoCoreError) as error:
            raise ImportFailure(f"Unable to read the input S3 location {uri}: {error}") from error

    def _import_file(self, job: ImportJob, bucket: str, key: str, results: _Results) -> None:
        with tempfile.SpooledTemporaryFile(SPOOL_BYTES) as spool:
            try:
                self._s3.download_fileobj(bucket, key, spool)
            except (ClientError, BotoCoreError) as error:
                results.failed_file(key, "InternalServerException", f"Unable to read: {error}")
                return
            spool.seek(0)
            verdict = inspect_p10(spool)  # type: ignore[arg-type]
        if isinstance(verdict, Rejected) and self.faults.on("broken-files-imported"):
            verdict = Accepted(f"2.25.{len(key)}", "2.25.1", f"2.25.{abs(hash(key))}")
        if isinstance(verdict, Rejected):
            if not self.faults.on("manifest-drops-failures"):
                results.failed_file(key, "ValidationException", verdict.message)
            return
        set_id = image_set_id(
            job.datastore_id, verdict.study_instance_uid, verdict.series_instance_uid
        )
        self.backend.record_instance(job.datastore_id, verdict.sop_instance_uid, set_id)
        results.imported_file(key, set_id)

    def _write_results(self, job: ImportJob, bucket: str, folder: str, results: _Results) -> None:
        try:
            for spool, key in (
                (results.success, f"{folder}SUCCESS/success.ndjson"),
                (results.failure, f"{folder}FAILURE/failure.ndjson"),
            ):
                spool.seek(0)
                self._s3.upload_fileobj(spool, bucket, key)
            if self.faults.on("completed-without-manifest"):
                return
            manifest = {"jobSummary": self._summary(job, results)}
            self._s3.put_object(
                Bucket=bucket,
                Key=f"{folder}job-output-manifest.json",
                Body=json.dumps(manifest, indent=2).encode(),
                ContentType="application/json",
            )
        except (ClientError, BotoCoreError) as error:
            raise ImportFailure(
                f"Unable to write results to {job.output_folder}: {error}"
            ) from error

    def _summary(self, job: ImportJob, results: _Results) -> dict[str, Any]:
        scanned = results.scanned
        if self.faults.on("manifest-drops-failures"):
            scanned = results.imported
        return {
            "jobId": job.job_id,
            "datastoreId": job.datastore_id,
            "inputS3Uri": job.input_s3_uri,
            "outputS3Uri": job.output_folder,
            "successOutputS3Uri": f"{job.output_folder}SUCCESS/",
            "failureOutputS3Uri": f"{job.output_folder}FAILURE/",
            "warningsOutputS3Uri": f"{job.output_folder}WARNING/",
            "numberOfScannedFiles": scanned,
            "numberOfImportedFiles": results.imported,
            "numberOfFilesWithCustomerError": results.customer_errors,
            "numberOfFilesWithServerError": results.server_errors,
            "numberOfGeneratedImageSets": len(results.image_sets),
            "imageSetsSummary": [
                {"imageSetId": set_id, "numberOfMatchedSOPInstances": count}
                for set_id, count in sorted(results.image_sets.items())
            ],
        }
