"""UpdateImageSetMetadata and CopyImageSet: checks, versions and locks on the image sets.

Both are applied when accepted and answer with their image sets LOCKED (see
`imagesets`). The document rules live in `updates` and `copies`.

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

from harness.emulator.backend import new_id
from harness.emulator.copies import disagreement, merge, parse_selection, subset
from harness.emulator.documents import dicom_tags, frame_ids, series_key, to_gzip
from harness.emulator.exceptions import ConflictException, ValidationException
from harness.emulator.imagesets import ImageSetBackend
from harness.emulator.records import ImageSet
from harness.emulator.updates import apply_study_updates, apply_updates, decode_attributes


class ImageSetWriter:
    """The two image-set operations that make new versions from callers' changes."""

    def __init__(self, image_sets: ImageSetBackend) -> None:
        self.image_sets = image_sets
        self.sets = image_sets.sets
        self.faults = image_sets.faults

    def _check_version(self, image_set: ImageSet, given: str, what: str) -> None:
        if int(given) != image_set.latest_version and not self.faults.on("stale-version-accepted"):
            raise ConflictException(
                f"{what} {given} is not the latest version of image set "
                f"{image_set.image_set_id} ({image_set.latest_version})"
            )

    # UpdateImageSetMetadata

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
        backend = self.image_sets
        with backend.store.transaction():
            now = backend.clock()
            backend.purge(now)
            image_set = backend.find(request["datastoreId"], request["imageSetId"])
            backend.begin_write(image_set, "UPDATING", now)
            self._check_version(image_set, request["latestVersionId"], "latestVersion")
            if revert is not None:
                target = backend.version_of(image_set, revert)
                document = backend.document(image_set, target.version)
            else:
                if updatable is not None and self.faults.on("update-removals-ignored"):
                    removable = None
                document = apply_updates(backend.document(image_set), removable, updatable, force)
            others = self._study_sets(image_set, now) if include_study else []
            previous = image_set.latest_version
            bumped = None if not self.faults.on("update-version-not-bumped") else previous
            backend.add_version(image_set, document, "UPDATED", now, forced=force, number=bumped)
            if previous and self.faults.on("update-changes-old-version"):
                old = self.sets.version(image_set.image_set_id, previous)
                if old is not None and old.version != image_set.latest_version:
                    self.sets.add_version(old, to_gzip(document))
            self.sets.save(image_set)
            for other in others:
                changed = apply_study_updates(backend.document(other), removable, updatable, force)
                backend.add_version(other, changed, "UPDATED", now, forced=force)
                self.sets.save(other)
        answer = backend.change_properties(image_set, now)
        answer.update(imageSetState="LOCKED", imageSetWorkflowStatus="UPDATING")
        return {"datastoreId": image_set.datastore_id, **answer}

    def _study_sets(self, image_set: ImageSet, now: float) -> list[ImageSet]:
        if not image_set.is_primary:
            raise ValidationException("includeStudyImageSets needs a primary image set")
        study_uid, _ = series_key(image_set.dicom_tags)
        others = [
            other
            for other in self.sets.primaries_of_study(image_set.datastore_id, study_uid)
            if other.image_set_id != image_set.image_set_id and other.latest_version
        ]
        for other in others:
            self.image_sets.begin_write(other, "UPDATING_FOR_STUDY_CONSISTENCY", now)
        return others

    # CopyImageSet

    def copy_image_set(self, request: dict[str, Any]) -> dict[str, Any]:
        information = request["copyImageSetInformation"]
        source_information = information["sourceImageSet"]
        destination_information = information.get("destinationImageSet")
        force = bool(request.get("force"))
        promote = bool(request.get("promoteToPrimary"))
        copiable = (source_information.get("DICOMCopies") or {}).get("copiableAttributes")
        backend = self.image_sets
        datastore_id = request["datastoreId"]
        with backend.store.transaction():
            now = backend.clock()
            backend.purge(now)
            source = backend.find(datastore_id, request["sourceImageSetId"])
            self._check_version(source, source_information["latestVersionId"], "latestVersionId")
            source_document = backend.document(source)
            copied = subset(source_document, parse_selection(copiable, source_document))
            if destination_information is not None:
                destination = self._named_destination(source, destination_information, promote)
            else:
                destination = self._implicit_destination(source, copied, promote, now)
            backend.begin_write(source, "COPYING_WITH_READ_ONLY_ACCESS", now)
            backend.begin_write(destination, "COPYING", now)
            if destination.latest_version == 0:
                backend.add_version(destination, copied, "COPIED", now, forced=force)
                self.sets.add(destination)
                self.sets.copy_frames(
                    source.image_set_id, destination.image_set_id, frame_ids(copied)
                )
            else:
                self._merge(source, destination, copied, force, now)
                self.sets.save(destination)
            self.sets.save(source)
        return {
            "datastoreId": datastore_id,
            "sourceImageSetProperties": self._copy_properties(
                source, now, "COPYING_WITH_READ_ONLY_ACCESS"
            ),
            "destinationImageSetProperties": self._copy_properties(destination, now, "COPYING"),
        }

    def _copy_properties(self, image_set: ImageSet, now: float, workflow: str) -> dict[str, Any]:
        fields = self.image_sets.change_properties(image_set, now)
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
        if not self.faults.on("copy-destination-version-ignored"):
            self._check_version(destination, information["latestVersionId"], "latestVersionId")
        if promote and not destination.is_primary:
            study_uid, series_uid = series_key(destination.dicom_tags)
            other = self.sets.primary_for(destination.datastore_id, study_uid, series_uid)
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
            primary = self.sets.primary_for(source.datastore_id, study_uid, series_uid)
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
        backend = self.image_sets
        current = backend.document(destination)
        problem = None if force else disagreement(copied, current)
        if problem is not None:
            backend.add_version(destination, current, "COPY_FAILED", now, message=problem)
            return
        backend.add_version(destination, merge(current, copied), "COPIED", now, forced=force)
        self.sets.copy_frames(source.image_set_id, destination.image_set_id, frame_ids(copied))
