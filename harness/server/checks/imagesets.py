"""Image sets: an import verified end to end against its input files, and scoped to its data store.

The checks of the "image sets" unit share one import (`harness.server.scenes.imaging`).
Expected values come from the input files themselves, read with pydicom, never from
the endpoint's own answers.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from harness.aws.restjson import clean_error_code
from harness.checks import Check, Source
from harness.imaging.frames import content_type, decode_frame
from harness.imaging.metadata import expected_attributes, level_of
from harness.server.context import Shared, SuiteContext
from harness.server.probe import Exchange
from harness.server.registry import server_check
from harness.server.scenes.imaging import (
    UNIT,
    ImportedFile,
    Scene,
    scene_of,
    second_datastore,
    subject_ok,
)

FRAMES: Shared[list[tuple[ImportedFile, int, dict[str, Any], Exchange]]] = Shared(
    "every frame of every imported instance"
)

DICOM_GUIDE = "developer guide 'Understanding image sets'"


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
    "image-sets",
    "Every known-good file is an instance of the image set success.ndjson names, and that "
    "set's metadata carries the file's Patient, Study, Series and SOP attributes value by value",
    Source.SERVICE_DOCS,
    f"{DICOM_GUIDE}; 'Metadata normalization'; developer guide 'Understanding import jobs'",
    unit=UNIT,
)
def instances_found(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    if not subject_ok(context, check, scene):
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
    "image-sets",
    "GetImageSetMetadata answers gzip bytes with Content-Encoding gzip and Content-Type "
    "application/json, gunzipping to a document naming its data store and image set",
    Source.SERVICE_DOCS,
    "developer guide 'Getting image set metadata'; AWS CLI example get-image-set-metadata",
    unit=UNIT,
)
def metadata_gzip(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    if not subject_ok(context, check, scene):
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

    return context.shared(FRAMES, fetch)


def _instance_of(scene: Scene, imported: ImportedFile) -> dict[str, Any]:
    return scene.instance(imported) or {}


@server_check(
    "IMAGESET-FRAME-PIXELS",
    "image-sets",
    "Every frame GetImageFrame returns decodes to the input file's pixel data exactly, and the "
    "CRC32 of the decoded frame equals the metadata's full-resolution checksum",
    Source.SERVICE_DOCS,
    "developer guide 'Getting image set pixel data' (lossless storage); AWS SDK example "
    "medicalimaging.py (zlib.crc32 of the decoded frame)",
    unit=UNIT,
)
def frame_pixels(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    if not subject_ok(context, check, scene):
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
    "image-sets",
    "GetImageFrame's Content-Type is the one the model lists for the frame's stored transfer "
    "syntax (image/jph for HTJ2K)",
    Source.MODEL,
    "GetImageFrameResponse.contentType documentation; JPEG 2000 lossless (not listed): "
    "harness decision image/j2c",
    unit=UNIT,
)
def frame_content_type(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    if not subject_ok(context, check, scene):
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


@server_check(
    "IMAGESET-SCOPE",
    "image-sets",
    "An image set is found only under its own data store: GetImageSet and "
    "GetImageSetMetadata under another data store's id are 404 ResourceNotFoundException",
    Source.MODEL,
    "the URI binds the image set under /datastore/{datastoreId}; ResourceNotFoundException",
    unit=UNIT,
)
def image_set_scope(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    if not subject_ok(context, check, scene):
        return
    other = second_datastore(context)
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
