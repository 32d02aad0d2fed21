"""Load DICOM P10 files into a running emulator as any client would.

A load creates a data store and waits until it is ACTIVE, creates a bucket on the
emulator's S3, uploads the files, starts one StartDICOMImportJob per 5,000 files, waits
for each, and reads its `SUCCESS/success.ndjson` and `FAILURE/failure.ndjson`: each file
ends up either in an image set (named with the file's SOP Instance UID) or refused with
the import's reason. Every step goes through the public API, so a load is also a small
end-to-end check of the emulator it runs against.

A load is recorded by the digest of its files (names and contents): given `LoadRecords`
that remember it, an unchanged set loads once, later loads answer the recorded result
while its data store and image sets still exist.
"""

from __future__ import annotations

import glob
import hashlib
import io
import json
import os
import sqlite3
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from harness.imaging.known_set import sample_set

ROLE_ARN = "arn:aws:iam::123456789012:role/ahi-contract-load"
"""The role named in each StartDICOMImportJob; the emulator accepts any of this form."""
FILES_PER_JOB = 5000
"""The service's documented quota of files per import job: larger sets take several jobs."""
DATASTORE_PREFIX = "ahi-contract-load-"
"""Each load's data store is named this, then the first 16 hex digits of its digest."""
_DICM_OFFSET = 128
_UPLOAD_THREADS = 4
_HASH_CHUNK = 1024 * 1024
_UID_TAGS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")


class LoadError(ValueError):
    """Input a load cannot start with: a path that names nothing, or no DICOM P10 file."""

    def __init__(self, reason: str, path: str | None = None) -> None:
        super().__init__(f"{path}: {reason}" if path else reason)
        self.path = path
        self.reason = reason


class LoadFailed(RuntimeError):
    """The emulator did not load the files: a step failed, an import job FAILED, or a
    wait ran out."""


class LoadStopped(Exception):
    """The caller asked the load to stop (a signal, while the CLI loads)."""


@dataclass(frozen=True)
class LoadFile:
    """One file to load: what results call it, its key below the load's input prefix,
    and its bytes (a file on disk, or bytes in memory)."""

    name: str
    key: str
    source: Path | bytes

    def open(self) -> IO[bytes]:
        """The file's bytes, from the start."""
        if isinstance(self.source, bytes):
            return io.BytesIO(self.source)
        return self.source.open("rb")

    def is_dicom(self) -> bool:
        """Whether it starts as DICOM P10 does: a 128-byte preamble, then `DICM`."""
        with self.open() as handle:
            head = handle.read(_DICM_OFFSET + 4)
        return head[_DICM_OFFSET:] == b"DICM"

    def content_digest(self) -> str:
        """SHA-256 of the bytes, in hex."""
        digest = hashlib.sha256()
        with self.open() as handle:
            while chunk := handle.read(_HASH_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()


def find_files(paths: Iterable[str | os.PathLike[str]]) -> list[LoadFile]:
    """The files that `paths` name: files, folders (every file below, recursively) and glob
    patterns (`**` included); relative paths are taken from the current folder. A file
    named twice is loaded once. LoadError for a path that names no file."""
    found: list[LoadFile] = []
    seen: set[Path] = set()
    for number, given in enumerate(paths):
        text = os.fspath(given)
        for name, relative in _expand(text):
            resolved = Path(name).resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            found.append(LoadFile(name, f"{number}/{relative}", resolved))
    return found


def _expand(text: str) -> list[tuple[str, str]]:
    """(name, key below the argument's folder) of each file `text` names."""
    path = Path(text)
    if path.is_file():
        return [(text, path.name)]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        if not files:
            raise LoadError("a folder with no files", text)
        return [(str(p), p.relative_to(path).as_posix()) for p in files]
    if glob.has_magic(text):
        base = _literal_base(text)
        named: list[tuple[str, str]] = []
        for match in sorted(Path(m) for m in glob.glob(text, recursive=True)):
            if match.is_dir():
                below = sorted(p for p in match.rglob("*") if p.is_file())
            else:
                below = [match] if match.is_file() else []
            named += [(str(p), Path(os.path.relpath(p, base)).as_posix()) for p in below]
        if not named:
            raise LoadError("no file matches this pattern", text)
        return named
    raise LoadError("no such file or folder", text)


def _literal_base(pattern: str) -> str:
    """The folder a glob pattern starts in: its leading parts without wildcards."""
    parts = Path(pattern).parts
    literal: list[str] = []
    for part in parts[:-1]:
        if glob.has_magic(part):
            break
        literal.append(part)
    return str(Path(*literal)) if literal else "."


def require_dicom(files: Sequence[LoadFile]) -> None:
    """LoadError unless at least one of `files` is DICOM P10 (the others are loaded too,
    and the import says why it refuses them)."""
    if not files:
        raise LoadError("no files to load")
    if not any(file.is_dicom() for file in files):
        what = "a 128-byte preamble, then 'DICM'"
        if len(files) == 1:
            raise LoadError(f"not DICOM P10 ({what})", files[0].name)
        shown = ", ".join(file.name for file in files[:3])
        more = f" and {len(files) - 3} more" if len(files) > 3 else ""
        raise LoadError(f"none of the {len(files)} files is DICOM P10 ({what}): {shown}{more}")


def sample_files() -> list[LoadFile]:
    """The bundled known set (`harness.imaging.known_set`): DICOM files that pydicom ships
    and broken ones, each named by its key (`study-ct/CT_small.dcm`)."""
    return [LoadFile(sample.key, f"sample/{sample.key}", sample.data) for sample in sample_set()]


def set_digest(files: Sequence[LoadFile]) -> str:
    """`sha256:` and the hex digest of the set: each file's name, key and content."""
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda f: f.key):
        digest.update(f"{file.name}\0{file.key}\0{file.content_digest()}\n".encode())
    return f"sha256:{digest.hexdigest()}"


@dataclass(frozen=True)
class ImportedFile:
    """A file the import took: the image set holding it and the instance it is."""

    file: str
    image_set_id: str
    is_primary: bool
    sop_instance_uid: str | None
    series_instance_uid: str | None
    study_instance_uid: str | None


@dataclass(frozen=True)
class RefusedFile:
    """A file the import refused, with its reason (from `FAILURE/failure.ndjson`)."""

    file: str
    reason: str
    exception_type: str | None


@dataclass(frozen=True)
class LoadResult:
    """What a load made: its data store, each file's image set or refusal."""

    datastore_id: str
    datastore_name: str
    digest: str
    job_ids: tuple[str, ...]
    imported: tuple[ImportedFile, ...]
    refused: tuple[RefusedFile, ...]
    reused: bool = False
    """True when an unchanged set was recorded as loaded and nothing was imported again."""

    @property
    def image_set_ids(self) -> tuple[str, ...]:
        """Every image set holding a loaded file, each once, in file order."""
        return tuple(dict.fromkeys(entry.image_set_id for entry in self.imported))

    def image_set_of(self, file: str | os.PathLike[str]) -> str:
        """The image set holding `file`: named as in `imported`, by the same path written
        another way, or by its last parts (`CT_small.dcm`) when only one file ends so.
        KeyError when no imported file (or more than one) matches."""
        wanted = os.fspath(file)
        exact = [entry for entry in self.imported if entry.file == wanted]
        same = exact or [entry for entry in self.imported if _same_path(entry.file, wanted)]
        found = same or [
            entry
            for entry in self.imported
            if Path(entry.file).as_posix().endswith("/" + Path(wanted).as_posix())
        ]
        if len(found) != 1:
            what = "no imported file" if not found else f"{len(found)} imported files"
            raise KeyError(f"{wanted}: {what} match")
        return found[0].image_set_id

    def document(self) -> dict[str, Any]:
        """The result as JSON-ready data with the API's camelCase names."""
        return {
            "datastoreId": self.datastore_id,
            "datastoreName": self.datastore_name,
            "digest": self.digest,
            "jobIds": list(self.job_ids),
            "reused": self.reused,
            "imageSetIds": list(self.image_set_ids),
            "imported": [
                {
                    "file": entry.file,
                    "imageSetId": entry.image_set_id,
                    "isPrimary": entry.is_primary,
                    "sopInstanceUid": entry.sop_instance_uid,
                    "seriesInstanceUid": entry.series_instance_uid,
                    "studyInstanceUid": entry.study_instance_uid,
                }
                for entry in self.imported
            ],
            "refused": [
                {"file": entry.file, "reason": entry.reason, "exceptionType": entry.exception_type}
                for entry in self.refused
            ],
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> LoadResult:
        """The result `document()` wrote."""
        return cls(
            datastore_id=document["datastoreId"],
            datastore_name=document["datastoreName"],
            digest=document["digest"],
            job_ids=tuple(document["jobIds"]),
            reused=bool(document["reused"]),
            imported=tuple(
                ImportedFile(
                    file=entry["file"],
                    image_set_id=entry["imageSetId"],
                    is_primary=entry["isPrimary"],
                    sop_instance_uid=entry["sopInstanceUid"],
                    series_instance_uid=entry["seriesInstanceUid"],
                    study_instance_uid=entry["studyInstanceUid"],
                )
                for entry in document["imported"]
            ),
            refused=tuple(
                RefusedFile(entry["file"], entry["reason"], entry["exceptionType"])
                for entry in document["refused"]
            ),
        )


def _same_path(first: str, second: str) -> bool:
    try:
        return Path(first).resolve() == Path(second).resolve()
    except OSError:
        return False


class LoadRecords(Protocol):
    """Where loads are remembered by digest, so that an unchanged set loads once."""

    def find(self, digest: str) -> LoadResult | None:
        """The recorded load of the set with this digest, if any."""
        ...

    def save(self, result: LoadResult) -> None:
        """Record a load."""
        ...


@dataclass
class MemoryLoadRecords:
    """Loads remembered for the life of this object (one emulator process)."""

    results: dict[str, LoadResult] = field(default_factory=dict)

    def find(self, digest: str) -> LoadResult | None:
        return self.results.get(digest)

    def save(self, result: LoadResult) -> None:
        self.results[result.digest] = result


@dataclass(frozen=True)
class StateLoadRecords:
    """Loads remembered in the emulator's `--state` SQLite file, in a table of their own
    beside the emulator's, so that they are kept and dropped with the state they name."""

    path: Path
    table: str = "ahi_contract_loads"

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(str(self.path), timeout=30)
        connection.execute(
            f"CREATE TABLE IF NOT EXISTS {self.table} "
            "(digest TEXT PRIMARY KEY, document TEXT NOT NULL, saved_at REAL NOT NULL)"
        )
        return connection

    def find(self, digest: str) -> LoadResult | None:
        with closing(self._connect()) as connection:
            row = connection.execute(
                f"SELECT document FROM {self.table} WHERE digest = ?", (digest,)
            ).fetchone()
        return LoadResult.from_document(json.loads(row[0])) if row else None

    def save(self, result: LoadResult) -> None:
        document = json.dumps(replace(result, reused=False).document())
        with closing(self._connect()) as connection, connection:
            connection.execute(
                f"INSERT OR REPLACE INTO {self.table} (digest, document, saved_at) "
                "VALUES (?, ?, ?)",
                (result.digest, document, time.time()),
            )


def _never() -> bool:
    return False


@dataclass
class Loader:
    """Loads files through a HealthImaging client and an S3 client (boto3's or alike).

    `imaging` must reach the emulator without the `runtime-` host prefix; `s3` is the S3
    the emulator's import jobs read. `stop` is asked between waits; when it answers True
    the load ends with LoadStopped.
    """

    imaging: Any
    s3: Any
    region: str = "us-east-1"
    records: LoadRecords | None = None
    role_arn: str = ROLE_ARN
    timeout: float = 600.0
    """Seconds each wait (data store ACTIVE, each job finished) may take."""
    poll_seconds: float = 0.1
    stop: Callable[[], bool] = _never
    files_per_job: int = FILES_PER_JOB

    def load(self, files: Sequence[LoadFile]) -> LoadResult:
        """Load `files` into a new data store; the recorded result when the set is
        unchanged and still there. LoadError before anything is made when no file is
        DICOM P10; LoadFailed when a step fails."""
        require_dicom(files)
        digest = set_digest(files)
        if self.records is not None:
            recorded = self.records.find(digest)
            if recorded is not None and self._still_there(recorded):
                return replace(recorded, reused=True)
        result = self._import(files, digest)
        if self.records is not None:
            self.records.save(result)
        return result

    # --- the steps -------------------------------------------------------------------

    def _import(self, files: Sequence[LoadFile], digest: str) -> LoadResult:
        name = f"{DATASTORE_PREFIX}{digest.removeprefix('sha256:')[:16]}"
        datastore_id: str = self._call(
            "CreateDatastore", self.imaging.create_datastore, datastoreName=name
        )["datastoreId"]
        bucket = f"ahi-contract-load-{uuid.uuid4().hex[:12]}"
        self._create_bucket(bucket)
        batches = [
            files[start : start + self.files_per_job]
            for start in range(0, len(files), self.files_per_job)
        ]
        self._upload(bucket, batches)
        self._wait_active(datastore_id)
        jobs = [self._start_job(datastore_id, bucket, number) for number in range(len(batches))]
        imported: list[ImportedFile] = []
        refused: list[RefusedFile] = []
        for number, job_id in enumerate(jobs):
            properties = self._wait_job(datastore_id, job_id)
            done, failed = self._outcomes(bucket, properties, batches[number], number)
            imported += done
            refused += failed
        return LoadResult(
            datastore_id=datastore_id,
            datastore_name=name,
            digest=digest,
            job_ids=tuple(jobs),
            imported=tuple(imported),
            refused=tuple(refused),
        )

    def _call(self, step: str, call: Callable[..., Any], **parameters: Any) -> Any:
        try:
            return call(**parameters)
        except (ClientError, BotoCoreError) as error:
            raise LoadFailed(f"{step} failed: {error}") from error

    def _create_bucket(self, bucket: str) -> None:
        parameters: dict[str, Any] = {"Bucket": bucket}
        if self.region != "us-east-1":
            parameters["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        self._call("CreateBucket on the emulator's S3", self.s3.create_bucket, **parameters)

    def _upload(self, bucket: str, batches: list[Sequence[LoadFile]]) -> None:
        def put(item: tuple[int, LoadFile]) -> None:
            number, file = item
            if self.stop():
                raise LoadStopped("stopped while uploading")
            with file.open() as body:
                self._call(
                    f"uploading {file.name}",
                    self.s3.put_object,
                    Bucket=bucket,
                    Key=f"input/{number}/{file.key}",
                    Body=body,
                )

        items = [(number, file) for number, batch in enumerate(batches) for file in batch]
        with ThreadPoolExecutor(_UPLOAD_THREADS, thread_name_prefix="load-upload") as pool:
            for _ in pool.map(put, items):
                pass

    def _wait(self, what: str, read: Callable[[], tuple[bool, str]]) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            done, status = read()
            if done:
                return
            if self.stop():
                raise LoadStopped(f"stopped while waiting for {what}")
            if time.monotonic() > deadline:
                raise LoadFailed(f"{what} did not finish within {self.timeout:g} s ({status})")
            time.sleep(self.poll_seconds)

    def _wait_active(self, datastore_id: str) -> None:
        def read() -> tuple[bool, str]:
            status: str = self._call(
                "GetDatastore", self.imaging.get_datastore, datastoreId=datastore_id
            )["datastoreProperties"]["datastoreStatus"]
            if status not in ("CREATING", "ACTIVE"):
                raise LoadFailed(f"data store {datastore_id} is {status}, not ACTIVE")
            return status == "ACTIVE", status

        self._wait(f"data store {datastore_id}", read)

    def _start_job(self, datastore_id: str, bucket: str, number: int) -> str:
        job_id: str = self._call(
            "StartDICOMImportJob",
            self.imaging.start_dicom_import_job,
            datastoreId=datastore_id,
            dataAccessRoleArn=self.role_arn,
            inputS3Uri=f"s3://{bucket}/input/{number}/",
            outputS3Uri=f"s3://{bucket}/output/{number}/",
            jobName=f"ahi-contract-load-{number}",
        )["jobId"]
        return job_id

    def _wait_job(self, datastore_id: str, job_id: str) -> dict[str, Any]:
        last: dict[str, Any] = {}

        def read() -> tuple[bool, str]:
            last.update(
                self._call(
                    "GetDICOMImportJob",
                    self.imaging.get_dicom_import_job,
                    datastoreId=datastore_id,
                    jobId=job_id,
                )["jobProperties"]
            )
            status = str(last["jobStatus"])
            if status == "FAILED":
                reason = last.get("message") or "no message"
                raise LoadFailed(f"import job {job_id} FAILED: {reason}")
            return status == "COMPLETED", status

        self._wait(f"import job {job_id}", read)
        return last

    def _results(self, bucket: str, folder: str, kind: str) -> list[dict[str, Any]]:
        key = f"{folder}{kind}/{kind.lower()}.ndjson"
        body = self._call(
            f"reading s3://{bucket}/{key}", self.s3.get_object, Bucket=bucket, Key=key
        )["Body"].read()
        return [json.loads(line) for line in body.decode("utf-8").splitlines() if line.strip()]

    def _outcomes(
        self,
        bucket: str,
        properties: dict[str, Any],
        batch: Sequence[LoadFile],
        number: int,
    ) -> tuple[list[ImportedFile], list[RefusedFile]]:
        folder = str(properties["outputS3Uri"]).removeprefix(f"s3://{bucket}/")
        prefix = f"input/{number}/"
        by_key = {f"{prefix}{file.key}": file for file in batch}
        success = {
            line["inputFile"]: line["importResponse"]
            for line in self._results(bucket, folder, "SUCCESS")
        }
        failure = {
            line["inputFile"]: line.get("exception", {})
            for line in self._results(bucket, folder, "FAILURE")
        }
        imported: list[ImportedFile] = []
        refused: list[RefusedFile] = []
        for key, file in by_key.items():
            if key in success:
                study, series, instance = _instance_uids(file)
                response = success[key]
                imported.append(
                    ImportedFile(
                        file=file.name,
                        image_set_id=response["imageSetId"],
                        is_primary=bool(response.get("isPrimary", True)),
                        sop_instance_uid=instance,
                        series_instance_uid=series,
                        study_instance_uid=study,
                    )
                )
            elif key in failure:
                exception = failure[key]
                refused.append(
                    RefusedFile(
                        file.name,
                        str(exception.get("message") or "no reason given"),
                        exception.get("exceptionType"),
                    )
                )
            else:
                refused.append(
                    RefusedFile(
                        file.name,
                        f"import job {properties['jobId']} listed this file neither in "
                        "SUCCESS/success.ndjson nor in FAILURE/failure.ndjson",
                        None,
                    )
                )
        return imported, refused

    def _still_there(self, result: LoadResult) -> bool:
        """Whether a recorded load's data store is ACTIVE and holds its image sets."""
        try:
            properties = self.imaging.get_datastore(datastoreId=result.datastore_id)
            if properties["datastoreProperties"]["datastoreStatus"] != "ACTIVE":
                return False
            for image_set_id in result.image_set_ids:
                found = self.imaging.get_image_set(
                    datastoreId=result.datastore_id, imageSetId=image_set_id
                )
                gone = ("DELETING", "DELETED")
                if found.get("imageSetState") == "DELETED" or (
                    found.get("imageSetWorkflowStatus") in gone
                ):
                    return False
        except ClientError:
            return False
        return True


def _instance_uids(file: LoadFile) -> tuple[str | None, str | None, str | None]:
    """The file's Study, Series and SOP Instance UIDs, read as pydicom reads them."""
    from pydicom import dcmread
    from pydicom.errors import InvalidDicomError

    try:
        with file.open() as handle, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # values the import took as they are
            dataset = dcmread(
                handle, stop_before_pixels=True, specific_tags=list(_UID_TAGS), force=True
            )
    except (InvalidDicomError, OSError, ValueError, EOFError):
        return None, None, None
    values = [dataset.get(tag) for tag in _UID_TAGS]
    study, series, instance = (str(value) if value else None for value in values)
    return study, series, instance


def load_paths(
    loader: Loader, paths: Iterable[str | os.PathLike[str]], sample: bool = False
) -> LoadResult:
    """Find the files `paths` name (and the bundled set with `sample`) and load them."""
    files = find_files(paths)
    if sample:
        files += sample_files()
    return loader.load(files)
