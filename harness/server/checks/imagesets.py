"""Image sets: an import verified end to end, then read, searched, updated, copied, deleted, tagged.

Each check is one function (`harness.server.registry.server_check`) in the
"image sets" unit; they run in the order written here and share one import
(`harness.server.imaging_scene`). Expected values come from the input files
themselves, read with pydicom, never from the endpoint's own answers.
"""

from __future__ import annotations

import json
import time
import uuid
import zlib
from typing import Any

import numpy as np

from harness.checks import Check, Source
from harness.imaging.frames import content_type, decode_frame
from harness.imaging.metadata import expected_attributes, level_of
from harness.restjson import clean_error_code
from harness.server.checks.expect import expect_error
from harness.server.context import SuiteContext
from harness.server.imaging_scene import (
    ImportedFile,
    Scene,
    read_metadata,
    scene_of,
    wait_for_image_set,
)
from harness.server.probe import Exchange
from harness.server.registry import server_check

UNIT = "image sets"
DICOM_GUIDE = "developer guide 'Understanding image sets'"


def _subject_ok(context: SuiteContext, check: Check, scene: Scene) -> bool:
    """False, with the check recorded as an error, when the shared import did not complete."""
    if scene.status == "COMPLETED" and scene.image_set_ids:
        return True
    exchanges = [scene.job_exchange] if scene.job_exchange else []
    context.error(
        check.id, "StartDICOMImportJob", f"no image sets to judge: {scene.problem}", *exchanges
    )
    return False


def _level_value(document: dict[str, Any], imported: ImportedFile, keyword: str) -> Any:
    level = level_of(keyword)
    study = document.get("Study", {})
    if level == "Patient":
        holder = document.get("Patient", {})
    elif level == "Study":
        holder = study
    else:
        series = study.get("Series", {}).get(imported.series_uid, {})
        holder = (
            series if level == "Series" else series.get("Instances", {}).get(imported.sop_uid, {})
        )
    return holder.get("DICOM", {}).get(keyword, "<absent>")


@server_check(
    "IMPORT-INSTANCES-FOUND",
    "image sets",
    "Every known-good file is an instance of the image set success.ndjson names, and that "
    "set's metadata carries the file's Patient, Study, Series and SOP attributes value by value",
    Source.SERVICE_DOCS,
    f"{DICOM_GUIDE}; 'Metadata normalization'; developer guide 'Understanding import jobs'",
    unit=UNIT,
)
def instances_found(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    if not _subject_ok(context, check, scene):
        return
    for sop_uid in sorted({f.sop_uid for f in scene.files}):
        candidates = [f for f in scene.files if f.sop_uid == sop_uid]
        problems: list[str] = []
        exchange: Exchange | None = None
        for imported in candidates:
            read = scene.metadata.get(imported.image_set_id or "")
            if read is None or read.document is None:
                problems.append(
                    f"{imported.sample.key}: image set {imported.image_set_id!r} unreadable "
                    f"({read.problem if read else 'not in success.ndjson'})"
                )
                continue
            exchange = read.exchange
            wrong = [
                f"{keyword}: {_level_value(read.document, imported, keyword)!r} != {value!r}"
                for keyword, value in expected_attributes(imported.dataset).items()
                if keyword != "TransferSyntaxUID"
                and _level_value(read.document, imported, keyword) != value
            ]
            if not wrong:
                problems = []
                break
            problems.append(f"{imported.sample.key}: " + "; ".join(wrong[:4]))
        context.verdict(
            check.id,
            "GetImageSetMetadata",
            not problems,
            f"SOP instance {sop_uid}: " + " | ".join(problems),
            *([exchange] if exchange else []),
        )


@server_check(
    "IMAGESET-METADATA-GZIP",
    "image sets",
    "GetImageSetMetadata answers gzip bytes with Content-Encoding gzip and Content-Type "
    "application/json, gunzipping to a document naming its data store and image set",
    Source.SERVICE_DOCS,
    "developer guide 'Getting image set metadata'; AWS CLI example get-image-set-metadata",
    unit=UNIT,
)
def metadata_gzip(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    if not _subject_ok(context, check, scene):
        return
    for image_set_id, read in sorted(scene.metadata.items()):
        exchange = read.exchange
        document = read.document or {}
        problems = [read.problem] if read.problem else []
        if (exchange.header("Content-Encoding") or "").lower() != "gzip":
            problems.append(f"Content-Encoding {exchange.header('Content-Encoding')!r}")
        if not (exchange.header("Content-Type") or "").startswith("application/json"):
            problems.append(f"Content-Type {exchange.header('Content-Type')!r}")
        if read.document is not None and (
            document.get("DatastoreID") != context.env.datastore_id
            or document.get("ImageSetID") != image_set_id
        ):
            problems.append(
                f"DatastoreID/ImageSetID {document.get('DatastoreID')!r}/"
                f"{document.get('ImageSetID')!r}"
            )
        context.verdict(
            check.id,
            "GetImageSetMetadata",
            not problems,
            f"image set {image_set_id}: " + "; ".join(problems),
            exchange,
        )


def _expected_frames(imported: ImportedFile) -> list[bytes] | None:
    """The file's decoded frames as pydicom gives them, or None when pydicom cannot decode."""
    try:
        array = imported.dataset.pixel_array
    except Exception:
        return None
    frames = int(getattr(imported.dataset, "NumberOfFrames", 1) or 1)
    if frames == 1:
        return [np.ascontiguousarray(array).tobytes()]
    return [np.ascontiguousarray(frame).tobytes() for frame in array]


def _frames(
    context: SuiteContext, scene: Scene
) -> list[tuple[ImportedFile, int, dict[str, Any], Exchange]]:
    """Every frame of every imported instance, fetched once per run."""

    def fetch() -> list[tuple[ImportedFile, int, dict[str, Any], Exchange]]:
        fetched = []
        seen: set[str] = set()
        for imported in scene.files:
            instance = scene.instance(imported)
            if instance is None or imported.sop_uid in seen:
                continue
            seen.add(imported.sop_uid)
            for index, entry in enumerate(instance.get("ImageFrames") or []):
                if not isinstance(entry, dict):
                    continue
                exchange = context.call(
                    "GetImageFrame",
                    datastoreId=context.env.datastore_id,
                    imageSetId=imported.image_set_id,
                    imageFrameInformation={"imageFrameId": str(entry.get("ID"))},
                )
                fetched.append((imported, index, entry, exchange))
        return fetched

    return context.shared("image frames", fetch)


def _instance_of(scene: Scene, imported: ImportedFile) -> dict[str, Any]:
    return scene.instance(imported) or {}


@server_check(
    "IMAGESET-FRAME-PIXELS",
    "image sets",
    "Every frame GetImageFrame returns decodes to the input file's pixel data exactly, and the "
    "CRC32 of the decoded frame equals the metadata's full-resolution checksum",
    Source.SERVICE_DOCS,
    "developer guide 'Getting image set pixel data' (lossless storage); AWS SDK example "
    "medicalimaging.py (zlib.crc32 of the decoded frame)",
    unit=UNIT,
)
def frame_pixels(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    if not _subject_ok(context, check, scene):
        return
    frames = _frames(context, scene)
    context.verdict(
        check.id,
        "GetImageFrame",
        bool(frames),
        "the imported instances' metadata lists no ImageFrames",
        *[read.exchange for read in list(scene.metadata.values())[:1]],
    )
    for imported, index, entry, exchange in frames:
        if exchange.status != 200:
            context.verdict(check.id, "GetImageFrame", False, f"HTTP {exchange.status}", exchange)
            continue
        instance = _instance_of(scene, imported)
        ds = imported.dataset
        problem = ""
        try:
            pixels = decode_frame(
                exchange.body,
                str(instance.get("StoredTransferSyntaxUID") or "1.2.840.10008.1.2.4.202"),
                int(ds.Rows),
                int(ds.Columns),
                int(ds.SamplesPerPixel),
                int(ds.BitsAllocated),
                int(ds.PixelRepresentation) == 1,
                str(ds.PhotometricInterpretation),
                int(ds.BitsStored),
            )
        except Exception as error:
            pixels = b""
            problem = f"does not decode as {instance.get('StoredTransferSyntaxUID')}: {error}"
        expected = _expected_frames(imported)
        if (
            not problem
            and expected is not None
            and index < len(expected)
            and pixels != expected[index]
        ):
            problem = "decoded pixels differ from the input file's"
        checksums = entry.get("PixelDataChecksumFromBaseToFullResolution") or [{}]
        widest = max(
            checksums, key=lambda item: item.get("Width", 0) if isinstance(item, dict) else 0
        )
        if not problem and widest.get("Checksum") != zlib.crc32(pixels):
            problem = f"CRC32 {zlib.crc32(pixels)} != metadata checksum {widest.get('Checksum')}"
        context.verdict(
            check.id,
            "GetImageFrame",
            not problem,
            f"{imported.sample.key} frame {index}: {problem}",
            exchange,
        )


@server_check(
    "IMAGESET-FRAME-CONTENT-TYPE",
    "image sets",
    "GetImageFrame's Content-Type is the one the model lists for the frame's stored transfer "
    "syntax (image/jph for HTJ2K)",
    Source.MODEL,
    "GetImageFrameResponse.contentType documentation; JPEG 2000 lossless (not listed): "
    "harness decision image/j2c",
    unit=UNIT,
)
def frame_content_type(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    if not _subject_ok(context, check, scene):
        return
    for imported, index, _, exchange in _frames(context, scene):
        if exchange.status != 200:
            continue
        stored = _instance_of(scene, imported).get("StoredTransferSyntaxUID")
        expected = content_type(stored if isinstance(stored, str) else None)
        got = (exchange.header("Content-Type") or "").split(";")[0].strip()
        context.verdict(
            check.id,
            "GetImageFrame",
            got == expected,
            f"{imported.sample.key} frame {index}: Content-Type {got!r}, stored syntax "
            f"{stored!r} wants {expected!r}",
            exchange,
        )


def _search(
    context: SuiteContext, datastore_id: str, criteria: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], list[Exchange]]:
    """Every page of a search."""
    found: list[dict[str, Any]] = []
    exchanges: list[Exchange] = []
    token: str | None = None
    for _ in range(50):
        exchange = context.call(
            "SearchImageSets",
            datastoreId=datastore_id,
            searchCriteria=criteria,
            nextToken=token,
        )
        exchanges.append(exchange)
        body = exchange.json() if exchange.status == 200 else None
        if not isinstance(body, dict):
            break
        found += [i for i in body.get("imageSetsMetadataSummaries") or [] if isinstance(i, dict)]
        token = body.get("nextToken")
        if not token:
            break
    return found, exchanges


def _equal(member: str, value: Any) -> dict[str, Any]:
    return {"filters": [{"operator": "EQUAL", "values": [{member: value}]}]}


SEARCH_FIELDS = (
    ("DICOMStudyInstanceUID", "StudyInstanceUID"),
    ("DICOMSeriesInstanceUID", "SeriesInstanceUID"),
    ("DICOMPatientId", "PatientID"),
)


@server_check(
    "SEARCH-FILTER",
    "search",
    "SearchImageSets with EQUAL on a Study UID, Series UID or Patient ID finds the imported "
    "image set, and every result's DICOMTags carry the value searched for",
    Source.MODEL,
    "SearchImageSets SearchByAttributeValue; AWS CLI examples search-image-sets",
    unit=UNIT,
)
def search_filter(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    if not _subject_ok(context, check, scene):
        return
    target = next((f for f in scene.files if f.image_set_id), None)
    assert target is not None
    for member, keyword in SEARCH_FIELDS:
        value = str(getattr(target.dataset, keyword, ""))
        results, exchanges = _search(context, context.env.datastore_id, _equal(member, value))
        ids = {item.get("imageSetId") for item in results}
        strays = [
            item.get("imageSetId")
            for item in results
            if (item.get("DICOMTags") or {}).get(member) != value
        ]
        context.verdict(
            check.id,
            "SearchImageSets",
            target.image_set_id in ids and not strays,
            f"EQUAL {member}={value!r}: {len(results)} results; expected image set "
            f"{target.image_set_id} {'found' if target.image_set_id in ids else 'missing'}; "
            f"results without that value: {strays[:3]}",
            *exchanges[-1:],
        )


def _second_datastore(context: SuiteContext) -> str | None:
    """An empty data store of the suite's own, for scope checks; deleted by IMAGESET-SCOPE."""

    def create() -> str | None:
        exchange = context.create_datastore(
            datastoreName="ahi-contract-scope", clientToken=uuid.uuid4().hex
        )
        body = exchange.json() if exchange.status == 200 else None
        if not isinstance(body, dict) or not isinstance(body.get("datastoreId"), str):
            return None
        status, _ = context.wait_for_datastore(body["datastoreId"])
        return body["datastoreId"] if status == "ACTIVE" else None

    return context.shared("second data store", create)


@server_check(
    "SEARCH-SCOPE",
    "search",
    "SearchImageSets in another data store does not list the image sets of this one",
    Source.SERVICE_DOCS,
    "API reference SearchImageSets: 'the data store where the image sets reside'",
    unit=UNIT,
)
def search_scope(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    if not _subject_ok(context, check, scene):
        return
    other = _second_datastore(context)
    if other is None:
        context.error(check.id, "SearchImageSets", "could not create a second data store")
        return
    target = next(f for f in scene.files if f.image_set_id)
    for criteria in (_equal("DICOMStudyInstanceUID", target.study_uid), None):
        results, exchanges = _search(context, other, criteria)
        leaked = sorted({str(i.get("imageSetId")) for i in results} & set(scene.image_set_ids))
        context.verdict(
            check.id,
            "SearchImageSets",
            not leaked,
            f"a search in data store {other} lists image sets of {context.env.datastore_id}: "
            f"{leaked[:3]}",
            *exchanges[-1:],
        )


@server_check(
    "IMAGESET-SCOPE",
    "image sets",
    "An image set is found only under its own data store: GetImageSet and "
    "GetImageSetMetadata under another data store's id are 404 ResourceNotFoundException",
    Source.MODEL,
    "the URI binds the image set under /datastore/{datastoreId}; ResourceNotFoundException",
    unit=UNIT,
)
def image_set_scope(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    if not _subject_ok(context, check, scene):
        return
    other = _second_datastore(context)
    if other is None:
        context.error(check.id, "GetImageSet", "could not create a second data store")
        return
    image_set_id = scene.image_set_ids[0]
    for operation in ("GetImageSet", "GetImageSetMetadata"):
        exchange = context.call(operation, datastoreId=other, imageSetId=image_set_id)
        code = clean_error_code(exchange.error_type or "")
        context.verdict(
            check.id,
            operation,
            exchange.status == 404 and code == "ResourceNotFoundException",
            f"image set {image_set_id} under data store {other}: HTTP {exchange.status} {code}",
            exchange,
        )
    context.delete_datastore(other)


def _attributes_blob(document: dict[str, Any]) -> bytes:
    return json.dumps({"SchemaVersion": 1.1, **document}).encode()


def _update(context: SuiteContext, image_set_id: str, latest: str, patient_name: str) -> Exchange:
    updates = {"Patient": {"DICOM": {"PatientName": patient_name}}}
    return context.call(
        "UpdateImageSetMetadata",
        datastoreId=context.env.datastore_id,
        imageSetId=image_set_id,
        latestVersionId=latest,
        updateImageSetMetadataUpdates={
            "DICOMUpdates": {"updatableAttributes": _attributes_blob(updates)}
        },
    )


class UpdateRun:
    """One update of the scene's first image set, with what was read before and after."""

    def __init__(self, context: SuiteContext, scene: Scene) -> None:
        env = context.env
        self.image_set_id = scene.image_set_ids[0]
        before, self.before_exchange = wait_for_image_set(
            context, env.datastore_id, self.image_set_id
        )
        self.version_before = str((before or {}).get("versionId"))
        self.metadata_before = read_metadata(
            context, env.datastore_id, self.image_set_id, self.version_before
        )
        self.new_name = "AHI^CONTRACT^UPDATED"
        self.exchange = _update(context, self.image_set_id, self.version_before, self.new_name)
        answer = self.exchange.json() if self.exchange.status == 200 else None
        self.answer: dict[str, Any] = answer if isinstance(answer, dict) else {}
        self.second_write = _update(
            context, self.image_set_id, str(self.answer.get("latestVersionId")), "AHI^SECOND"
        )
        after, self.after_exchange = wait_for_image_set(
            context, env.datastore_id, self.image_set_id
        )
        self.after: dict[str, Any] = after or {}


def _update_run(context: SuiteContext) -> UpdateRun | None:
    scene = scene_of(context)
    if not scene.image_set_ids:
        return None
    return context.shared("update", lambda: UpdateRun(context, scene))


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
    run = _update_run(context)
    if run is None or not _subject_ok(context, check, scene):
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
    run = _update_run(context)
    if run is None or not _subject_ok(context, check, scene):
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
    "decision STALE-VERSION-CONFLICT: optimistic locking on latestVersion; the model lists "
    "ConflictException, the docs do not name the error",
    unit=UNIT,
)
def stale_version(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    run = _update_run(context)
    if run is None or not _subject_ok(context, check, scene):
        return
    stale = _update(context, run.image_set_id, run.version_before, "AHI^STALE")
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
    run = _update_run(context)
    if run is None or not _subject_ok(context, check, scene):
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
    run = _update_run(context)
    if run is None or not _subject_ok(context, check, scene):
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
    run = _update_run(context)
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

    return context.shared("copy", make)


@server_check(
    "COPY-DESTINATION-VERSION",
    "copies",
    "CopyImageSet without a destination makes a new image set at version 1; into an existing "
    "destination it is refused with 409 for a stale destination latestVersionId and adds one "
    "version for the current one",
    Source.SERVICE_DOCS,
    "developer guide 'Copying an image set'; destination latestVersionId (model); stale "
    "version refused: harness decision STALE-VERSION-CONFLICT",
    unit=UNIT,
)
def copy_destination(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    made = _copy_of(context)
    run = _update_run(context)
    if made is None or run is None or not _subject_ok(context, check, scene):
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
    "image sets",
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
    if made is None or made[0] is None or not _subject_ok(context, check, scene):
        context.error(check.id, "DeleteImageSet", "no copy to delete")
        return
    copy_id = made[0]
    env = context.env
    deleted = context.call("DeleteImageSet", datastoreId=env.datastore_id, imageSetId=copy_id)
    after, after_exchange = wait_for_image_set(context, env.datastore_id, copy_id)
    gone = after_exchange.status == 404 or (after or {}).get("imageSetState") == "DELETED"
    results, exchanges = _search(context, env.datastore_id, None)
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
    if not _subject_ok(context, check, scene):
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


@server_check(
    "DATASTORE-DELETE-GUARD",
    "lifecycle",
    "A data store that holds image sets cannot be deleted (409 ConflictException)",
    Source.SERVICE_DOCS,
    "developer guide 'Deleting a data store'",
    unit=UNIT,
)
def delete_guard(context: SuiteContext, check: Check) -> None:
    """Once every job the suite started has ended, the data store still cannot be deleted.

    Waiting first matters: a data store with running jobs may be refused for that
    reason alone, which would hide a service that deletes image sets.
    """
    scene = scene_of(context)
    if not context.env.owns_datastore or not _subject_ok(context, check, scene):
        return  # never try to delete a user's data store
    deadline = time.monotonic() + context.profile.job_timeout_seconds
    for job_id in context.created_jobs:
        while time.monotonic() < deadline:
            body = context.get_job(context.env.datastore_id, job_id).json() or {}
            if body.get("jobProperties", {}).get("jobStatus") in ("COMPLETED", "FAILED", None):
                break
            time.sleep(0.2)
    expect_error(
        context,
        check.id,
        "DeleteDatastore",
        context.delete_datastore(context.env.datastore_id),
        409,
        ("ConflictException",),
        "every job has ended; the data store holds the image sets of the suite's import",
    )
