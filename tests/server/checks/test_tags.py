"""Tags round-trip on the data store's and an image set's ARN, judged against a scripted tag
store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from harness.model.samples import datastore_arn
from harness.server.checks.tags import tags_round_trip
from harness.server.context import SuiteContext
from harness.server.observation import Observation
from harness.server.scenes.imaging import SCENE
from tests.server.exchanges import STORE, Reply, failures, imported_scene, outcomes, scripted

IMAGE_SET = "1" * 32
DATASTORE_ARN = datastore_arn(STORE)
IMAGE_SET_ARN = f"{DATASTORE_ARN}/imageset/{IMAGE_SET}"


@dataclass
class Tagging:
    """A target holding tags by ARN: TagResource adds, UntagResource removes the keys named
    (all of them when it `untags_all`), ListTagsForResource shows them; either write may be
    ignored."""

    untags_all: bool = False
    ignores_tagging: bool = False
    ignores_untagging: bool = False
    image_set_arn: Any = IMAGE_SET_ARN
    tags: dict[str, dict[str, str]] = field(default_factory=dict)

    def __call__(self, seen: Observation) -> Reply:
        arn = seen.labels.get("resourceArn", "")
        held = self.tags.setdefault(arn, {}) if arn else {}
        if seen.operation == "GetDatastore":
            return Reply({"datastoreProperties": {"datastoreArn": DATASTORE_ARN}})
        if seen.operation == "GetImageSet":
            return Reply({"imageSetId": IMAGE_SET, "imageSetArn": self.image_set_arn})
        if seen.operation == "TagResource" and not self.ignores_tagging:
            held.update(seen.sent["tags"])
        elif seen.operation == "UntagResource" and not self.ignores_untagging:
            keys = parse_qs(urlsplit(seen.exchange.url).query)["tagKeys"]
            for key in list(held) if self.untags_all else keys:
                held.pop(key, None)
        elif seen.operation == "ListTagsForResource":
            return Reply({"tags": dict(held)})
        return Reply({})


def judged(target: Tagging) -> SuiteContext:
    with scripted(target) as context:
        context.shared(SCENE, lambda: imported_scene(IMAGE_SET))
        tags_round_trip(context)
    return context


def test_tags_added_shown_and_removed_by_key_on_both_arns_pass() -> None:
    target = Tagging()
    context = judged(target)
    assert [status for _, status, _ in outcomes(context, "TAGS-ROUND-TRIP")] == ["passed"] * 2
    assert target.tags == {
        DATASTORE_ARN: {"ahi-contract": "kept"},
        IMAGE_SET_ARN: {"ahi-contract": "kept"},
    }


def test_untagging_more_than_the_keys_named_fails_showing_the_tags_left() -> None:
    found = failures(judged(Tagging(untags_all=True)), "TAGS-ROUND-TRIP")
    assert [subject for subject, _ in found] == ["ListTagsForResource"] * 2
    assert found[0][1] == (
        f"data store {DATASTORE_ARN}: TagResource HTTP 200, tags after tagging "
        "{'ahi-contract': 'kept', 'ahi-remove': 'gone'}, UntagResource HTTP 200, tags after "
        "untagging {}"
    )


def test_tags_never_shown_or_never_removed_fail() -> None:
    found = failures(judged(Tagging(ignores_tagging=True)), "TAGS-ROUND-TRIP")
    assert len(found) == 2 and "tags after tagging {}" in found[1][1]
    found = failures(judged(Tagging(ignores_untagging=True)), "TAGS-ROUND-TRIP")
    assert len(found) == 2
    assert found[1][1].endswith(
        "tags after untagging {'ahi-contract': 'kept', 'ahi-remove': 'gone'}"
    )


def test_a_resource_without_an_arn_is_an_error() -> None:
    context = judged(Tagging(image_set_arn=None))
    assert outcomes(context, "TAGS-ROUND-TRIP") == [
        ("ListTagsForResource", "passed", ""),
        ("TagResource", "error", "no ARN for the image set"),
    ]
