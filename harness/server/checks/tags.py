"""Tagging: tags round-trip on data store and image set ARNs."""

from __future__ import annotations

from typing import Any

from harness.checks import Check, Source
from harness.server.context import SuiteContext
from harness.server.probe import Exchange
from harness.server.registry import server_check
from harness.server.scenes.imaging import (
    UNIT,
    scene_of,
    subject_ok,
)


def _tags(context: SuiteContext, arn: str) -> tuple[dict[str, Any] | None, Exchange]:
    exchange = context.call("ListTagsForResource", resourceArn=arn)
    body = exchange.json() if exchange.status == 200 else None
    tags = body.get("tags") if isinstance(body, dict) else None
    return (tags if isinstance(tags, dict) else None), exchange


@server_check(
    "TAGS-ROUND-TRIP",
    "tags",
    "TagResource adds tags ListTagsForResource then shows; UntagResource removes exactly the "
    "keys named, on data store and image set ARNs",
    Source.MODEL,
    "TagResource, UntagResource (tagKeys repeated in the query), ListTagsForResource",
    unit=UNIT,
)
def tags_round_trip(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    if not subject_ok(context, check, scene):
        return
    env = context.env
    datastore = context.get_datastore(env.datastore_id).json() or {}
    image_set = (
        context.call(
            "GetImageSet", datastoreId=env.datastore_id, imageSetId=scene.image_set_ids[0]
        ).json()
        or {}
    )
    arns = (
        ("data store", (datastore.get("datastoreProperties") or {}).get("datastoreArn")),
        ("image set", image_set.get("imageSetArn")),
    )
    for kind, arn in arns:
        if not isinstance(arn, str):
            context.error(check.id, "TagResource", f"no ARN for the {kind}")
            continue
        tagged = context.call(
            "TagResource", resourceArn=arn, tags={"ahi-contract": "kept", "ahi-remove": "gone"}
        )
        shown, shown_exchange = _tags(context, arn)
        untagged = context.call("UntagResource", resourceArn=arn, tagKeys=["ahi-remove"])
        left, left_exchange = _tags(context, arn)
        ok = (
            tagged.status == 200
            and untagged.status == 200
            and (shown or {}).get("ahi-contract") == "kept"
            and (shown or {}).get("ahi-remove") == "gone"
            and (left or {}).get("ahi-contract") == "kept"
            and "ahi-remove" not in (left or {})
        )
        context.verdict(
            check.id,
            "ListTagsForResource",
            ok,
            f"{kind} {arn}: TagResource HTTP {tagged.status}, tags after tagging {shown}, "
            f"UntagResource HTTP {untagged.status}, tags after untagging {left}",
            tagged,
            shown_exchange,
            untagged,
            left_exchange,
        )
