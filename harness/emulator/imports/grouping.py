"""How one import job's instances become image sets.

Documented (developer guide 'Understanding image sets'): an image set closely
resembles a DICOM series; instances are grouped by Study Instance UID, Series
Instance UID and the Patient ID, Study Date, Accession Number, Study ID and Series
Number they carry; instances consistent with the primary image set of their series
join it as a new version (across jobs too); data that conflicts with a primary image
set is persisted as a non-primary image set. Import jobs "do not deduplicate SOP
Instance storage": each import of the same SOP instance is stored again, "as a new
non-primary image set, or incremented version of an existing primary image set", and
when an instance of a primary image set is imported again "the new copy will be
inserted into the primary image set, and the version will be incremented" (the same
page; 'Understanding import jobs': "the latest version will overwrite any older
version stored within a primary image set").

Harness decisions (IMPORT-GROUPING) where that material is silent:
- A job stages its instances in groups of one Study and Series with one set of
  grouping values, and commits all groups at its end, in one transaction, in the
  order their first file was listed. A group whose values equal those of its
  series' primary image set becomes that set's next version (workflow IMPORTED);
  otherwise it becomes a new image set (CREATED) that is primary when its series has
  no primary set yet, else non-primary. Concurrent jobs are therefore resolved at
  commit: the first to commit creates the primary set, the next adds a version.
- Every file is kept. Within one job there is no "most recent" copy of an instance
  (a job reads its files in no documented order), so the first file listed stays, and
  a later file whose SOP Instance UID its group already holds with different content
  does not replace it: it goes to the group's next variant, a new non-primary image
  set of the same series (the first variant without that SOP Instance UID, or a new
  one). Its success line names that set, `isPrimary` false.
- Two files are identical when the image set would hold the same for them: the same
  one-instance metadata (every attribute at every level, the original
  TransferSyntaxUID included) and the same stored frames, byte for byte. A file
  identical to one a group already holds is not stored again: its success line names
  the set holding the first. So the same bytes listed twice give one instance, and so
  do files that differ only where the set keeps nothing (padding after the pixels,
  compressed bytes that decode to the same pixels when frames are transcoded); the
  same pixels in another transfer syntax are different content.
- Across jobs the documented rule holds: a group that joins the primary image set
  replaces the instances it holds again (identical or not) in that set's next
  version; earlier versions keep the earlier copies and their frames.
- One job adds at most one version to an image set.
- A new set's Patient and Study metadata come from its first instance, a new
  series' from that series' first instance; an existing set keeps its own.
- Frame IDs derive from the group's ID (the new set's ID), so a re-import gets new
  frame IDs and older versions keep their frames byte for byte.
- `numberOfMatchedSOPInstances` counts the job's files whose success line names the
  image set (identical duplicates included), so the counts add up to
  `numberOfImportedFiles`.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from harness.emulator.faults import Switch
from harness.emulator.imagesets.documents import grouping_values, series_of
from harness.emulator.imagesets.lifecycle import ImageSets
from harness.emulator.imports.input_files import PreparedInstance
from harness.emulator.records import ImageSet, new_id
from harness.imaging.frames import frame_id

FLUSH_EVERY = 32


@dataclass
class Group:
    """Instances of one Study and Series with one set of grouping values."""

    index: int
    group_id: str
    series_key: tuple[str, str]
    grouping: tuple[Any, ...]
    first: dict[str, Any]
    variant: int = 0
    """0 for the job's first copy of each instance; 1, 2, ... hold the conflicting ones."""
    files: int = 0
    digests: dict[str, bytes] = field(default_factory=dict)
    """The content digest of each SOP instance the group holds."""


@dataclass(frozen=True)
class Committed:
    """Where a group went: its image set, the version it made, whether the set is primary."""

    image_set_id: str
    version: int
    is_primary: bool
    files: int


@dataclass
class ImportBatch:
    """One job's groups: frames and instances staged in the store until `commit`."""

    image_sets: ImageSets
    job_id: str
    datastore_id: str
    groups: dict[tuple[Any, ...], Group] = field(default_factory=dict)
    first_sop: str | None = None
    _frames: list[tuple[str, str, str, bytes]] = field(default_factory=list)
    _staged: list[tuple[str, str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.image_sets.tables.discard_staging(self.job_id)

    def add(self, prepared: PreparedInstance) -> int:
        """Stage one instance (unless its group holds an identical one); its group's index."""
        tags = prepared.tags
        series = (str(tags.get("DICOMStudyInstanceUID") or ""), prepared.series_instance_uid)
        grouping = grouping_values(tags)
        sop = prepared.sop_instance_uid
        staged, digest = prepared.entry_json, prepared.digest
        variant = 0
        while True:
            group = self.groups.get((series, grouping, variant))
            if group is None:
                group = Group(
                    len(self.groups), new_id(), series, grouping, prepared.document, variant
                )
                self.groups[(series, grouping, variant)] = group
                break
            held = group.digests.get(sop)
            if held is None:
                break
            if held == digest:
                group.files += 1
                return group.index
            variant += 1
        group.digests[sop] = digest
        for index, frame in enumerate(prepared.entry().get("ImageFrames") or ()):
            ours = frame_id(group.group_id, sop, index)
            staged = staged.replace(f'"{frame["ID"]}"', f'"{ours}"', 1)
            frame["ID"] = ours
        self._frames += [
            (group.group_id, frame_id(group.group_id, sop, index), prepared.stored_syntax, data)
            for index, data in enumerate(prepared.frames)
        ]
        self._staged.append((group.group_id, sop, staged))
        group.files += 1
        if self.first_sop is None:
            self.first_sop = sop
        if len(self._staged) >= FLUSH_EVERY:
            self.flush()
        return group.index

    def flush(self) -> None:
        """Write the staged frames and instances to the store."""
        if not self._staged:
            return
        tables = self.image_sets.tables
        with self.image_sets.store.transaction():
            tables.put_frames(self._frames)
            tables.stage(self.job_id, self._staged)
        self._frames, self._staged = [], []

    def discard(self) -> None:
        """Forget everything staged (a job that fails)."""
        self._frames, self._staged = [], []
        self.image_sets.tables.discard_staging(self.job_id)

    def commit(self) -> list[Committed]:
        """Turn every group into a version of an image set; by group index."""
        self.flush()
        image_sets = self.image_sets
        results: list[Committed] = []
        with image_sets.store.transaction():
            now = image_sets.clock()
            image_sets.purge(now)
            for group in sorted(self.groups.values(), key=lambda g: g.index):
                results.append(self._commit_group(group, now))
            image_sets.tables.discard_staging(self.job_id)
        return results

    def _entries(self, group: Group) -> dict[str, Any]:
        staged = self.image_sets.tables.staged(self.job_id, group.group_id)
        return {sop: json.loads(data) for sop, data in staged}

    def _drop_first(self, document: dict[str, Any]) -> None:
        if not self.image_sets.faults.on(Switch.IMPORT_DROPS_INSTANCE):
            return
        for series in series_of(document).values():
            (series.get("Instances") or {}).pop(self.first_sop, None)

    def _commit_group(self, group: Group, now: float) -> Committed:
        image_sets = self.image_sets
        study_uid, series_uid = group.series_key
        entries = self._entries(group)
        primary = image_sets.tables.primary_for(self.datastore_id, study_uid, series_uid)
        consistent = primary is not None and grouping_values(primary.dicom_tags) == group.grouping
        if primary is not None and consistent and group.variant == 0:
            document = image_sets.document(primary)
            first_series = series_of(group.first)[series_uid]
            target = series_of(document).setdefault(
                series_uid, {"DICOM": copy.deepcopy(first_series.get("DICOM") or {})}
            )
            target.setdefault("Instances", {}).update(entries)
            self._drop_first(document)
            image_sets.tables.move_frames(group.group_id, primary.image_set_id)
            version = image_sets.add_version(primary, document, "IMPORTED", now)
            image_sets.tables.save(primary)
            return Committed(primary.image_set_id, version.version, True, group.files)
        document = copy.deepcopy(group.first)
        series_of(document)[series_uid]["Instances"] = entries
        self._drop_first(document)
        image_set = ImageSet(
            image_set_id=group.group_id,
            datastore_id=self.datastore_id,
            created_at=now,
            updated_at=now,
            latest_version=0,
            is_primary=primary is None and group.variant == 0,
            workflow_status="CREATED",
        )
        version = image_sets.add_version(image_set, document, "CREATED", now)
        image_sets.tables.add(image_set)
        return Committed(image_set.image_set_id, version.version, image_set.is_primary, group.files)
