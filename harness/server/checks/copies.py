"""CopyImageSet and DeleteImageSet: new and existing destinations, version checks, deletion."""

from __future__ import annotations

from typing import Any

from harness.aws.restjson import clean_error_code
from harness.checks import Check, Source
from harness.server.context import Shared, SuiteContext
from harness.server.probe import Exchange
from harness.server.registry import server_check
from harness.server.scenes.imaging import (
    UNIT,
    scene_of,
    subject_ok,
    wait_for_image_set,
)
from harness.server.scenes.search import search_all
from harness.server.scenes.updates import update_run

COPY: Shared[tuple[str | None, Exchange]] = Shared("a copy of the scene's first image set")


def _copy(
    context: SuiteContext, source: str, source_version: str, destination: dict[str, str] | None
) -> Exchange:
    information: dict[str, Any] = {"sourceImageSet": {"latestVersionId": source_version}}
    if destination is not None:
        information["destinationImageSet"] = destination
    return context.call(
        "CopyImageSet",
        datastoreId=context.env.datastore_id,
        sourceImageSetId=source,
        copyImageSetInformation=information,
    )


def _copy_of(context: SuiteContext) -> tuple[str | None, Exchange] | None:
    """A copy of the scene's first image set into a new image set, made once."""
    run = update_run(context)
    if run is None:
        return None

    def make() -> tuple[str | None, Exchange]:
        latest = str(run.after.get("versionId"))
        exchange = _copy(context, run.image_set_id, latest, None)
        body = exchange.json() if exchange.status == 200 else None
        destination = (
            (body or {}).get("destinationImageSetProperties", {}) if isinstance(body, dict) else {}
        )
        copy_id = destination.get("imageSetId")
        if isinstance(copy_id, str):
            wait_for_image_set(context, context.env.datastore_id, copy_id)
            wait_for_image_set(context, context.env.datastore_id, run.image_set_id)
        return (copy_id if isinstance(copy_id, str) else None), exchange

    return context.shared(COPY, make)


@server_check(
    "COPY-DESTINATION-VERSION",
    "copies",
    "CopyImageSet without a destination makes a new image set at version 1; into an existing "
    "destination it is refused with 409 for a stale destination latestVersionId and adds one "
    "version for the current one",
    Source.SERVICE_DOCS,
    "developer guide 'Copying an image set'; destination latestVersionId (model); stale "
    "version refused: harness decision IMAGE-SET-CONFLICT",
    unit=UNIT,
)
def copy_destination(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    made = _copy_of(context)
    run = update_run(context)
    if made is None or run is None or not subject_ok(context, check, scene):
        return
    copy_id, exchange = made
    env = context.env
    fresh, fresh_exchange = (
        wait_for_image_set(context, env.datastore_id, copy_id) if copy_id else (None, exchange)
    )
    context.verdict(
        check.id,
        "CopyImageSet",
        copy_id is not None and (fresh or {}).get("versionId") == "1",
        f"copy to a new image set: HTTP {exchange.status}, destination {copy_id!r} at version "
        f"{(fresh or {}).get('versionId')!r} (expected '1')",
        exchange,
        fresh_exchange,
    )
    if copy_id is None:
        return
    latest = str(run.after.get("versionId"))
    stale = _copy(
        context, run.image_set_id, latest, {"imageSetId": copy_id, "latestVersionId": "0"}
    )
    code = clean_error_code(stale.error_type or "")
    context.verdict(
        check.id,
        "CopyImageSet",
        stale.status == 409 and code == "ConflictException",
        f"copy into {copy_id} with destination latestVersionId '0' (latest '1'): HTTP "
        f"{stale.status} {code}",
        stale,
    )
    wait_for_image_set(context, env.datastore_id, copy_id)
    wait_for_image_set(context, env.datastore_id, run.image_set_id)
    merged = _copy(
        context, run.image_set_id, latest, {"imageSetId": copy_id, "latestVersionId": "1"}
    )
    after, after_exchange = wait_for_image_set(context, env.datastore_id, copy_id)
    wait_for_image_set(context, env.datastore_id, run.image_set_id)
    context.verdict(
        check.id,
        "CopyImageSet",
        merged.status == 200 and (after or {}).get("versionId") == "2",
        f"copy into {copy_id} at its latest version '1': HTTP {merged.status}, destination "
        f"version afterwards {(after or {}).get('versionId')!r} (expected '2')",
        merged,
        after_exchange,
    )


@server_check(
    "IMAGESET-DELETE",
    "image-sets",
    "After DeleteImageSet the image set is, within 30 s, not found (404) or DELETED, and "
    "search no longer lists it",
    Source.HARNESS,
    "decision DELETED-IMAGE-SET-GONE: the docs leave GetImageSet after delete open; AWS's "
    "example polls until DELETED or an error",
    unit=UNIT,
)
def delete(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    made = _copy_of(context)
    if made is None or made[0] is None or not subject_ok(context, check, scene):
        context.error(check.id, "DeleteImageSet", "no copy to delete")
        return
    copy_id = made[0]
    env = context.env
    deleted = context.call("DeleteImageSet", datastoreId=env.datastore_id, imageSetId=copy_id)
    after, after_exchange = wait_for_image_set(context, env.datastore_id, copy_id)
    gone = after_exchange.status == 404 or (after or {}).get("imageSetState") == "DELETED"
    results, exchanges = search_all(context, env.datastore_id, None)
    listed = copy_id in {item.get("imageSetId") for item in results}
    context.verdict(
        check.id,
        "DeleteImageSet",
        deleted.status == 200 and gone and not listed,
        f"DeleteImageSet HTTP {deleted.status}; GetImageSet afterwards HTTP "
        f"{after_exchange.status} state {(after or {}).get('imageSetState')!r}; "
        f"{'still' if listed else 'not'} listed by search",
        deleted,
        after_exchange,
        *exchanges[-1:],
    )
