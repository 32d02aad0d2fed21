"""The image-set tables: the sets, their versions with gzip metadata, frames, import staging.

Frames are kept by image set and frame ID, not by version: GetImageFrame names no
version, and a frame's ID never changes its bytes (a re-import stages new IDs).
Frames and staged instances of an import job that has not committed yet sit under
the job's group IDs; `discard_staging` removes what a job leaves behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from harness.emulator.records import ImageSet, ImageSetVersion
from harness.emulator.storage.database import Database, from_json

_SCHEMA = """
CREATE TABLE IF NOT EXISTS image_sets (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    datastore_id TEXT NOT NULL,
    study_uid TEXT NOT NULL,
    series_uid TEXT NOT NULL,
    is_primary INTEGER NOT NULL,
    state TEXT NOT NULL,
    locked_until REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS image_sets_by_datastore ON image_sets (datastore_id, seq);
CREATE INDEX IF NOT EXISTS image_sets_by_series
    ON image_sets (datastore_id, study_uid, series_uid);
CREATE TABLE IF NOT EXISTS image_set_versions (
    image_set_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    metadata BLOB NOT NULL,
    PRIMARY KEY (image_set_id, version)
);
CREATE TABLE IF NOT EXISTS frames (
    image_set_id TEXT NOT NULL,
    frame_id TEXT NOT NULL,
    stored_syntax TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (image_set_id, frame_id)
);
CREATE TABLE IF NOT EXISTS staged_instances (
    job_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    sop_instance_uid TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (job_id, group_id, sop_instance_uid)
);
"""
_BATCH = 500


def _image_set(data: str, seq: int) -> ImageSet:
    record = from_json(ImageSet, data)
    record.seq = seq
    return record


def _version(data: str) -> ImageSetVersion:
    return from_json(ImageSetVersion, data)


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]


class ImageSetTables:
    """Queries on the image-set tables."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.script(_SCHEMA)

    # image sets

    def _columns(self, image_set: ImageSet) -> tuple[Any, ...]:
        tags = image_set.dicom_tags
        return (
            image_set.datastore_id,
            str(tags.get("DICOMStudyInstanceUID") or ""),
            str(tags.get("DICOMSeriesInstanceUID") or ""),
            int(image_set.is_primary),
            image_set.state,
            image_set.locked_until,
            json.dumps(asdict(image_set)),
        )

    def add(self, image_set: ImageSet) -> None:
        """Insert a new image set."""
        image_set.seq = self.db.write(
            "INSERT INTO image_sets (datastore_id, study_uid, series_uid, is_primary, state, "
            "locked_until, data, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            *self._columns(image_set),
            image_set.image_set_id,
        )

    def save(self, image_set: ImageSet) -> None:
        """Write back a changed image set."""
        self.db.write(
            "UPDATE image_sets SET datastore_id = ?, study_uid = ?, series_uid = ?, "
            "is_primary = ?, state = ?, locked_until = ?, data = ? WHERE id = ?",
            *self._columns(image_set),
            image_set.image_set_id,
        )

    def get(self, image_set_id: str) -> ImageSet | None:
        """The image set with this ID, in whichever data store, gone or not."""
        row = self.db.one("SELECT data, seq FROM image_sets WHERE id = ?", image_set_id)
        return _image_set(row[0], row[1]) if row else None

    def in_datastore(self, datastore_id: str | None) -> list[ImageSet]:
        """Every image set of a data store (None: of every data store), oldest first."""
        if datastore_id is None:
            rows = self.db.all("SELECT data, seq FROM image_sets ORDER BY seq")
        else:
            rows = self.db.all(
                "SELECT data, seq FROM image_sets WHERE datastore_id = ? ORDER BY seq",
                datastore_id,
            )
        return [_image_set(data, seq) for data, seq in rows]

    def primary_for(self, datastore_id: str, study_uid: str, series_uid: str) -> ImageSet | None:
        """The primary image set of a Study and Series that no delete has taken."""
        row = self.db.one(
            "SELECT data, seq FROM image_sets WHERE datastore_id = ? AND study_uid = ? "
            "AND series_uid = ? AND is_primary = 1 AND state != 'DELETED' ORDER BY seq LIMIT 1",
            datastore_id,
            study_uid,
            series_uid,
        )
        return _image_set(row[0], row[1]) if row else None

    def primaries_of_study(self, datastore_id: str, study_uid: str) -> list[ImageSet]:
        """Every primary image set of a study that no delete has taken."""
        rows = self.db.all(
            "SELECT data, seq FROM image_sets WHERE datastore_id = ? AND study_uid = ? "
            "AND is_primary = 1 AND state != 'DELETED' ORDER BY seq",
            datastore_id,
            study_uid,
        )
        return [_image_set(data, seq) for data, seq in rows]

    def count(self, datastore_id: str, now: float) -> int:
        """Image sets of a data store that are not gone (a delete in progress still counts)."""
        row = self.db.one(
            "SELECT COUNT(*) FROM image_sets WHERE datastore_id = ? "
            "AND (state != 'DELETED' OR locked_until > ?)",
            datastore_id,
            now,
        )
        return int(row[0]) if row else 0

    def purge_gone(self, now: float) -> None:
        """Drop image sets whose delete has completed, with their versions and frames."""
        gone = [
            str(row[0])
            for row in self.db.all(
                "SELECT id FROM image_sets WHERE state = 'DELETED' AND locked_until <= ?", now
            )
        ]
        for chunk in _chunks(gone):
            marks = ",".join("?" * len(chunk))
            for table, column in (
                ("frames", "image_set_id"),
                ("image_set_versions", "image_set_id"),
                ("image_sets", "id"),
            ):
                self.db.write(f"DELETE FROM {table} WHERE {column} IN ({marks})", *chunk)

    # versions

    def add_version(self, version: ImageSetVersion, metadata: bytes) -> None:
        """Store a version and its gzip metadata document (replacing one of that number)."""
        self.db.write(
            "INSERT OR REPLACE INTO image_set_versions (image_set_id, version, data, metadata) "
            "VALUES (?, ?, ?, ?)",
            version.image_set_id,
            version.version,
            json.dumps(asdict(version)),
            metadata,
        )

    def version(self, image_set_id: str, version: int) -> ImageSetVersion | None:
        row = self.db.one(
            "SELECT data FROM image_set_versions WHERE image_set_id = ? AND version = ?",
            image_set_id,
            version,
        )
        return _version(row[0]) if row else None

    def metadata(self, image_set_id: str, version: int) -> bytes | None:
        """A version's gzip metadata document."""
        row = self.db.one(
            "SELECT metadata FROM image_set_versions WHERE image_set_id = ? AND version = ?",
            image_set_id,
            version,
        )
        return bytes(row[0]) if row else None

    def versions(self, image_set_id: str, after: int, limit: int) -> list[ImageSetVersion]:
        """Versions after number `after`, in ascending order, at most `limit`."""
        rows = self.db.all(
            "SELECT data FROM image_set_versions WHERE image_set_id = ? AND version > ? "
            "ORDER BY version LIMIT ?",
            image_set_id,
            after,
            limit,
        )
        return [_version(row[0]) for row in rows]

    # frames

    def put_frames(self, rows: list[tuple[str, str, str, bytes]]) -> None:
        """Store `(image_set_id, frame_id, stored_syntax, bytes)` rows."""
        self.db.write_many(
            "INSERT OR REPLACE INTO frames (image_set_id, frame_id, stored_syntax, data) "
            "VALUES (?, ?, ?, ?)",
            rows,
        )

    def frame(self, image_set_id: str, frame_id: str) -> tuple[str, bytes] | None:
        """A frame's stored syntax and bytes."""
        row = self.db.one(
            "SELECT stored_syntax, data FROM frames WHERE image_set_id = ? AND frame_id = ?",
            image_set_id,
            frame_id,
        )
        return (str(row[0]), bytes(row[1])) if row else None

    def move_frames(self, source_id: str, target_id: str) -> None:
        """Give every frame kept under `source_id` to `target_id`."""
        self.db.write(
            "UPDATE OR REPLACE frames SET image_set_id = ? WHERE image_set_id = ?",
            target_id,
            source_id,
        )

    def copy_frames(self, source_id: str, target_id: str, frame_ids: list[str]) -> None:
        """Copy the named frames of `source_id` to `target_id`, keeping their IDs."""
        for chunk in _chunks(frame_ids):
            marks = ",".join("?" * len(chunk))
            self.db.write(
                "INSERT OR REPLACE INTO frames (image_set_id, frame_id, stored_syntax, data) "
                f"SELECT ?, frame_id, stored_syntax, data FROM frames "
                f"WHERE image_set_id = ? AND frame_id IN ({marks})",
                target_id,
                source_id,
                *chunk,
            )

    # import staging

    def stage(self, job_id: str, rows: list[tuple[str, str, str]]) -> None:
        """Stage `(group_id, sop_instance_uid, instance JSON)` rows of an import job."""
        self.db.write_many(
            "INSERT OR REPLACE INTO staged_instances (job_id, group_id, sop_instance_uid, data) "
            "VALUES (?, ?, ?, ?)",
            [(job_id, *row) for row in rows],
        )

    def staged(self, job_id: str, group_id: str) -> list[tuple[str, str]]:
        """A group's staged `(sop_instance_uid, instance JSON)` rows, in staging order."""
        rows = self.db.all(
            "SELECT sop_instance_uid, data FROM staged_instances WHERE job_id = ? "
            "AND group_id = ? ORDER BY rowid",
            job_id,
            group_id,
        )
        return [(str(sop), str(data)) for sop, data in rows]

    def discard_staging(self, job_id: str, committed: Iterable[str] = ()) -> None:
        """Forget a job's staging; frames of groups that did not become image sets go too."""
        keep = set(committed)
        groups = [
            str(row[0])
            for row in self.db.all(
                "SELECT DISTINCT group_id FROM staged_instances WHERE job_id = ?", job_id
            )
        ]
        orphans = [group for group in groups if group not in keep]
        for chunk in _chunks(orphans):
            marks = ",".join("?" * len(chunk))
            self.db.write(
                f"DELETE FROM frames WHERE image_set_id IN ({marks}) "
                f"AND image_set_id NOT IN (SELECT id FROM image_sets)",
                *chunk,
            )
        self.db.write("DELETE FROM staged_instances WHERE job_id = ?", job_id)
