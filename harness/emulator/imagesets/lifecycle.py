"""Image sets' lifecycle: found (or gone), locked by a write, given new versions, purged.

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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.emulator.account import Account
from harness.emulator.datastores import Datastores
from harness.emulator.exceptions import ConflictException, ResourceNotFoundException
from harness.emulator.faults import Switch
from harness.emulator.imagesets.documents import dicom_tags, from_gzip, to_gzip
from harness.emulator.records import Datastore, ImageSet, ImageSetVersion


class ImageSets:
    """The image sets of one account, as every image-set operation finds and changes them."""

    def __init__(self, account: Account, datastores: Datastores) -> None:
        self.account = account
        self.datastores = datastores
        self.store = account.store
        self.tables = account.store.image_sets
        self.faults = account.faults
        self.limits = account.limits
        self.tokens = account.tokens

    @property
    def clock(self) -> Callable[[], float]:
        return self.account.clock

    def arn(self, datastore_id: str, image_set_id: str) -> str:
        return f"{self.account.datastore_arn(datastore_id)}/imageset/{image_set_id}"

    def datastore(self, datastore_id: str) -> Datastore:
        return self.datastores.datastore(datastore_id)

    def find(self, datastore_id: str, image_set_id: str) -> ImageSet:
        """An image set of a data store that is not gone; ResourceNotFound otherwise."""
        self.datastore(datastore_id)
        image_set = self.tables.get(image_set_id)
        missing = ResourceNotFoundException(
            f"Image set {image_set_id} does not exist in datastore {datastore_id}"
        )
        if image_set is None:
            raise missing
        if image_set.datastore_id != datastore_id and not self.faults.on(
            Switch.IMAGE_SET_DATASTORE_NOT_CHECKED
        ):
            raise missing
        if image_set.gone(self.clock()) and not self.faults.on(Switch.DELETED_IMAGE_SET_READABLE):
            raise missing
        return image_set

    def version_of(self, image_set: ImageSet, requested: str | None) -> ImageSetVersion:
        """The requested version (default: the latest); ResourceNotFound when it never was."""
        number = image_set.latest_version if requested is None else int(requested)
        known = number <= image_set.latest_version  # also keeps SQLite's 64-bit ints safe
        version = self.tables.version(image_set.image_set_id, number) if known else None
        if version is None:
            raise ResourceNotFoundException(
                f"Image set {image_set.image_set_id} has no version {requested}"
            )
        return version

    def begin_write(self, image_set: ImageSet, workflow: str, now: float) -> None:
        """Lock a set for a write; ConflictException when another write holds it."""
        if image_set.locked(now) and not self.faults.on(Switch.LOCKED_IMAGE_SET_WRITABLE):
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
        self.tables.add_version(version, to_gzip(document))
        image_set.latest_version = number
        image_set.updated_at = now
        image_set.workflow_status = workflow
        image_set.dicom_tags = dicom_tags(document)
        return version

    def purge(self, now: float) -> None:
        """Drop the image sets whose delete has completed (not while they must stay readable)."""
        if not self.faults.on(Switch.DELETED_IMAGE_SET_READABLE):
            self.tables.purge_gone(now)

    def document(self, image_set: ImageSet, version: int | None = None) -> dict[str, Any]:
        """A version's metadata document (default: the latest)."""
        blob = self.tables.metadata(image_set.image_set_id, version or image_set.latest_version)
        if blob is None:
            raise ResourceNotFoundException(f"Image set {image_set.image_set_id} has no metadata")
        return from_gzip(blob)
