"""The writes of image sets: UpdateImageSetMetadata, CopyImageSet and DeleteImageSet.

Each is applied when accepted and answers with its image sets LOCKED (see
`lifecycle`). The rules on documents live in `document_updates` and `document_copies`.

Harness decisions where the service's documentation is silent:
- IMAGESET-STALE-VERSION: a `latestVersion` (update), source `latestVersionId` or
  destination `latestVersionId` (copy) other than the set's current version is a
  409 ConflictException.
- UPDATE-REVERT-UNKNOWN: reverting to a version the set never had is a 404
  ResourceNotFoundException.
- UPDATE-STUDY: `includeStudyImageSets` is refused (400) with a revert or on a
  non-primary set; the other primary sets of the study get the Patient and Study
  changes as a new version, LOCKED with UPDATING_FOR_STUDY_CONSISTENCY, and if any of
  them is LOCKED the whole update is a 409.
- COPY-NEW-DESTINATION: a copy to a new image set starts it at version 1, not primary
  unless `promoteToPrimary`.
- COPY-PROMOTE: `promoteToPrimary` without a destination copies into the primary image
  set of the source's Study and Series when there is one (its ID is the destination),
  else into a new primary set; a source that is itself that primary set is refused
  (400). With a destination, the destination becomes primary when its series has no
  other primary set, else the copy is a 409.
- COPY-SAME-SET: copying an image set onto itself is a 400.
- COPY-DISAGREES: without `force`, a copy whose metadata disagrees with the destination
  is accepted and leaves a COPY_FAILED version on the destination with the documented
  message (the source is untouched).
"""

from __future__ import annotations

from typing import Any

from harness.emulator.exceptions import ConflictException, ValidationException
from harness.emulator.faults import Switch
from harness.emulator.handlers import handler
from harness.emulator.imagesets.document_copies import (
    disagreement,
    merge,
    parse_selection,
    subset,
)
from harness.emulator.imagesets.document_updates import (
    apply_study_updates,
    apply_updates,
    decode_attributes,
)
from harness.emulator.imagesets.documents import dicom_tags, frame_ids, series_key, to_gzip
from harness.emulator.imagesets.lifecycle import ImageSets
from harness.emulator.records import ImageSet, new_id


class ImageSetWriter:
    """The image-set operations that lock their sets: new versions from callers' changes,
    and deletes."""

    def __init__(self, image_sets: ImageSets) -> None:
        self.image_sets = image_sets
        self.tables = image_sets.tables
        self.faults = image_sets.faults

    def _check_version(self, image_set: ImageSet, given: str, what: str) -> None:
        if int(given) != image_set.latest_version and not self.faults.on(
            Switch.STALE_VERSION_ACCEPTED
        ):
            raise ConflictException(
                f"{what} {given} is not the latest version of image set "
                f"{image_set.image_set_id} ({image_set.latest_version})"
            )

    # UpdateImageSetMetadata

    @handler
    def update_image_set_metadata(self, request: dict[str, Any]) -> dict[str, Any]:
        updates = request["updateImageSetMetadataUpdates"]
        force = bool(request.get("force"))
        include_study = bool(request.get("includeStudyImageSets"))
        revert = updates.get("revertToVersionId")
        dicom = updates.get("DICOMUpdates")
        removable = updatable = None
        if dicom is not None:
            if dicom.get("removableAttributes") is not None:
                removable = decode_attributes(dicom["removableAttributes"], "removableAttributes")
            if dicom.get("updatableAttributes") is not None:
                updatable = decode_attributes(dicom["updatableAttributes"], "updatableAttributes")
        if revert is not None and include_study:
            raise ValidationException("includeStudyImageSets cannot be used with a revert")
        image_sets = self.image_sets
        with image_sets.store.transaction():
            now = image_sets.clock()
            image_sets.purge(now)
            image_set = image_sets.find(request["datastoreId"], request["imageSetId"])
            image_sets.begin_write(image_set, "UPDATING", now)
            self._check_version(image_set, request["latestVersionId"], "latestVersion")
            if revert is not None:
                target = image_sets.version_of(image_set, revert)
                document = image_sets.document(image_set, target.version)
            else:
                if updatable is not None and self.faults.on(Switch.UPDATE_REMOVALS_IGNORED):
                    removable = None
                document = apply_updates(
                    image_sets.document(image_set), removable, updatable, force
                )
            others = self._study_sets(image_set, now) if include_study else []
            previous = image_set.latest_version
            bumped = None if not self.faults.on(Switch.UPDATE_VERSION_NOT_BUMPED) else previous
            image_sets.add_version(image_set, document, "UPDATED", now, forced=force, number=bumped)
            if previous and self.faults.on(Switch.UPDATE_CHANGES_OLD_VERSION):
                old = self.tables.version(image_set.image_set_id, previous)
                if old is not None and old.version != image_set.latest_version:
                    self.tables.add_version(old, to_gzip(document))
            self.tables.save(image_set)
            for other in others:
                changed = apply_study_updates(
                    image_sets.document(other), removable, updatable, force
                )
                image_sets.add_version(other, changed, "UPDATED", now, forced=force)
                self.tables.save(other)
        answer = _change_properties(image_set, now)
        answer.update(imageSetState="LOCKED", imageSetWorkflowStatus="UPDATING")
        return {"datastoreId": image_set.datastore_id, **answer}

    def _study_sets(self, image_set: ImageSet, now: float) -> list[ImageSet]:
        if not image_set.is_primary:
            raise ValidationException("includeStudyImageSets needs a primary image set")
        study_uid, _ = series_key(image_set.dicom_tags)
        others = [
            other
            for other in self.tables.primaries_of_study(image_set.datastore_id, study_uid)
            if other.image_set_id != image_set.image_set_id and other.latest_version
        ]
        for other in others:
            self.image_sets.begin_write(other, "UPDATING_FOR_STUDY_CONSISTENCY", now)
        return others

    # CopyImageSet

    @handler
    def copy_image_set(self, request: dict[str, Any]) -> dict[str, Any]:
        information = request["copyImageSetInformation"]
        source_information = information["sourceImageSet"]
        destination_information = information.get("destinationImageSet")
        force = bool(request.get("force"))
        promote = bool(request.get("promoteToPrimary"))
        copiable = (source_information.get("DICOMCopies") or {}).get("copiableAttributes")
        image_sets = self.image_sets
        datastore_id = request["datastoreId"]
        with image_sets.store.transaction():
            now = image_sets.clock()
            image_sets.purge(now)
            source = image_sets.find(datastore_id, request["sourceImageSetId"])
            self._check_version(source, source_information["latestVersionId"], "latestVersionId")
            source_document = image_sets.document(source)
            copied = subset(source_document, parse_selection(copiable, source_document))
            if destination_information is not None:
                destination = self._named_destination(source, destination_information, promote)
            else:
                destination = self._implicit_destination(source, copied, promote, now)
            image_sets.begin_write(source, "COPYING_WITH_READ_ONLY_ACCESS", now)
            image_sets.begin_write(destination, "COPYING", now)
            if destination.latest_version == 0:
                image_sets.add_version(destination, copied, "COPIED", now, forced=force)
                self.tables.add(destination)
                self.tables.copy_frames(
                    source.image_set_id, destination.image_set_id, frame_ids(copied)
                )
            else:
                self._merge(source, destination, copied, force, now)
                self.tables.save(destination)
            self.tables.save(source)
        return {
            "datastoreId": datastore_id,
            "sourceImageSetProperties": self._copy_properties(
                source, now, "COPYING_WITH_READ_ONLY_ACCESS"
            ),
            "destinationImageSetProperties": self._copy_properties(destination, now, "COPYING"),
        }

    def _copy_properties(self, image_set: ImageSet, now: float, workflow: str) -> dict[str, Any]:
        fields = _change_properties(image_set, now)
        fields.update(imageSetState="LOCKED", imageSetWorkflowStatus=workflow)
        fields["imageSetArn"] = self.image_sets.arn(image_set.datastore_id, image_set.image_set_id)
        return fields

    def _named_destination(
        self, source: ImageSet, information: dict[str, Any], promote: bool
    ) -> ImageSet:
        destination_id = information["imageSetId"]
        if destination_id == source.image_set_id:
            raise ValidationException("The destination image set is the source image set")
        destination = self.image_sets.find(source.datastore_id, destination_id)
        if not self.faults.on(Switch.COPY_DESTINATION_VERSION_IGNORED):
            self._check_version(destination, information["latestVersionId"], "latestVersionId")
        if promote and not destination.is_primary:
            study_uid, series_uid = series_key(destination.dicom_tags)
            other = self.tables.primary_for(destination.datastore_id, study_uid, series_uid)
            if other is not None:
                raise ConflictException(
                    f"Series {series_uid} already has the primary image set {other.image_set_id}"
                )
            destination.is_primary = True
        return destination

    def _implicit_destination(
        self, source: ImageSet, copied: dict[str, Any], promote: bool, now: float
    ) -> ImageSet:
        if promote:
            study_uid, series_uid = series_key(dicom_tags(copied))
            primary = self.tables.primary_for(source.datastore_id, study_uid, series_uid)
            if primary is not None and primary.image_set_id == source.image_set_id:
                raise ValidationException("The source is already the primary image set")
            if primary is not None:
                return primary
        return ImageSet(
            image_set_id=new_id(),
            datastore_id=source.datastore_id,
            created_at=now,
            updated_at=now,
            latest_version=0,
            is_primary=promote,
            workflow_status="COPIED",
        )

    def _merge(
        self,
        source: ImageSet,
        destination: ImageSet,
        copied: dict[str, Any],
        force: bool,
        now: float,
    ) -> None:
        image_sets = self.image_sets
        current = image_sets.document(destination)
        problem = None if force else disagreement(copied, current)
        if problem is not None:
            image_sets.add_version(destination, current, "COPY_FAILED", now, message=problem)
            return
        image_sets.add_version(destination, merge(current, copied), "COPIED", now, forced=force)
        self.tables.copy_frames(source.image_set_id, destination.image_set_id, frame_ids(copied))

    # DeleteImageSet

    @handler
    def delete_image_set(self, request: dict[str, Any]) -> dict[str, Any]:
        image_sets = self.image_sets
        with image_sets.store.transaction():
            now = image_sets.clock()
            image_sets.purge(now)
            image_set = image_sets.find(request["datastoreId"], request["imageSetId"])
            answer = {
                "datastoreId": image_set.datastore_id,
                "imageSetId": image_set.image_set_id,
                "imageSetState": "LOCKED",
                "imageSetWorkflowStatus": "DELETING",
            }
            if image_set.state == "DELETED" and image_set.locked(now):
                return answer
            image_sets.begin_write(image_set, "DELETING", now)
            image_set.state = "DELETED"
            image_set.workflow_status = "DELETED"
            image_set.deleted_at = image_set.locked_until
            self.tables.save(image_set)
        return answer


def _change_properties(image_set: ImageSet, now: float) -> dict[str, Any]:
    """The fields Update and Copy answer with for one image set."""
    state, workflow = image_set.shown_state(now)
    return {
        "imageSetId": image_set.image_set_id,
        "latestVersionId": str(image_set.latest_version),
        "imageSetState": state,
        "imageSetWorkflowStatus": workflow,
        "createdAt": image_set.created_at,
        "updatedAt": image_set.updated_at,
    }
