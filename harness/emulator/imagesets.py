"""Image sets: lookups, versions, locks, and the read and delete operations.

A write (update, copy, delete) is applied when it is accepted and holds its image
sets LOCKED for `Limits.image_set_write_seconds`; the answer already names the new
version. Readers see the new version at once, with state LOCKED until the write's
time is up, then ACTIVE (or gone, for a delete). Because the write itself is stored
before the answer, a restart never loses one: the lock simply runs out.

Harness decisions where the service's documentation is silent:
- IMAGESET-DELETED-404: once a delete completes, the image set is gone: every
  operation answers 404 ResourceNotFoundException for it.
- IMAGESET-LOCKED-409: a write to a LOCKED image set is a 409 ConflictException
  (a second DeleteImageSet while the first runs answers as the first did).
- IMAGESET-VERSIONS-ORDER: ListImageSetVersions lists versions in ascending order.
- IMAGESET-LAST-ACCESSED: `lastAccessedAt` is the time of the last write; reads are
  not tracked. `storageTier` is always FREQUENT_ACCESS.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from typing import Any

from harness.emulator.backend import DEFAULT_PAGE_SIZE, ImagingBackend
from harness.emulator.documents import dicom_tags, from_gzip, to_gzip
from harness.emulator.exceptions import ConflictException, ResourceNotFoundException
from harness.emulator.records import Datastore, ImageSet, ImageSetVersion
from harness.imaging.frames import content_type

STORAGE_TIER = "FREQUENT_ACCESS"
_FRAME_BYTE = 0x5A


class ImageSetBackend:
    """The image sets of one account, on top of the data store and job backend."""

    def __init__(self, core: ImagingBackend) -> None:
        self.core = core
        self.store = core.store
        self.sets = core.store.image_sets
        self.faults = core.faults
        self.limits = core.limits
        self.tokens = core.tokens

    @property
    def clock(self) -> Callable[[], float]:
        return self.core.clock

    # identity

    def arn(self, datastore_id: str, image_set_id: str) -> str:
        return f"{self.core.datastore_arn(datastore_id)}/imageset/{image_set_id}"

    def datastore(self, datastore_id: str) -> Datastore:
        return self.core.datastore(datastore_id)

    def find(self, datastore_id: str, image_set_id: str) -> ImageSet:
        """An image set of a data store that is not gone; ResourceNotFound otherwise."""
        self.datastore(datastore_id)
        image_set = self.sets.get(image_set_id)
        missing = ResourceNotFoundException(
            f"Image set {image_set_id} does not exist in datastore {datastore_id}"
        )
        if image_set is None:
            raise missing
        if image_set.datastore_id != datastore_id and not self.faults.on(
            "image-set-datastore-not-checked"
        ):
            raise missing
        if image_set.gone(self.clock()) and not self.faults.on("deleted-image-set-readable"):
            raise missing
        return image_set

    def version_of(self, image_set: ImageSet, requested: str | None) -> ImageSetVersion:
        """The requested version (default: the latest); ResourceNotFound when it never was."""
        number = image_set.latest_version if requested is None else int(requested)
        known = number <= image_set.latest_version  # also keeps SQLite's 64-bit ints safe
        version = self.sets.version(image_set.image_set_id, number) if known else None
        if version is None:
            raise ResourceNotFoundException(
                f"Image set {image_set.image_set_id} has no version {requested}"
            )
        return version

    # writes

    def begin_write(self, image_set: ImageSet, workflow: str, now: float) -> None:
        """Lock a set for a write; ConflictException when another write holds it."""
        if image_set.locked(now) and not self.faults.on("locked-image-set-writable"):
            raise ConflictException(
                f"Image set {image_set.image_set_id} is LOCKED "
                f"({image_set.lock_workflow}); retry when it is ACTIVE"
            )
        image_set.lock_workflow = workflow
        image_set.locked_until = now + self.limits.image_set_write_seconds

    def add_version(
        self,
        image_set: ImageSet,
        document: dict[str, Any],
        workflow: str,
        now: float,
        *,
        forced: bool = False,
        message: str | None = None,
        number: int | None = None,
    ) -> ImageSetVersion:
        """Store `document` as the set's next version (or as `number`) and make it the latest."""
        number = number or image_set.latest_version + 1
        document["ImageSetID"] = image_set.image_set_id
        document["DatastoreID"] = image_set.datastore_id
        version = ImageSetVersion(
            image_set.image_set_id,
            number,
            created_at=now,
            updated_at=now,
            workflow_status=workflow,
            is_primary=image_set.is_primary,
            forced=forced,
            message=message,
        )
        self.sets.add_version(version, to_gzip(document))
        image_set.latest_version = number
        image_set.updated_at = now
        image_set.workflow_status = workflow
        image_set.dicom_tags = dicom_tags(document)
        return version

    def purge(self, now: float) -> None:
        """Drop the image sets whose delete has completed (not while they must stay readable)."""
        if not self.faults.on("deleted-image-set-readable"):
            self.sets.purge_gone(now)

    def document(self, image_set: ImageSet, version: int | None = None) -> dict[str, Any]:
        """A version's metadata document (default: the latest)."""
        blob = self.sets.metadata(image_set.image_set_id, version or image_set.latest_version)
        if blob is None:
            raise ResourceNotFoundException(f"Image set {image_set.image_set_id} has no metadata")
        return from_gzip(blob)

    # answers

    def change_properties(self, image_set: ImageSet, now: float) -> dict[str, Any]:
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

    def _version_fields(
        self, image_set: ImageSet, version: ImageSetVersion, now: float
    ) -> dict[str, Any]:
        if version.version == image_set.latest_version:
            state, workflow = image_set.shown_state(now)
        else:
            state, workflow = "ACTIVE", version.workflow_status
        fields: dict[str, Any] = {
            "imageSetId": image_set.image_set_id,
            "versionId": str(version.version),
            "imageSetState": state,
            "imageSetWorkflowStatus": workflow,
            "createdAt": image_set.created_at,
            "updatedAt": version.updated_at,
        }
        if state == "DELETED" and image_set.deleted_at is not None:
            fields["deletedAt"] = image_set.deleted_at
        if version.message:
            fields["message"] = version.message
        if version.forced:
            fields["overrides"] = {"forced": True}
        fields["isPrimary"] = version.is_primary
        return fields

    # operations

    def get_image_set(self, request: dict[str, Any]) -> dict[str, Any]:
        image_set = self.find(request["datastoreId"], request["imageSetId"])
        version = self.version_of(image_set, request.get("versionId"))
        fields = self._version_fields(image_set, version, self.clock())
        return {
            "datastoreId": image_set.datastore_id,
            **fields,
            "imageSetArn": self.arn(image_set.datastore_id, image_set.image_set_id),
            "lastAccessedAt": image_set.updated_at,
            "storageTier": STORAGE_TIER,
        }

    def get_image_set_metadata(self, request: dict[str, Any]) -> dict[str, Any]:
        image_set = self.find(request["datastoreId"], request["imageSetId"])
        version = self.version_of(image_set, request.get("versionId"))
        blob = self.sets.metadata(image_set.image_set_id, version.version) or b""
        answer: dict[str, Any] = {
            "imageSetMetadataBlob": blob,
            "contentType": "application/json",
            "contentEncoding": "gzip",
        }
        if self.faults.on("metadata-not-gzipped"):
            answer["imageSetMetadataBlob"] = gzip.decompress(blob) if blob else blob
        if self.faults.on("metadata-encoding-header-missing"):
            del answer["contentEncoding"]
        return answer

    def get_image_frame(self, request: dict[str, Any]) -> dict[str, Any]:
        image_set = self.find(request["datastoreId"], request["imageSetId"])
        frame_id = request["imageFrameInformation"]["imageFrameId"]
        found = self.sets.frame(image_set.image_set_id, frame_id)
        if found is None:
            raise ResourceNotFoundException(
                f"Image frame {frame_id} does not exist in image set {image_set.image_set_id}"
            )
        syntax, data = found
        kind = content_type(syntax)
        if self.faults.on("frame-content-type-wrong"):
            kind = "application/octet-stream" if kind != "application/octet-stream" else "image/jph"
        if self.faults.on("frame-bytes-corrupted") and data:
            middle = len(data) // 2
            data = data[:middle] + bytes([data[middle] ^ _FRAME_BYTE]) + data[middle + 1 :]
        return {"imageFrameBlob": data, "contentType": kind}

    def list_image_set_versions(self, request: dict[str, Any]) -> dict[str, Any]:
        image_set = self.find(request["datastoreId"], request["imageSetId"])
        scope = {
            "op": "ListImageSetVersions",
            "datastoreId": image_set.datastore_id,
            "imageSetId": image_set.image_set_id,
        }
        after = self.tokens.read(request["nextToken"], scope) if "nextToken" in request else 0
        limit = request.get("maxResults", DEFAULT_PAGE_SIZE)
        versions = self.sets.versions(image_set.image_set_id, after, limit + 1)
        now = self.clock()
        items = []
        for version in versions[:limit]:
            fields = self._version_fields(image_set, version, now)
            fields["ImageSetWorkflowStatus"] = fields.pop("imageSetWorkflowStatus")
            items.append(fields)
        result: dict[str, Any] = {"imageSetPropertiesList": items}
        if len(versions) > limit:
            result["nextToken"] = self.tokens.issue(versions[limit - 1].version, scope)
        return result

    def delete_image_set(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            now = self.clock()
            self.purge(now)
            image_set = self.find(request["datastoreId"], request["imageSetId"])
            answer = {
                "datastoreId": image_set.datastore_id,
                "imageSetId": image_set.image_set_id,
                "imageSetState": "LOCKED",
                "imageSetWorkflowStatus": "DELETING",
            }
            if image_set.state == "DELETED" and image_set.locked(now):
                return answer
            self.begin_write(image_set, "DELETING", now)
            image_set.state = "DELETED"
            image_set.workflow_status = "DELETED"
            image_set.deleted_at = image_set.locked_until
            self.sets.save(image_set)
        return answer
