"""The emulator's state: one database and its tables (data stores, import jobs, image sets)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.emulator.storage.database import Database
from harness.emulator.storage.datastore_table import DatastoreTable
from harness.emulator.storage.image_set_tables import ImageSetTables
from harness.emulator.storage.job_table import JobTable


class Store:
    """Every table on one connection, in memory or in the file at `path`."""

    def __init__(self, path: Path | None = None) -> None:
        self.db = Database(path)
        self.datastores = DatastoreTable(self.db)
        self.jobs = JobTable(self.db)
        self.image_sets = ImageSetTables(self.db)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One read-modify-write over any of the tables (see `Database.transaction`)."""
        with self.db.transaction():
            yield

    def close(self) -> None:
        self.db.close()
