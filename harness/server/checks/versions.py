"""Image set versions: an update bumps the version and keeps the old one; stale and
locked writes are refused.
"""

from __future__ import annotations

from harness.aws.restjson import clean_error_code
from harness.checks import Check, Source
from harness.server.context import SuiteContext
from harness.server.probe import Exchange
from harness.server.registry import server_check
from harness.server.scenes.imaging import (
    UNIT,
    read_metadata,
    scene_of,
    subject_ok,
    wait_for_image_set,
)
from harness.server.scenes.updates import update, update_run


def _expected_next(version: str) -> str | None:
    return str(int(version) + 1) if version.isdigit() else None


@server_check(
    "IMAGESET-VERSION-BUMP",
    "versions",
    "UpdateImageSetMetadata with the current version answers latestVersionId one higher, and "
    "once it settles GetImageSet reports that version ACTIVE with the updated attribute",
    Source.SERVICE_DOCS,
    "developer guide 'Updating image set metadata'; AWS CLI example update-image-set-metadata",
    unit=UNIT,
)
def version_bump(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    run = update_run(context)
    if run is None or not subject_ok(context, check, scene):
        return
    expected = _expected_next(run.version_before)
    answered = run.answer.get("latestVersionId")
    context.verdict(
        check.id,
        "UpdateImageSetMetadata",
        run.exchange.status == 200 and answered == expected,
        f"from version {run.version_before}: HTTP {run.exchange.status}, latestVersionId "
        f"{answered!r}, expected {expected!r}",
        run.exchange,
    )
    metadata = read_metadata(context, context.env.datastore_id, run.image_set_id)
    name = ((metadata.document or {}).get("Patient", {}).get("DICOM", {})).get("PatientName")
    context.verdict(
        check.id,
        "GetImageSet",
        run.after.get("versionId") == expected
        and run.after.get("imageSetState") == "ACTIVE"
        and name == run.new_name,
        f"after the update: version {run.after.get('versionId')!r} state "
        f"{run.after.get('imageSetState')!r} PatientName {name!r}; expected {expected!r} ACTIVE "
        f"{run.new_name!r}",
        run.after_exchange,
        metadata.exchange,
    )


@server_check(
    "IMAGESET-OLD-VERSION-KEPT",
    "versions",
    "After an update the previous version's metadata is still readable and unchanged",
    Source.SERVICE_DOCS,
    "API reference GetImageSetMetadata `version`; developer guide 'Image set versions'",
    unit=UNIT,
)
def old_version_kept(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    run = update_run(context)
    if run is None or not subject_ok(context, check, scene):
        return
    again = read_metadata(context, context.env.datastore_id, run.image_set_id, run.version_before)
    context.verdict(
        check.id,
        "GetImageSetMetadata",
        run.metadata_before.document is not None and again.document == run.metadata_before.document,
        f"version {run.version_before} read before and after the update differs "
        f"({run.metadata_before.problem or again.problem or 'documents not equal'})",
        again.exchange,
    )


@server_check(
    "IMAGESET-STALE-VERSION",
    "versions",
    "UpdateImageSetMetadata with a latestVersion that is no longer the latest is refused with "
    "409 ConflictException and changes nothing",
    Source.HARNESS,
    "decision IMAGE-SET-CONFLICT: optimistic locking on latestVersion; the model lists "
    "ConflictException, the docs do not name the error",
    unit=UNIT,
)
def stale_version(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    run = update_run(context)
    if run is None or not subject_ok(context, check, scene):
        return
    stale = update(context, run.image_set_id, run.version_before, "AHI^STALE")
    code = clean_error_code(stale.error_type or "")
    after, after_exchange = wait_for_image_set(context, context.env.datastore_id, run.image_set_id)
    context.verdict(
        check.id,
        "UpdateImageSetMetadata",
        stale.status == 409
        and code == "ConflictException"
        and (after or {}).get("versionId") == run.after.get("versionId"),
        f"latestVersion {run.version_before} (latest is {run.after.get('versionId')}): HTTP "
        f"{stale.status} {code}; version afterwards {(after or {}).get('versionId')!r}",
        stale,
        after_exchange,
    )


@server_check(
    "IMAGESET-LOCKED",
    "versions",
    "While an image set is LOCKED by a write, another write to it is refused with 409 "
    "ConflictException",
    Source.SERVICE_DOCS,
    "developer guide 'Updating image set metadata': no other write operations on a LOCKED "
    "image set (error code: harness decision ConflictException)",
    unit=UNIT,
)
def locked(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    run = update_run(context)
    if run is None or not subject_ok(context, check, scene):
        return
    answered_locked = run.answer.get("imageSetState") == "LOCKED"
    code = clean_error_code(run.second_write.error_type or "")
    refused = run.second_write.status == 409 and code == "ConflictException"
    context.verdict(
        check.id,
        "UpdateImageSetMetadata",
        answered_locked and refused,
        f"first update answered imageSetState {run.answer.get('imageSetState')!r} (LOCKED "
        f"expected); a second write sent at once answered HTTP {run.second_write.status} {code}",
        run.exchange,
        run.second_write,
    )


@server_check(
    "IMAGESET-VERSIONS-LISTED",
    "versions",
    "ListImageSetVersions lists every version from 1 to the latest exactly once",
    Source.MODEL,
    "ListImageSetVersions; versions are strings from '1' (AWS CLI example)",
    unit=UNIT,
)
def versions_listed(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    run = update_run(context)
    if run is None or not subject_ok(context, check, scene):
        return
    versions: list[str] = []
    exchanges: list[Exchange] = []
    token: str | None = None
    for _ in range(50):
        exchange = context.call(
            "ListImageSetVersions",
            datastoreId=context.env.datastore_id,
            imageSetId=run.image_set_id,
            maxResults=1,
            nextToken=token,
        )
        exchanges.append(exchange)
        body = exchange.json() if exchange.status == 200 else None
        if not isinstance(body, dict):
            break
        versions += [
            str(item.get("versionId"))
            for item in body.get("imageSetPropertiesList") or []
            if isinstance(item, dict)
        ]
        token = body.get("nextToken")
        if not token:
            break
    latest = str(run.after.get("versionId"))
    expected = [str(v) for v in range(1, int(latest) + 1)] if latest.isdigit() else []
    listed = sorted(versions, key=lambda v: int(v) if v.isdigit() else -1)
    context.verdict(
        check.id,
        "ListImageSetVersions",
        bool(expected) and listed == expected,
        f"pages of 1 list versions {versions}; latest is {latest!r}",
        *exchanges[-2:],
    )
