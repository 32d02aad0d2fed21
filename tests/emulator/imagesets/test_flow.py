"""The whole image-set flow with real boto3 against the emulator on a real port."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from typing import Any

import numpy as np
import pydicom
import pytest
from botocore.exceptions import ClientError

from harness.emulator import Emulator
from harness.imaging.frames import HTJ2K_LOSSLESS, decode_frame
from harness.imaging.metadata import expected_attributes, level_of
from tests.emulator.conftest import (
    active_datastore,
    import_files,
    sample_bytes,
    wait_active,
)

CT, MR = sample_bytes("CT_small.dcm"), sample_bytes("MR_small.dcm")


def _code(call: Any, **kwargs: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def _metadata(imaging: Any, datastore_id: str, image_set_id: str, **version: Any) -> Any:
    answer = imaging.get_image_set_metadata(
        datastoreId=datastore_id, imageSetId=image_set_id, **version
    )
    assert answer["contentType"] == "application/json"
    assert answer["contentEncoding"] == "gzip"
    return json.loads(gzip.decompress(answer["imageSetMetadataBlob"].read()))


def _value_at(document: dict[str, Any], keyword: str) -> Any:
    level = level_of(keyword)
    if level == "Patient":
        return document["Patient"]["DICOM"].get(keyword)
    if level == "Study":
        return document["Study"]["DICOM"].get(keyword)
    (series,) = document["Study"]["Series"].values()
    if level == "Series":
        return series["DICOM"].get(keyword)
    (instance,) = series["Instances"].values()
    return instance["DICOM"].get(keyword)


def _search(imaging: Any, datastore_id: str, member: str, value: str) -> list[str]:
    found = imaging.search_image_sets(
        datastoreId=datastore_id,
        searchCriteria={"filters": [{"operator": "EQUAL", "values": [{member: value}]}]},
    )
    return [item["imageSetId"] for item in found["imageSetsMetadataSummaries"]]


def _b64(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


@pytest.fixture(scope="module")
def imported(imaging: Any, s3: Any) -> dict[str, Any]:
    datastore_id = active_datastore(imaging)
    lines = import_files(imaging, s3, datastore_id, {"ct/CT_small.dcm": CT, "mr/MR_small.dcm": MR})
    sets = {line["inputFile"].split("/")[1]: line["importResponse"] for line in lines}
    return {
        "datastore": datastore_id,
        "ct": sets["ct"]["imageSetId"],
        "mr": sets["mr"]["imageSetId"],
        "primary": [entry["isPrimary"] for entry in sets.values()],
    }


def test_import_makes_one_primary_image_set_per_series(imported: dict[str, Any]) -> None:
    assert imported["ct"] != imported["mr"]
    assert imported["primary"] == [True, True]


def test_search_by_study_uid_and_patient_id(imaging: Any, imported: dict[str, Any]) -> None:
    datastore_id = imported["datastore"]
    ct, mr = pydicom.dcmread(io.BytesIO(CT)), pydicom.dcmread(io.BytesIO(MR))
    assert _search(imaging, datastore_id, "DICOMStudyInstanceUID", ct.StudyInstanceUID) == [
        imported["ct"]
    ]
    assert _search(imaging, datastore_id, "DICOMPatientId", str(mr.PatientID)) == [imported["mr"]]
    assert _search(imaging, datastore_id, "DICOMPatientId", "nobody") == []
    every = imaging.search_image_sets(datastoreId=datastore_id)
    assert every["sort"] == {"sortField": "updatedAt", "sortOrder": "DESC"}
    summary = {s["imageSetId"]: s for s in every["imageSetsMetadataSummaries"]}
    assert summary[imported["ct"]]["DICOMTags"]["DICOMPatientId"] == str(ct.PatientID)
    assert summary[imported["ct"]]["version"] == 1


@pytest.mark.parametrize(("name", "data"), [("ct", CT), ("mr", MR)])
def test_metadata_and_frames_match_the_file(
    imaging: Any, imported: dict[str, Any], name: str, data: bytes
) -> None:
    datastore_id, image_set_id = imported["datastore"], imported[name]
    ds = pydicom.dcmread(io.BytesIO(data))
    document = _metadata(imaging, datastore_id, image_set_id)
    assert document["ImageSetID"] == image_set_id
    assert document["DatastoreID"] == datastore_id
    for keyword, value in expected_attributes(ds).items():
        assert _value_at(document, keyword) == value, keyword
    (series,) = document["Study"]["Series"].values()
    (instance,) = series["Instances"].values()
    assert instance["StoredTransferSyntaxUID"] == HTJ2K_LOSSLESS
    pixels = np.ascontiguousarray(ds.pixel_array).astype(ds.pixel_array.dtype.newbyteorder("<"))
    for frame in instance["ImageFrames"]:
        answer = imaging.get_image_frame(
            datastoreId=datastore_id,
            imageSetId=image_set_id,
            imageFrameInformation={"imageFrameId": frame["ID"]},
        )
        assert answer["contentType"] == "image/jph"
        decoded = decode_frame(
            answer["imageFrameBlob"].read(),
            HTJ2K_LOSSLESS,
            int(ds.Rows),
            int(ds.Columns),
            1,
            int(ds.BitsAllocated),
            int(ds.PixelRepresentation) == 1,
        )
        assert decoded == pixels.tobytes()
        checksum = frame["PixelDataChecksumFromBaseToFullResolution"][-1]["Checksum"]
        assert zlib.crc32(decoded) == checksum
    assert _code(
        imaging.get_image_frame,
        datastoreId=datastore_id,
        imageSetId=image_set_id,
        imageFrameInformation={"imageFrameId": "0" * 32},
    ) == ("ResourceNotFoundException", 404)


def test_update_versions_copy_delete_and_tags(
    imaging: Any, imported: dict[str, Any], emulator: Emulator
) -> None:
    datastore_id, image_set_id = imported["datastore"], imported["ct"]
    before = _metadata(imaging, datastore_id, image_set_id)
    updates = {
        "DICOMUpdates": {
            "updatableAttributes": _b64(
                {"SchemaVersion": 1.1, "Patient": {"DICOM": {"PatientName": "MX^MX"}}}
            )
        }
    }
    assert _code(
        imaging.update_image_set_metadata,
        datastoreId=datastore_id,
        imageSetId=image_set_id,
        latestVersionId="7",
        updateImageSetMetadataUpdates=updates,
    ) == ("ConflictException", 409)
    answer = imaging.update_image_set_metadata(
        datastoreId=datastore_id,
        imageSetId=image_set_id,
        latestVersionId="1",
        updateImageSetMetadataUpdates=updates,
    )
    assert (answer["latestVersionId"], answer["imageSetState"]) == ("2", "LOCKED")
    assert answer["imageSetWorkflowStatus"] == "UPDATING"
    settled = wait_active(imaging, datastore_id, image_set_id)
    assert (settled["versionId"], settled["imageSetWorkflowStatus"]) == ("2", "UPDATED")
    assert _metadata(imaging, datastore_id, image_set_id)["Patient"]["DICOM"]["PatientName"] == (
        "MX^MX"
    )
    assert _metadata(imaging, datastore_id, image_set_id, versionId="1") == before
    versions = imaging.list_image_set_versions(datastoreId=datastore_id, imageSetId=image_set_id)
    assert [v["versionId"] for v in versions["imageSetPropertiesList"]] == ["1", "2"]
    assert _code(
        imaging.get_image_set, datastoreId=datastore_id, imageSetId=image_set_id, versionId="9"
    ) == ("ResourceNotFoundException", 404)

    copied = imaging.copy_image_set(
        datastoreId=datastore_id,
        sourceImageSetId=image_set_id,
        copyImageSetInformation={"sourceImageSet": {"latestVersionId": "2"}},
    )
    source, destination = (
        copied["sourceImageSetProperties"],
        copied["destinationImageSetProperties"],
    )
    assert (source["imageSetState"], source["imageSetWorkflowStatus"]) == (
        "LOCKED",
        "COPYING_WITH_READ_ONLY_ACCESS",
    )
    assert (destination["imageSetState"], destination["imageSetWorkflowStatus"]) == (
        "LOCKED",
        "COPYING",
    )
    copy_id = destination["imageSetId"]
    assert destination["latestVersionId"] == "1"
    copy = wait_active(imaging, datastore_id, copy_id)
    assert (copy["imageSetWorkflowStatus"], copy["isPrimary"]) == ("COPIED", False)
    copied_document = _metadata(imaging, datastore_id, copy_id)
    assert copied_document["Study"] == _metadata(imaging, datastore_id, image_set_id)["Study"]
    wait_active(imaging, datastore_id, image_set_id)

    datastore_arn = imaging.get_datastore(datastoreId=datastore_id)["datastoreProperties"][
        "datastoreArn"
    ]
    set_arn = imaging.get_image_set(datastoreId=datastore_id, imageSetId=image_set_id)[
        "imageSetArn"
    ]
    assert set_arn == f"{datastore_arn}/imageset/{image_set_id}"
    for arn in (datastore_arn, set_arn):
        imaging.tag_resource(resourceArn=arn, tags={"team": "imaging", "stage": "test"})
        assert imaging.list_tags_for_resource(resourceArn=arn)["tags"] == {
            "team": "imaging",
            "stage": "test",
        }
        imaging.untag_resource(resourceArn=arn, tagKeys=["stage"])
        assert imaging.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "imaging"}

    deleted = imaging.delete_image_set(datastoreId=datastore_id, imageSetId=copy_id)
    assert (deleted["imageSetState"], deleted["imageSetWorkflowStatus"]) == ("LOCKED", "DELETING")
    _wait_gone(imaging, datastore_id, copy_id)
    assert copy_id not in _search(
        imaging, datastore_id, "DICOMPatientId", str(before["Patient"]["DICOM"]["PatientID"])
    )


def _wait_gone(imaging: Any, datastore_id: str, image_set_id: str) -> None:
    from tests.emulator.conftest import wait_until

    def gone() -> bool:
        try:
            imaging.get_image_set(datastoreId=datastore_id, imageSetId=image_set_id)
        except ClientError as error:
            return error.response["Error"]["Code"] == "ResourceNotFoundException"
        return False

    wait_until(gone, timeout=10)


def test_update_blobs_are_base64_json_objects_on_the_wire(
    imaging: Any, imported: dict[str, Any]
) -> None:
    datastore_id, image_set_id = imported["datastore"], imported["mr"]
    wait_active(imaging, datastore_id, image_set_id)
    blob = {"SchemaVersion": "1.1", "Study": {"DICOM": {"StudyDescription": "CHEST"}}}
    imaging.update_image_set_metadata(
        datastoreId=datastore_id,
        imageSetId=image_set_id,
        latestVersionId="1",
        updateImageSetMetadataUpdates={"DICOMUpdates": {"updatableAttributes": _b64(blob)}},
    )
    wait_active(imaging, datastore_id, image_set_id)
    study = _metadata(imaging, datastore_id, image_set_id)["Study"]["DICOM"]
    assert study["StudyDescription"] == "CHEST"


def test_the_sample_set_keeps_each_reference_file_in_its_image_set(imaging: Any, s3: Any) -> None:
    from harness.imaging.known_set import sample_set

    datastore_id = active_datastore(imaging)
    samples = {sample.key: sample for sample in sample_set()}
    lines = import_files(imaging, s3, datastore_id, {k: s.data for k, s in samples.items()})
    placed = {line["inputFile"].removeprefix("input/"): line["importResponse"] for line in lines}
    assert set(placed) == {key for key, sample in samples.items() if sample.importable}
    for key, sample in samples.items():
        if not sample.reference:
            continue
        document = _metadata(imaging, datastore_id, placed[key]["imageSetId"])
        ds = pydicom.dcmread(io.BytesIO(sample.data))
        for keyword, value in expected_attributes(ds).items():
            assert _value_at(document, keyword) == value, (key, keyword)
