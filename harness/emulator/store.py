"""Persistent state in SQLite: in memory by default, or in a file that survives restarts.

Records are dataclasses kept as JSON beside the few columns that queries need;
metadata documents and frames are blobs.
One connection, one lock: every read-modify-write in the backend runs inside
`transaction()`, so concurrent callers see a serial history.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, TypeVar

from harness.emulator.imageset_store import ImageSetStore
from harness.emulator.records import Datastore, ImportJob

_SCHEMA = """
CREATE TABLE IF NOT EXISTS datastores (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    client_token TEXT UNIQUE,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    datastore_id TEXT NOT NULL,
    status TEXT NOT NULL,
    client_token TEXT UNIQUE,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_datastore ON jobs (datastore_id, seq);
"""

Record = TypeVar("Record", Datastore, ImportJob)


def _decode(kind: type[Record], data: str, seq: int) -> Record:
    values = json.loads(data)
    names = {f.name for f in fields(kind)}
    record = kind(**{key: value for key, value in values.items() if key in names})
    record.seq = seq
    return record


class Store:
    """Data stores and import jobs; image sets, versions and frames in `image_sets`."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        target = str(path) if path else ":memory:"
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._depth = 0
        if path:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self.image_sets = ImageSetStore(self)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Serialise a read-modify-write; commit at the end, roll back on error.

        Re-entrant: a transaction opened inside another joins it.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    def script(self, sql: str) -> None:
        """Run a script of statements (schema creation)."""
        with self._lock:
            self._db.executescript(sql)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def one(self, sql: str, *args: Any) -> tuple[Any, ...] | None:
        """The first row of a query, or None."""
        with self._lock:
            row: tuple[Any, ...] | None = self._db.execute(sql, args).fetchone()
            return row

    def all(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Every row of a query."""
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def write(self, sql: str, *args: Any) -> int:
        """Run one statement; the id of the row it inserted, if any."""
        with self._lock:
            cursor = self._db.execute(sql, args)
            return int(cursor.lastrowid or 0)

    def write_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each row."""
        with self._lock:
            self._db.executemany(sql, rows)

    # data stores

    def add_datastore(self, datastore: Datastore) -> None:
        datastore.seq = self.write(
            "INSERT INTO datastores (id, client_token, data) VALUES (?, ?, ?)",
            datastore.datastore_id,
            datastore.client_token,
            json.dumps(asdict(datastore)),
        )

    def save_datastore(self, datastore: Datastore) -> None:
        self.write(
            "UPDATE datastores SET data = ? WHERE id = ?",
            json.dumps(asdict(datastore)),
            datastore.datastore_id,
        )

    def datastore(self, datastore_id: str) -> Datastore | None:
        row = self.one("SELECT data, seq FROM datastores WHERE id = ?", datastore_id)
        return _decode(Datastore, row[0], row[1]) if row else None

    def datastore_by_token(self, client_token: str) -> Datastore | None:
        row = self.one("SELECT data, seq FROM datastores WHERE client_token = ?", client_token)
        return _decode(Datastore, row[0], row[1]) if row else None

    def datastores(self, after_seq: int = 0) -> list[Datastore]:
        rows = self.all("SELECT data, seq FROM datastores WHERE seq > ? ORDER BY seq", after_seq)
        return [_decode(Datastore, data, seq) for data, seq in rows]

    # import jobs

    def add_job(self, job: ImportJob) -> None:
        job.seq = self.write(
            "INSERT INTO jobs (id, datastore_id, status, client_token, data) "
            "VALUES (?, ?, ?, ?, ?)",
            job.job_id,
            job.datastore_id,
            job.job_status,
            job.client_token,
            json.dumps(asdict(job)),
        )

    def save_job(self, job: ImportJob) -> None:
        self.write(
            "UPDATE jobs SET status = ?, data = ? WHERE id = ?",
            job.job_status,
            json.dumps(asdict(job)),
            job.job_id,
        )

    def job(self, datastore_id: str, job_id: str) -> ImportJob | None:
        row = self.one(
            "SELECT data, seq FROM jobs WHERE datastore_id = ? AND id = ?", datastore_id, job_id
        )
        return _decode(ImportJob, row[0], row[1]) if row else None

    def job_by_token(self, client_token: str) -> ImportJob | None:
        row = self.one("SELECT data, seq FROM jobs WHERE client_token = ?", client_token)
        return _decode(ImportJob, row[0], row[1]) if row else None

    def jobs(
        self, datastore_id: str, status: str | None, after_seq: int, limit: int
    ) -> list[ImportJob]:
        sql = "SELECT data, seq FROM jobs WHERE datastore_id = ? AND seq > ?"
        args: list[Any] = [datastore_id, after_seq]
        if status:
            sql += " AND status = ?"
            args.append(status)
        rows = self.all(sql + " ORDER BY seq LIMIT ?", *args, limit)
        return [_decode(ImportJob, data, seq) for data, seq in rows]

    def unfinished_jobs(self) -> list[ImportJob]:
        rows = self.all(
            "SELECT data, seq FROM jobs WHERE status IN ('SUBMITTED', 'IN_PROGRESS') ORDER BY seq"
        )
        return [_decode(ImportJob, data, seq) for data, seq in rows]

    def active_job_count(self, datastore_id: str) -> int:
        row = self.one(
            "SELECT COUNT(*) FROM jobs WHERE datastore_id = ? "
            "AND status IN ('SUBMITTED', 'IN_PROGRESS')",
            datastore_id,
        )
        return int(row[0]) if row else 0
