"""The import job table: one row per job, by data store, status, client token and order."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from harness.emulator.records import ImportJob
from harness.emulator.storage.database import Database, from_json

_SCHEMA = """
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


def _job(data: str, seq: int) -> ImportJob:
    record = from_json(ImportJob, data)
    record.seq = seq
    return record


class JobTable:
    """Queries on the import job table."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.script(_SCHEMA)

    def add(self, job: ImportJob) -> None:
        job.seq = self.db.write(
            "INSERT INTO jobs (id, datastore_id, status, client_token, data) "
            "VALUES (?, ?, ?, ?, ?)",
            job.job_id,
            job.datastore_id,
            job.job_status,
            job.client_token,
            json.dumps(asdict(job)),
        )

    def save(self, job: ImportJob) -> None:
        self.db.write(
            "UPDATE jobs SET status = ?, data = ? WHERE id = ?",
            job.job_status,
            json.dumps(asdict(job)),
            job.job_id,
        )

    def get(self, datastore_id: str, job_id: str) -> ImportJob | None:
        row = self.db.one(
            "SELECT data, seq FROM jobs WHERE datastore_id = ? AND id = ?", datastore_id, job_id
        )
        return _job(row[0], row[1]) if row else None

    def by_token(self, client_token: str) -> ImportJob | None:
        row = self.db.one("SELECT data, seq FROM jobs WHERE client_token = ?", client_token)
        return _job(row[0], row[1]) if row else None

    def of_datastore(
        self, datastore_id: str, status: str | None, after_seq: int, limit: int
    ) -> list[ImportJob]:
        """A data store's jobs (of one status, if given) after `after_seq`, oldest first."""
        sql = "SELECT data, seq FROM jobs WHERE datastore_id = ? AND seq > ?"
        args: list[Any] = [datastore_id, after_seq]
        if status:
            sql += " AND status = ?"
            args.append(status)
        rows = self.db.all(sql + " ORDER BY seq LIMIT ?", *args, limit)
        return [_job(data, seq) for data, seq in rows]

    def unfinished(self) -> list[ImportJob]:
        """Every job still SUBMITTED or IN_PROGRESS, oldest first."""
        rows = self.db.all(
            "SELECT data, seq FROM jobs WHERE status IN ('SUBMITTED', 'IN_PROGRESS') ORDER BY seq"
        )
        return [_job(data, seq) for data, seq in rows]

    def active_count(self, datastore_id: str) -> int:
        """How many of a data store's jobs are SUBMITTED or IN_PROGRESS."""
        row = self.db.one(
            "SELECT COUNT(*) FROM jobs WHERE datastore_id = ? "
            "AND status IN ('SUBMITTED', 'IN_PROGRESS')",
            datastore_id,
        )
        return int(row[0]) if row else 0
