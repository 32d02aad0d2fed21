"""The emulator's one SQLite database: in memory by default, or in a file that survives restarts.

Records are dataclasses kept as JSON beside the few columns that queries need;
metadata documents and frames are blobs. One connection, one lock: every
read-modify-write runs inside `transaction()`, so concurrent callers see a serial
history.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

from harness.emulator.records import Datastore, ImageSet, ImageSetVersion, ImportJob

Record = TypeVar("Record", Datastore, ImportJob, ImageSet, ImageSetVersion)
_MEMBERS = {
    kind: frozenset(member.name for member in fields(kind))
    for kind in (Datastore, ImportJob, ImageSet, ImageSetVersion)
}


def from_json(kind: type[Record], data: str) -> Record:
    """A record from its stored JSON; members the record no longer has are left out."""
    names = _MEMBERS[kind]
    return kind(**{key: value for key, value in json.loads(data).items() if key in names})


class Database:
    """The connection, its lock, and the statements the tables run on it."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        target = str(path) if path else ":memory:"
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._depth = 0
        if path:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")

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
