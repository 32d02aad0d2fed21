"""Image sets judged on what the import scene read: each file's attributes at their level of
the metadata, the metadata's encoding, each frame's Content-Type, and scope."""

from __future__ import annotations

from typing import Any

from pydicom import dcmread
from pydicom.data import get_testdata_file

from harness.imaging.known_set import SampleFile
from harness.imaging.metadata import expected_attributes, level_of
from harness.server.checks.imagesets import (
    FRAMES,
    _level_value,
    frame_content_type,
    image_set_scope,
    instances_found,
    metadata_gzip,
)
from harness.server.context import SuiteContext
from harness.server.probe import Exchange
from harness.server.scenes.imaging import (
    SCENE,
    SECOND_DATASTORE,
    ImportedFile,
    MetadataRead,
    Scene,
)
from tests.server.exchanges import (
    OTHER,
    STORE,
    Reply,
    exchange,
    failures,
    outcomes,
    refusal,
    scripted,
    unreachable,
)

IMAGE_SET = "1" * 32
HTJ2K = "1.2.840.10008.1.2.4.202"


def ct_file(image_set_id: str | None = IMAGE_SET) -> ImportedFile:
    path = get_testdata_file("CT_small.dcm")
    assert path is not None
    return ImportedFile(SampleFile("CT_small.dcm", b"", True, "valid"), dcmread(path), image_set_id)


def document_of(imported: ImportedFile, **changes: Any) -> dict[str, Any]:
    """The metadata document of an image set holding `imported`: each expected attribute at
    its level, `changes` applied; the instance stored as HTJ2K."""
    instance: dict[str, Any] = {"DICOM": {}, "StoredTransferSyntaxUID": HTJ2K}
    series = {"DICOM": {}, "Instances": {imported.sop_uid: instance}}
    document: dict[str, Any] = {
        "DatastoreID": STORE,
        "ImageSetID": imported.image_set_id,
        "Patient": {"DICOM": {}},
        "Study": {"DICOM": {}, "Series": {imported.series_uid: series}},
    }
    holders = {
        "Patient": document["Patient"],
        "Study": document["Study"],
        "Series": series,
        "Instance": instance,
    }
    for keyword, value in {**expected_attributes(imported.dataset), **changes}.items():
        holders[level_of(keyword)]["DICOM"][keyword] = value
    return document


def read(document: dict[str, Any] | None, problem: str = "", **headers: str) -> MetadataRead:
    answered = exchange("POST", "/", {})
    assert answered.headers is not None
    answered.headers.update(
        {"Content-Type": "application/json", "Content-Encoding": "gzip", **headers}
    )
    return MetadataRead(answered, document, problem)


def scene(*files: ImportedFile, **reads: MetadataRead) -> Scene:
    return Scene(job_id="j", status="COMPLETED", files=list(files), metadata=dict(reads))


def judged(check: Any, found: Scene, answer: Any = unreachable, **shared: Any) -> SuiteContext:
    with scripted(answer) as context:
        context.shared(SCENE, lambda: found)
        context.shared(SECOND_DATASTORE, lambda: OTHER)
        if "frames" in shared:
            context.shared(FRAMES, lambda: shared["frames"])
        check(context)
    return context


def test_an_attribute_is_read_at_its_level_or_shown_absent() -> None:
    imported = ct_file()
    document = document_of(imported)
    assert _level_value(document, imported, "PatientID") == "1CT1"
    assert _level_value(document, imported, "StudyDate") == "20040119"
    assert _level_value(document, imported, "Modality") == "CT"
    assert _level_value(document, imported, "Rows") == 128
    del document["Patient"]["DICOM"]["PatientID"]
    assert _level_value(document, imported, "PatientID") == "<absent>"
    assert _level_value({}, imported, "Rows") == "<absent>"


def test_a_file_whose_attributes_are_all_in_its_image_set_passes() -> None:
    imported = ct_file()
    context = judged(instances_found, scene(imported, **{IMAGE_SET: read(document_of(imported))}))
    assert outcomes(context, "IMPORT-INSTANCES-FOUND") == [("GetImageSetMetadata", "passed", "")]


def test_an_attribute_with_another_value_or_absent_fails_naming_it() -> None:
    imported = ct_file()
    changed = document_of(imported, PatientID="OTHER")
    del changed["Study"]["Series"][imported.series_uid]["DICOM"]["Modality"]
    context = judged(instances_found, scene(imported, **{IMAGE_SET: read(changed)}))
    ((_, message),) = failures(context, "IMPORT-INSTANCES-FOUND")
    assert message == (
        f"SOP instance {imported.sop_uid}: CT_small.dcm: PatientID: 'OTHER' != '1CT1'; "
        "Modality: '<absent>' != 'CT'"
    )


def test_a_file_found_in_one_of_the_image_sets_it_went_to_passes() -> None:
    first, second = ct_file(IMAGE_SET), ct_file("2" * 32)
    reads = {IMAGE_SET: read(None, "HTTP 404"), "2" * 32: read(document_of(second))}
    assert (
        failures(judged(instances_found, scene(first, second, **reads)), "IMPORT-INSTANCES-FOUND")
        == []
    )
    unreadable = judged(instances_found, scene(first, **{IMAGE_SET: read(None, "HTTP 404")}))
    ((_, message),) = failures(unreadable, "IMPORT-INSTANCES-FOUND")
    assert message.endswith(f"CT_small.dcm: image set '{IMAGE_SET}' unreadable (HTTP 404)")


def test_gzip_json_metadata_naming_its_data_store_and_image_set_passes() -> None:
    imported = ct_file()
    context = judged(metadata_gzip, scene(imported, **{IMAGE_SET: read(document_of(imported))}))
    assert outcomes(context, "IMAGESET-METADATA-GZIP") == [("GetImageSetMetadata", "passed", "")]


def test_metadata_without_gzip_json_or_its_ids_fails_naming_each_problem() -> None:
    imported = ct_file()
    wrong = read(
        {**document_of(imported), "DatastoreID": OTHER},
        **{"Content-Encoding": "identity", "Content-Type": "text/plain"},
    )
    context = judged(metadata_gzip, scene(imported, **{IMAGE_SET: wrong}))
    assert failures(context, "IMAGESET-METADATA-GZIP") == [
        (
            "GetImageSetMetadata",
            f"image set {IMAGE_SET}: Content-Encoding 'identity'; Content-Type 'text/plain'; "
            f"DatastoreID/ImageSetID '{OTHER}'/'{IMAGE_SET}'",
        )
    ]
    unreadable = judged(metadata_gzip, scene(imported, **{IMAGE_SET: read(None, "not gzip")}))
    assert failures(unreadable, "IMAGESET-METADATA-GZIP") == [
        ("GetImageSetMetadata", f"image set {IMAGE_SET}: not gzip")
    ]


def frame(content_type: str, status: int = 200) -> Exchange:
    answered = exchange("POST", "/", {}, status=status)
    assert answered.headers is not None
    answered.headers["Content-Type"] = content_type
    return answered


def test_a_frame_is_sent_with_the_content_type_of_its_stored_syntax() -> None:
    imported = ct_file()
    found = scene(imported, **{IMAGE_SET: read(document_of(imported))})
    frames: list[tuple[ImportedFile, int, dict[str, Any], Exchange]] = [
        (imported, 0, {}, frame("image/jph; transfer-syntax=1.2.840.10008.1.2.4.202")),
        (imported, 1, {}, frame("application/octet-stream")),
        (imported, 2, {}, frame("text/plain", status=404)),
    ]
    context = judged(frame_content_type, found, frames=frames)
    assert outcomes(context, "IMAGESET-FRAME-CONTENT-TYPE") == [
        ("GetImageFrame", "passed", ""),
        (
            "GetImageFrame",
            "failed",
            "CT_small.dcm frame 1: Content-Type 'application/octet-stream', stored syntax "
            f"'{HTJ2K}' wants 'image/jph'",
        ),
    ]


def test_an_image_set_asked_for_under_another_data_store_is_not_found() -> None:
    found = scene(ct_file())
    sent: list[tuple[str, str]] = []

    def not_there(seen: Any) -> Reply:
        sent.append((seen.operation, seen.labels["datastoreId"]))
        return refusal(404, "ResourceNotFoundException")

    assert failures(judged(image_set_scope, found, not_there), "IMAGESET-SCOPE") == []
    assert sent == [("GetImageSet", OTHER), ("GetImageSetMetadata", OTHER)]
    leaking = judged(image_set_scope, found, lambda seen: Reply({}))
    assert failures(leaking, "IMAGESET-SCOPE") == [
        ("GetImageSet", f"image set {IMAGE_SET} under data store {OTHER}: HTTP 200 "),
        ("GetImageSetMetadata", f"image set {IMAGE_SET} under data store {OTHER}: HTTP 200 "),
    ]
