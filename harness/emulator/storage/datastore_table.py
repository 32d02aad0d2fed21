"""The data store table: one row per data store, by ID, client token and creation order."""

from __future__ import annotations

import json
from dataclasses import asdict

from harness.emulator.records import Datastore
from harness.emulator.storage.database import Database, from_json

_SCHEMA = """
CREATE TABLE IF NOT EXISTS datastores (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    client_token TEXT UNIQUE,
    data TEXT NOT NULL
);
"""


def _datastore(data: str, seq: int) -> Datastore:
    record = from_json(Datastore, data)
    record.seq = seq
    return record


class DatastoreTable:
    """Queries on the data store table."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.script(_SCHEMA)

    def add(self, datastore: Datastore) -> None:
        datastore.seq = self.db.write(
            "INSERT INTO datastores (id, client_token, data) VALUES (?, ?, ?)",
            datastore.datastore_id,
            datastore.client_token,
            json.dumps(asdict(datastore)),
        )

    def save(self, datastore: Datastore) -> None:
        self.db.write(
            "UPDATE datastores SET data = ? WHERE id = ?",
            json.dumps(asdict(datastore)),
            datastore.datastore_id,
        )

    def get(self, datastore_id: str) -> Datastore | None:
        row = self.db.one("SELECT data, seq FROM datastores WHERE id = ?", datastore_id)
        return _datastore(row[0], row[1]) if row else None

    def by_token(self, client_token: str) -> Datastore | None:
        row = self.db.one("SELECT data, seq FROM datastores WHERE client_token = ?", client_token)
        return _datastore(row[0], row[1]) if row else None

    def after(self, after_seq: int = 0) -> list[Datastore]:
        """Every data store created after `after_seq`, oldest first."""
        rows = self.db.all("SELECT data, seq FROM datastores WHERE seq > ? ORDER BY seq", after_seq)
        return [_datastore(data, seq) for data, seq in rows]
