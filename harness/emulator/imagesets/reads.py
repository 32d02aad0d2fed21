"""The read operations of image sets: GetImageSet, GetImageSetMetadata, GetImageFrame and
ListImageSetVersions.

Harness decisions where the service's documentation is silent:
- IMAGESET-VERSIONS-ORDER: ListImageSetVersions lists versions in ascending order.
- IMAGESET-LAST-ACCESSED: `lastAccessedAt` is the time of the last write; reads are
  not tracked. `storageTier` is always FREQUENT_ACCESS.
"""

from __future__ import annotations

import gzip
from typing import Any

from harness.emulator.exceptions import ResourceNotFoundException
from harness.emulator.faults import Switch
from harness.emulator.handlers import handler
from harness.emulator.imagesets.lifecycle import ImageSets
from harness.emulator.pagination import DEFAULT_PAGE_SIZE
from harness.emulator.records import ImageSet, ImageSetVersion
from harness.imaging.frames import content_type

STORAGE_TIER = "FREQUENT_ACCESS"
_FRAME_BYTE = 0x5A


class ImageSetReads:
    """What a reader sees of an image set: its properties, versions, metadata and frames."""

    def __init__(self, image_sets: ImageSets) -> None:
        self.image_sets = image_sets
        self.tables = image_sets.tables
        self.faults = image_sets.faults
        self.tokens = image_sets.tokens

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

    @handler
    def get_image_set(self, request: dict[str, Any]) -> dict[str, Any]:
        image_set = self.image_sets.find(request["datastoreId"], request["imageSetId"])
        version = self.image_sets.version_of(image_set, request.get("versionId"))
        fields = self._version_fields(image_set, version, self.image_sets.clock())
        return {
            "datastoreId": image_set.datastore_id,
            **fields,
            "imageSetArn": self.image_sets.arn(image_set.datastore_id, image_set.image_set_id),
            "lastAccessedAt": image_set.updated_at,
            "storageTier": STORAGE_TIER,
        }

    @handler
    def get_image_set_metadata(self, request: dict[str, Any]) -> dict[str, Any]:
        image_set = self.image_sets.find(request["datastoreId"], request["imageSetId"])
        version = self.image_sets.version_of(image_set, request.get("versionId"))
        blob = self.tables.metadata(image_set.image_set_id, version.version) or b""
        answer: dict[str, Any] = {
            "imageSetMetadataBlob": blob,
            "contentType": "application/json",
            "contentEncoding": "gzip",
        }
        if self.faults.on(Switch.METADATA_NOT_GZIPPED):
            answer["imageSetMetadataBlob"] = gzip.decompress(blob) if blob else blob
        if self.faults.on(Switch.METADATA_ENCODING_HEADER_MISSING):
            del answer["contentEncoding"]
        return answer

    @handler
    def get_image_frame(self, request: dict[str, Any]) -> dict[str, Any]:
        image_set = self.image_sets.find(request["datastoreId"], request["imageSetId"])
        frame_id = request["imageFrameInformation"]["imageFrameId"]
        found = self.tables.frame(image_set.image_set_id, frame_id)
        if found is None:
            raise ResourceNotFoundException(
                f"Image frame {frame_id} does not exist in image set {image_set.image_set_id}"
            )
        syntax, data = found
        kind = content_type(syntax)
        if self.faults.on(Switch.FRAME_CONTENT_TYPE_WRONG):
            kind = "application/octet-stream" if kind != "application/octet-stream" else "image/jph"
        if self.faults.on(Switch.FRAME_BYTES_CORRUPTED) and data:
            middle = len(data) // 2
            data = data[:middle] + bytes([data[middle] ^ _FRAME_BYTE]) + data[middle + 1 :]
        return {"imageFrameBlob": data, "contentType": kind}

    @handler
    def list_image_set_versions(self, request: dict[str, Any]) -> dict[str, Any]:
        image_set = self.image_sets.find(request["datastoreId"], request["imageSetId"])
        scope = {
            "op": "ListImageSetVersions",
            "datastoreId": image_set.datastore_id,
            "imageSetId": image_set.image_set_id,
        }
        after = self.tokens.read(request["nextToken"], scope) if "nextToken" in request else 0
        if self.faults.on(Switch.VERSIONS_TOKEN_IGNORED):
            after = 0
        limit = request.get("maxResults", DEFAULT_PAGE_SIZE)
        versions = self.tables.versions(image_set.image_set_id, after, limit + 1)
        now = self.image_sets.clock()
        items = []
        for version in versions[:limit]:
            fields = self._version_fields(image_set, version, now)
            fields["ImageSetWorkflowStatus"] = fields.pop("imageSetWorkflowStatus")
            items.append(fields)
        result: dict[str, Any] = {"imageSetPropertiesList": items}
        if len(versions) > limit:
            result["nextToken"] = self.tokens.issue(versions[limit - 1].version, scope)
        return result
