"""TagResource, UntagResource and ListTagsForResource on data store and image set ARNs.

The ARN pattern is the model's; at most 50 tags per resource (developer guide
'Understanding image sets'). Harness decisions where that material is silent:
- TAGS-UNKNOWN-ARN: an ARN of another account or region, of a data store that does
  not exist, or of an image set that is not in that data store (or is gone) is a
  404 ResourceNotFoundException.
- TAGS-LIMIT: a TagResource that would leave more than 50 tags is a 400
  ValidationException and changes nothing; untagging an absent key is not an error.
- TAGS-LOCKED: tags are not image set metadata: a LOCKED image set can be tagged.
"""

from __future__ import annotations

import re
from typing import Any

from harness.emulator.account import Account
from harness.emulator.datastores import Datastores
from harness.emulator.exceptions import ResourceNotFoundException, ValidationException
from harness.emulator.faults import Switch
from harness.emulator.handlers import handler
from harness.emulator.imagesets.lifecycle import ImageSets
from harness.emulator.records import Datastore, ImageSet

_ARN = re.compile(
    r"^arn:(?P<partition>aws(?:-us-gov|-iso|-iso-b|-cn)?):medical-imaging:(?P<region>[a-z0-9-]+):"
    r"(?P<account>[0-9]{12}):datastore/(?P<datastore>[0-9a-z]{32})"
    r"(?:/imageset/(?P<imageset>[0-9a-z]{32}))?$"
)


class Tagging:
    """Tags on the emulator's resources."""

    def __init__(self, account: Account, datastores: Datastores, image_sets: ImageSets) -> None:
        self.account = account
        self.datastores = datastores
        self.image_sets = image_sets
        self.store = account.store

    def _resource(self, arn: str) -> Datastore | ImageSet:
        match = _ARN.match(arn)
        unknown = ResourceNotFoundException(f"Resource {arn} does not exist")
        if (
            match is None
            or match["partition"] != "aws"
            or match["region"] != self.account.region
            or match["account"] != self.account.account_id
        ):
            raise unknown
        try:
            if match["imageset"]:
                return self.image_sets.find(match["datastore"], match["imageset"])
            return self.datastores.datastore(match["datastore"])
        except ResourceNotFoundException:
            raise unknown from None

    def _save(self, resource: Datastore | ImageSet) -> None:
        if isinstance(resource, ImageSet):
            self.store.image_sets.save(resource)
        else:
            self.store.datastores.save(resource)

    @handler
    def tag_resource(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            resource = self._resource(request["resourceArn"])
            tags = {**resource.tags, **request["tags"]}
            limit = self.account.limits.tags_per_resource
            if len(tags) > limit:
                raise ValidationException(
                    f"A resource has at most {limit} tags; this would leave {len(tags)}"
                )
            resource.tags = tags
            self._save(resource)
        return {}

    @handler
    def untag_resource(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            resource = self._resource(request["resourceArn"])
            if not self.account.faults.on(Switch.UNTAG_IGNORED):
                for key in request.get("tagKeys") or ():
                    resource.tags.pop(key, None)
            self._save(resource)
        return {}

    @handler
    def list_tags_for_resource(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"tags": dict(self._resource(request["resourceArn"]).tags)}
