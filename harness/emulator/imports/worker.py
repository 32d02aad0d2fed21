"""The import worker: reads DICOM P10 objects from S3, builds image sets, writes results back.

Each job lists every object under `inputS3Uri` (paginated, nested folders
included) and reads the files on a pool of file threads, a bounded number at a time, so
memory stays flat however many files there are; each file is prepared (accept, encode
frames, describe: see `input_files`) on its thread or, in a large job, on the worker
processes (see `preparation`). In listing order, each prepared file is
staged into its group (see `grouping`); at the end the groups become image sets
in one transaction, and the results go under the job's output folder as the
developer guide's 'Understanding import jobs' describes: `SUCCESS/success.ndjson`,
`FAILURE/failure.ndjson`, then `job-output-manifest.json`.
"""

from __future__ import annotations

import itertools
import json
import logging
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from harness.emulator.faults import Switch
from harness.emulator.imagesets.lifecycle import ImageSets
from harness.emulator.imports.dicom_acceptance import Rejected
from harness.emulator.imports.grouping import Committed, ImportBatch
from harness.emulator.imports.input_files import Outcome, Unreadable
from harness.emulator.imports.preparation import PROCESS_MIN_FILES, ProcessPreparation
from harness.emulator.jobs import ImportJobs
from harness.emulator.records import TERMINAL_JOB_STATUSES, ImportJob
from harness.emulator.storage.s3 import (
    MEMORY_BYTES,
    ObjectReader,
    S3ReadError,
    S3Settings,
    split_s3_uri,
)

log = logging.getLogger(__name__)
SPOOL_BYTES = 8 * 1024 * 1024
MAX_FILES_PER_JOB = 5000
FILE_THREADS = 6
Item = TypeVar("Item")
Result = TypeVar("Result")


class ImportFailure(Exception):
    """The job as a whole cannot run; its message becomes the job's `message`."""


class _Stopped(Exception):
    """The emulator is stopping: the job stays unfinished and runs again after a restart."""


def _spool() -> IO[bytes]:
    """A file in memory up to SPOOL_BYTES, on disk beyond; closed by its owner."""
    return tempfile.SpooledTemporaryFile(SPOOL_BYTES)


def pipelined(
    pool: ThreadPoolExecutor,
    work: Callable[[Item], Result],
    items: Iterable[Item],
    window: int,
) -> Iterator[tuple[Item, Result]]:
    """`work` over `items` on `pool`, at most `window` at a time, results in input order."""
    pending: deque[tuple[Item, Future[Result]]] = deque()
    try:
        for item in items:
            pending.append((item, pool.submit(work, item)))
            if len(pending) >= window:
                first, future = pending.popleft()
                yield first, future.result()
        while pending:
            first, future = pending.popleft()
            yield first, future.result()
    finally:
        for _, future in pending:
            future.cancel()


@dataclass
class _Results:
    """Streams result lines to spooled files and keeps the manifest's counts."""

    untyped_failures: bool = False
    """Failure lines leave out their exceptionType (fault failure-line-without-type)."""
    scanned: int = 0
    imported: int = 0
    customer_errors: int = 0
    server_errors: int = 0
    committed: list[Committed] = field(default_factory=list)
    placed: IO[bytes] = field(default_factory=lambda: _spool())
    success: IO[bytes] = field(default_factory=lambda: _spool())
    failure: IO[bytes] = field(default_factory=lambda: _spool())

    @staticmethod
    def _line(target: IO[bytes], record: dict[str, Any]) -> None:
        target.write(json.dumps(record, separators=(",", ":")).encode() + b"\n")

    def imported_file(self, key: str, group: int) -> None:
        self.imported += 1
        self._line(self.placed, {"group": group, "key": key})

    def failed_file(self, key: str, exception_type: str, message: str) -> None:
        if exception_type == "ValidationException":
            self.customer_errors += 1
        else:
            self.server_errors += 1
        exception = {"exceptionType": exception_type, "message": message}
        if self.untyped_failures:
            del exception["exceptionType"]
        self._line(self.failure, {"inputFile": key, "exception": exception})

    def resolve(self, committed: list[Committed]) -> None:
        """Write the success lines once each file's group has its image set."""
        self.committed = committed
        self.placed.seek(0)
        for line in self.placed:
            placed = json.loads(line)
            where = committed[placed["group"]]
            self._line(
                self.success,
                {
                    "inputFile": placed["key"],
                    "importResponse": {
                        "imageSetId": where.image_set_id,
                        "isPrimary": where.is_primary,
                    },
                },
            )

    def close(self) -> None:
        self.placed.close()
        self.success.close()
        self.failure.close()


class ImportWorker:
    """Runs import jobs on a small thread pool, their files on another, and prepares the
    files of large jobs on `processes` worker processes (none: on the file threads)."""

    def __init__(
        self,
        jobs: ImportJobs,
        image_sets: ImageSets,
        s3: S3Settings,
        threads: int = 2,
        max_files: int = MAX_FILES_PER_JOB,
        file_threads: int = FILE_THREADS,
        processes: int = 0,
        process_min_files: int = PROCESS_MIN_FILES,
    ) -> None:
        self.jobs = jobs
        self.image_sets = image_sets
        self.faults = jobs.faults
        self.max_files = max_files
        self.file_threads = file_threads
        self._s3 = s3.client()
        self._reader = ObjectReader(s3, connections=2 * file_threads)
        self._preparation = ProcessPreparation(processes, MEMORY_BYTES, process_min_files)
        self._preparation.warm()
        self._stopping = threading.Event()
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="import-job")
        self._files = ThreadPoolExecutor(max_workers=file_threads, thread_name_prefix="import-file")
        jobs.on_job_submitted = self.submit

    def submit(self, job: ImportJob) -> None:
        self._executor.submit(self._run, job.datastore_id, job.job_id)

    def resume_unfinished(self) -> int:
        """Queue again every job a previous process left SUBMITTED or IN_PROGRESS."""
        unfinished = self.jobs.unfinished()
        for job in unfinished:
            self.submit(job)
        return len(unfinished)

    def shutdown(self) -> None:
        """Stop: running jobs stop between files and stay unfinished (they resume later)."""
        self._stopping.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._files.shutdown(wait=True, cancel_futures=True)
        self._preparation.shutdown()

    def _run(self, datastore_id: str, job_id: str) -> None:
        if self._stopping.wait(self.jobs.limits.job_start_delay_seconds):
            return
        job = self.jobs.job_for_worker(datastore_id, job_id)
        if job is None or job.job_status in TERMINAL_JOB_STATUSES:
            return
        self.jobs.mark_in_progress(job)
        try:
            scanned = self._import(job)
        except _Stopped:
            return
        except ImportFailure as failure:
            self.jobs.finish(job, "FAILED", str(failure))
        except Exception as error:  # a job is never lost: it fails with a reason
            log.exception("import job %s failed unexpectedly", job_id)
            self.jobs.finish(job, "FAILED", f"Internal error while importing: {error}")
        else:
            if scanned == 0 and self.faults.on(Switch.EMPTY_IMPORT_NEVER_ENDS):
                return
            self.jobs.finish(job, "COMPLETED")

    def _import(self, job: ImportJob) -> int:
        """Import the job's input; returns how many objects its prefix held."""
        in_bucket, in_prefix = split_s3_uri(job.input_s3_uri)
        out_bucket, out_folder = split_s3_uri(job.output_folder)
        try:
            self._s3.head_bucket(Bucket=out_bucket)
        except (ClientError, BotoCoreError) as error:
            raise ImportFailure(
                f"Unable to write to the output S3 location {job.output_prefix}: {error}"
            ) from error
        datastore = self.jobs.store.datastores.get(job.datastore_id)
        storage_format = datastore.lossless_storage_format if datastore else None
        batch = ImportBatch(self.image_sets, job.job_id, job.datastore_id)
        results = _Results(untyped_failures=self.faults.on(Switch.FAILURE_LINE_WITHOUT_TYPE))
        committed = False
        try:
            keys = self._counted(self._keys(in_bucket, in_prefix, job.input_s3_uri), results)
            first = list(itertools.islice(keys, self._preparation.min_files))
            prepare = self._preparation.for_job(len(first))
            accept_broken = self.faults.on(Switch.BROKEN_FILES_IMPORTED)

            def work(key: str) -> Outcome:
                try:
                    source = self._reader.open(in_bucket, key)
                except S3ReadError as error:
                    return Unreadable(f"Unable to read: {error}")
                with source:
                    return prepare(
                        source, key, job.datastore_id, storage_format, accept_broken=accept_broken
                    )

            every_key = itertools.chain(first, keys)
            for key, outcome in pipelined(self._files, work, every_key, 2 * self.file_threads):
                if self._stopping.is_set():
                    raise _Stopped
                self._record(batch, key, outcome, results)
            results.resolve(batch.commit())
            committed = True
            self._write_results(job, out_bucket, out_folder, results)
        finally:
            if not committed:
                batch.discard()
            results.close()
        return results.scanned

    def _counted(self, keys: Iterable[str], results: _Results) -> Iterator[str]:
        for key in keys:
            results.scanned += 1
            if results.scanned > self.max_files:
                raise ImportFailure(
                    f"The input holds more than the maximum of {self.max_files} files per job"
                )
            yield key

    def _keys(self, bucket: str, prefix: str, uri: str) -> Iterator[str]:
        try:
            paginator = self._s3.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                for item in page.get("Contents", ()):
                    if item["Key"].endswith("/") and item.get("Size", 0) == 0:
                        continue  # a folder marker, not a file
                    yield item["Key"]
        except (ClientError, BotoCoreError) as error:
            raise ImportFailure(f"Unable to read the input S3 location {uri}: {error}") from error

    def _record(self, batch: ImportBatch, key: str, outcome: Outcome, results: _Results) -> None:
        if isinstance(outcome, Unreadable):
            results.failed_file(key, "InternalServerException", outcome.message)
        elif isinstance(outcome, Rejected):
            if not self.faults.on(Switch.MANIFEST_DROPS_FAILURES):
                results.failed_file(key, "ValidationException", outcome.message)
        else:
            results.imported_file(key, batch.add(outcome))

    def _write_results(self, job: ImportJob, bucket: str, folder: str, results: _Results) -> None:
        try:
            for spool, key in (
                (results.success, f"{folder}SUCCESS/success.ndjson"),
                (results.failure, f"{folder}FAILURE/failure.ndjson"),
            ):
                spool.seek(0)
                self._s3.upload_fileobj(spool, bucket, key)
            if self.faults.on(Switch.COMPLETED_WITHOUT_MANIFEST):
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
        if self.faults.on(Switch.MANIFEST_DROPS_FAILURES):
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
            "numberOfGeneratedImageSets": len(results.committed),
            "imageSetsSummary": [
                {
                    "imageSetId": where.image_set_id,
                    "imageSetVersion": where.version,
                    "isPrimary": where.is_primary,
                    "numberOfMatchedSOPInstances": where.files,
                }
                for where in results.committed
            ],
        }
