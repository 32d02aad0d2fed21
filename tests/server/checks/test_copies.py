"""CopyImageSet and DeleteImageSet judged against a scripted image set store: a new copy
starts at version 1, a copy into an existing set checks and bumps its version, and a deleted
set is gone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.server.checks.copies import COPY, copy_destination, delete
from harness.server.context import SuiteContext
from harness.server.observation import Observation
from harness.server.scenes.imaging import SCENE
from harness.server.scenes.updates import UPDATE
from tests.server.exchanges import (
    Reply,
    exchange,
    failures,
    imported_scene,
    outcomes,
    refusal,
    scripted,
    update_run,
)

SOURCE, COPIED = "1" * 32, "c" * 32


@dataclass
class ImageSets:
    """Image sets by id with their latest version: CopyImageSet checks the versions it is
    given and makes a new set at version 1 or adds one to the destination's; faults make a
    new copy at version 2, `ignore_destination_version`, or merge without a new version."""

    versions: dict[str, int] = field(default_factory=lambda: {SOURCE: 2})
    new_copy_version: int = 1
    ignore_destination_version: bool = False
    merge_adds: int = 1

    def __call__(self, seen: Observation) -> Reply:
        if seen.operation == "GetImageSet":
            image_set = seen.labels["imageSetId"]
            version = self.versions[image_set]
            return Reply(
                {"imageSetId": image_set, "versionId": str(version), "imageSetState": "ACTIVE"}
            )
        assert seen.operation == "CopyImageSet" and seen.labels["sourceImageSetId"] == SOURCE
        if seen.sent["sourceImageSet"]["latestVersionId"] != str(self.versions[SOURCE]):
            return refusal(409, "ConflictException", "source version")
        destination = seen.sent.get("destinationImageSet")
        if destination is None:
            self.versions[COPIED] = self.new_copy_version
        else:
            current = self.versions[destination["imageSetId"]]
            if (
                destination["latestVersionId"] != str(current)
                and not self.ignore_destination_version
            ):
                return refusal(409, "ConflictException", "destination version")
            self.versions[COPIED] = current + self.merge_adds
        made = {"imageSetId": COPIED, "latestVersionId": str(self.versions[COPIED])}
        return Reply({"destinationImageSetProperties": made})


def copied(target: ImageSets) -> SuiteContext:
    with scripted(target) as context:
        context.shared(SCENE, lambda: imported_scene(SOURCE))
        context.shared(UPDATE, lambda: update_run(SOURCE))
        copy_destination(context)
    return context


def test_a_new_copy_at_version_1_a_stale_destination_refused_and_a_merge_adding_one_pass() -> None:
    context = copied(ImageSets())
    assert outcomes(context, "COPY-DESTINATION-VERSION") == [("CopyImageSet", "passed", "")] * 3


def test_a_new_copy_at_another_version_fails_naming_it() -> None:
    found = failures(copied(ImageSets(new_copy_version=2)), "COPY-DESTINATION-VERSION")
    assert found[0] == (
        "CopyImageSet",
        f"copy to a new image set: HTTP 200, destination '{COPIED}' at version '2' (expected '1')",
    )


def test_a_copy_into_a_stale_destination_version_taken_fails() -> None:
    found = failures(copied(ImageSets(ignore_destination_version=True)), "COPY-DESTINATION-VERSION")
    assert found[0] == (
        "CopyImageSet",
        f"copy into {COPIED} with destination latestVersionId '0' (latest '1'): HTTP 200 ",
    )


def test_a_copy_into_an_existing_set_that_adds_no_version_fails() -> None:
    found = failures(copied(ImageSets(merge_adds=0)), "COPY-DESTINATION-VERSION")
    assert found == [
        (
            "CopyImageSet",
            f"copy into {COPIED} at its latest version '1': HTTP 200, destination version "
            "afterwards '1' (expected '2')",
        )
    ]


@dataclass
class Deleting:
    """DeleteImageSet of the copy, then what GetImageSet and SearchImageSets answer."""

    after: Reply
    still_listed: bool = False
    sent: list[str] = field(default_factory=list)

    def __call__(self, seen: Observation) -> Reply:
        self.sent.append(seen.operation)
        if seen.operation == "DeleteImageSet":
            assert seen.labels["imageSetId"] == COPIED
            return Reply({"imageSetId": COPIED, "imageSetState": "LOCKED"})
        if seen.operation == "GetImageSet":
            return self.after
        listed = [SOURCE, COPIED] if self.still_listed else [SOURCE]
        return Reply({"imageSetsMetadataSummaries": [{"imageSetId": i} for i in listed]})


def deleted(target: Any, copy_id: str | None = COPIED) -> SuiteContext:
    with scripted(target) as context:
        context.shared(SCENE, lambda: imported_scene(SOURCE))
        context.shared(UPDATE, lambda: update_run(SOURCE))
        context.shared(COPY, lambda: (copy_id, exchange("POST", "/", {})))
        delete(context)
    return context


def test_a_deleted_image_set_not_found_or_deleted_and_not_searched_passes() -> None:
    target = Deleting(refusal(404, "ResourceNotFoundException"))
    assert failures(deleted(target), "IMAGESET-DELETE") == []
    assert target.sent == ["DeleteImageSet", "GetImageSet", "SearchImageSets"]
    gone = Deleting(Reply({"imageSetId": COPIED, "imageSetState": "DELETED"}))
    assert outcomes(deleted(gone), "IMAGESET-DELETE") == [("DeleteImageSet", "passed", "")]


def test_a_deleted_image_set_still_active_or_still_searched_fails_naming_it() -> None:
    active = Deleting(Reply({"imageSetId": COPIED, "imageSetState": "ACTIVE"}))
    assert failures(deleted(active), "IMAGESET-DELETE") == [
        (
            "DeleteImageSet",
            "DeleteImageSet HTTP 200; GetImageSet afterwards HTTP 200 state 'ACTIVE'; not listed "
            "by search",
        )
    ]
    listed = Deleting(refusal(404, "ResourceNotFoundException"), still_listed=True)
    ((_, message),) = failures(deleted(listed), "IMAGESET-DELETE")
    assert message.endswith("state None; still listed by search")


def test_without_a_copy_there_is_nothing_to_delete_and_that_is_an_error() -> None:
    context = deleted(Deleting(Reply({})), copy_id=None)
    assert outcomes(context, "IMAGESET-DELETE") == [
        ("DeleteImageSet", "error", "no copy to delete")
    ]
