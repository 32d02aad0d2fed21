"""Image-set behaviour over HTTP: grouping, locks, copies, search pages, tags, bad input, state."""

from __future__ import annotations

import base64
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pydicom
import pytest
import requests
from botocore.exceptions import ClientError

from harness.emulator import Emulator, Limits
from tests.emulator.conftest import (
    active_datastore,
    imaging_client,
    import_files,
    sample_bytes,
    start_emulator,
    wait_active,
)

CT, MR = sample_bytes("CT_small.dcm"), sample_bytes("MR_small.dcm")


def _variant(data: bytes, **changes: str) -> bytes:
    """The file with some attributes changed."""
    ds = pydicom.dcmread(io.BytesIO(data))
    for keyword, value in changes.items():
        setattr(ds, keyword, value)
    out = io.BytesIO()
    ds.save_as(out)
    return out.getvalue()


def _code(call: Any, **kwargs: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def _document(imaging: Any, datastore_id: str, image_set_id: str) -> Any:
    answer = imaging.get_image_set_metadata(datastoreId=datastore_id, imageSetId=image_set_id)
    return json.loads(gzip.decompress(answer["imageSetMetadataBlob"].read()))


def _update(imaging: Any, datastore_id: str, image_set_id: str, latest: str, **extra: Any) -> Any:
    blob = {"SchemaVersion": "1.1", "Patient": {"DICOM": {"PatientName": "NEW^NAME"}}}
    return imaging.update_image_set_metadata(
        datastoreId=datastore_id,
        imageSetId=image_set_id,
        latestVersionId=latest,
        updateImageSetMetadataUpdates={
            "DICOMUpdates": {"updatableAttributes": json.dumps(blob).encode()}
        },
        **extra,
    )


def test_consistent_instances_join_the_primary_set_and_conflicts_do_not(
    imaging: Any, s3: Any
) -> None:
    datastore_id = active_datastore(imaging)
    (first,) = import_files(imaging, s3, datastore_id, {"a.dcm": CT})
    primary = first["importResponse"]["imageSetId"]
    (again,) = import_files(imaging, s3, datastore_id, {"a.dcm": CT})
    assert again["importResponse"] == {"imageSetId": primary, "isPrimary": True}
    assert imaging.get_image_set(datastoreId=datastore_id, imageSetId=primary)["versionId"] == "2"

    conflicting = _variant(CT, PatientID="SOMEONE-ELSE")
    (other,) = import_files(imaging, s3, datastore_id, {"b.dcm": conflicting})
    assert other["importResponse"]["isPrimary"] is False
    non_primary = other["importResponse"]["imageSetId"]
    assert non_primary != primary
    found = imaging.search_image_sets(
        datastoreId=datastore_id,
        searchCriteria={"filters": [{"operator": "EQUAL", "values": [{"isPrimary": False}]}]},
    )
    assert [s["imageSetId"] for s in found["imageSetsMetadataSummaries"]] == [non_primary]

    fix = {"SchemaVersion": "1.1", "Patient": {"DICOM": {"PatientID": "1CT1"}}}
    imaging.update_image_set_metadata(
        datastoreId=datastore_id,
        imageSetId=non_primary,
        latestVersionId="1",
        updateImageSetMetadataUpdates={
            "DICOMUpdates": {"updatableAttributes": json.dumps(fix).encode()}
        },
    )
    wait_active(imaging, datastore_id, non_primary)
    promoted = imaging.copy_image_set(
        datastoreId=datastore_id,
        sourceImageSetId=non_primary,
        copyImageSetInformation={"sourceImageSet": {"latestVersionId": "2"}},
        promoteToPrimary=True,
    )
    destination = promoted["destinationImageSetProperties"]
    assert (destination["imageSetId"], destination["latestVersionId"]) == (primary, "3")
    assert wait_active(imaging, datastore_id, primary)["imageSetWorkflowStatus"] == "COPIED"


def test_a_disagreeing_copy_leaves_a_copy_failed_version_unless_forced(
    imaging: Any, s3: Any
) -> None:
    datastore_id = active_datastore(imaging)
    lines = import_files(imaging, s3, datastore_id, {"ct.dcm": CT, "mr.dcm": MR})
    ct, mr = (line["importResponse"]["imageSetId"] for line in lines)
    copy = {
        "sourceImageSet": {"latestVersionId": "1"},
        "destinationImageSet": {"imageSetId": ct, "latestVersionId": "1"},
    }
    imaging.copy_image_set(
        datastoreId=datastore_id, sourceImageSetId=mr, copyImageSetInformation=copy
    )
    failed = wait_active(imaging, datastore_id, ct)
    assert (failed["versionId"], failed["imageSetWorkflowStatus"]) == ("2", "COPY_FAILED")
    assert failed["message"].startswith("INVALID_REQUEST:")
    assert len(_document(imaging, datastore_id, ct)["Study"]["Series"]) == 1
    wait_active(imaging, datastore_id, mr)
    copy["destinationImageSet"]["latestVersionId"] = "2"
    imaging.copy_image_set(
        datastoreId=datastore_id, sourceImageSetId=mr, copyImageSetInformation=copy, force=True
    )
    forced = wait_active(imaging, datastore_id, ct)
    assert (forced["versionId"], forced["overrides"]) == ("3", {"forced": True})
    assert len(_document(imaging, datastore_id, ct)["Study"]["Series"]) == 2
    assert _code(
        imaging.copy_image_set,
        datastoreId=datastore_id,
        sourceImageSetId=mr,
        copyImageSetInformation={
            "sourceImageSet": {"latestVersionId": "1"},
            "destinationImageSet": {"imageSetId": mr, "latestVersionId": "1"},
        },
    ) == ("ValidationException", 400)


def test_study_updates_reach_every_primary_set_of_the_study(imaging: Any, s3: Any) -> None:
    datastore_id = active_datastore(imaging)
    second = _variant(CT, SeriesInstanceUID="1.2.3.4.5.6", SOPInstanceUID="1.2.3.4.5.6.1")
    lines = import_files(imaging, s3, datastore_id, {"one.dcm": CT, "two.dcm": second})
    one, two = (line["importResponse"]["imageSetId"] for line in lines)
    assert one != two
    _update(imaging, datastore_id, one, "1", includeStudyImageSets=True)
    for image_set_id in (one, two):
        settled = wait_active(imaging, datastore_id, image_set_id)
        assert settled["versionId"] == "2"
        patient = _document(imaging, datastore_id, image_set_id)["Patient"]["DICOM"]
        assert patient["PatientName"] == "NEW^NAME"
    assert _code(
        imaging.update_image_set_metadata,
        datastoreId=datastore_id,
        imageSetId=one,
        latestVersionId="2",
        includeStudyImageSets=True,
        updateImageSetMetadataUpdates={"revertToVersionId": "1"},
    ) == ("ValidationException", 400)


def test_locked_sets_refuse_writes_but_serve_reads_then_settle() -> None:
    emulator = start_emulator(
        limits=Limits(
            datastore_transition_seconds=0.1, job_start_delay_seconds=0.1, image_set_write_seconds=1
        )
    )
    try:
        imaging = imaging_client(emulator)
        datastore_id = active_datastore(imaging)
        (line,) = import_files(imaging, emulator.s3.client(), datastore_id, {"ct.dcm": CT})
        image_set_id = line["importResponse"]["imageSetId"]
        _update(imaging, datastore_id, image_set_id, "1")
        assert _code(
            _update,
            imaging=imaging,
            datastore_id=datastore_id,
            image_set_id=image_set_id,
            latest="2",
        ) == ("ConflictException", 409)
        for call in (imaging.copy_image_set, imaging.delete_image_set):
            kwargs: dict[str, Any] = {"datastoreId": datastore_id}
            if call == imaging.copy_image_set:
                kwargs.update(
                    sourceImageSetId=image_set_id,
                    copyImageSetInformation={"sourceImageSet": {"latestVersionId": "2"}},
                )
            else:
                kwargs["imageSetId"] = image_set_id
            assert _code(call, **kwargs) == ("ConflictException", 409)
        locked = imaging.get_image_set(datastoreId=datastore_id, imageSetId=image_set_id)
        assert (locked["imageSetState"], locked["versionId"]) == ("LOCKED", "2")
        assert _document(imaging, datastore_id, image_set_id)["Patient"]["DICOM"]["PatientName"]
        assert wait_active(imaging, datastore_id, image_set_id)["imageSetState"] == "ACTIVE"
        reverted = imaging.update_image_set_metadata(
            datastoreId=datastore_id,
            imageSetId=image_set_id,
            latestVersionId="2",
            updateImageSetMetadataUpdates={"revertToVersionId": "1"},
        )
        assert reverted["latestVersionId"] == "3"
        wait_active(imaging, datastore_id, image_set_id)
        assert _code(
            imaging.update_image_set_metadata,
            datastoreId=datastore_id,
            imageSetId=image_set_id,
            latestVersionId="3",
            updateImageSetMetadataUpdates={"revertToVersionId": "9"},
        ) == ("ResourceNotFoundException", 404)
        paged: list[str] = []
        listing: dict[str, Any] = {
            "datastoreId": datastore_id,
            "imageSetId": image_set_id,
            "maxResults": 1,
        }
        while True:
            page = imaging.list_image_set_versions(**listing)
            paged += [item["versionId"] for item in page["imageSetPropertiesList"]]
            if "nextToken" not in page:
                break
            listing["nextToken"] = page["nextToken"]
        assert paged == ["1", "2", "3"]
        patient = _document(imaging, datastore_id, image_set_id)["Patient"]["DICOM"]
        assert patient["PatientName"] == "CompressedSamples^CT1"
        first = imaging.delete_image_set(datastoreId=datastore_id, imageSetId=image_set_id)
        again = imaging.delete_image_set(datastoreId=datastore_id, imageSetId=image_set_id)
        assert first == {**first, **{k: again[k] for k in first if k != "ResponseMetadata"}}
    finally:
        emulator.stop()


def test_search_pages_sort_and_refusals(imaging: Any, s3: Any) -> None:
    datastore_id = active_datastore(imaging)
    files = {
        f"{n}.dcm": _variant(CT, SeriesInstanceUID=f"1.2.3.{n}", SOPInstanceUID=f"1.2.3.{n}.1")
        for n in range(5)
    }
    lines = import_files(imaging, s3, datastore_id, files)
    expected = {line["importResponse"]["imageSetId"] for line in lines}
    criteria = {"sort": {"sortField": "createdAt", "sortOrder": "ASC"}}
    seen: list[str] = []
    kwargs: dict[str, Any] = {
        "datastoreId": datastore_id,
        "maxResults": 2,
        "searchCriteria": criteria,
    }
    while True:
        page = imaging.search_image_sets(**kwargs)
        assert len(page["imageSetsMetadataSummaries"]) <= 2
        assert page["sort"] == criteria["sort"]
        seen += [item["imageSetId"] for item in page["imageSetsMetadataSummaries"]]
        if "nextToken" not in page:
            break
        kwargs["nextToken"] = page["nextToken"]
    assert len(seen) == len(set(seen)) == 5 and set(seen) == expected
    token = imaging.search_image_sets(datastoreId=datastore_id, maxResults=1)["nextToken"]
    assert _code(
        imaging.search_image_sets,
        datastoreId=datastore_id,
        nextToken=token,
        searchCriteria=criteria,
    ) == ("ValidationException", 400)
    assert _code(
        imaging.search_image_sets,
        datastoreId=datastore_id,
        searchCriteria={"filters": [{"operator": "EQUAL", "values": [{"createdAt": 1}]}]},
    ) == ("ValidationException", 400)
    creating = imaging.create_datastore(datastoreName="creating")["datastoreId"]
    assert _code(imaging.search_image_sets, datastoreId=creating) == ("ConflictException", 409)


def test_tag_limits_and_unknown_resources(imaging: Any) -> None:
    datastore_id = active_datastore(imaging)
    arn = imaging.get_datastore(datastoreId=datastore_id)["datastoreProperties"]["datastoreArn"]
    imaging.tag_resource(resourceArn=arn, tags={f"k{n}": "v" for n in range(50)})
    assert _code(imaging.tag_resource, resourceArn=arn, tags={"one-more": "v"}) == (
        "ValidationException",
        400,
    )
    assert len(imaging.list_tags_for_resource(resourceArn=arn)["tags"]) == 50
    for unknown in (
        arn.replace(datastore_id, "0" * 32),
        arn.replace("123456789012", "210987654321"),
        f"{arn}/imageset/{'0' * 32}",
    ):
        assert _code(imaging.list_tags_for_resource, resourceArn=unknown) == (
            "ResourceNotFoundException",
            404,
        )


def test_a_datastore_with_image_sets_is_deleted_once_they_are_gone(imaging: Any, s3: Any) -> None:
    datastore_id = active_datastore(imaging)
    (line,) = import_files(imaging, s3, datastore_id, {"ct.dcm": CT})
    image_set_id = line["importResponse"]["imageSetId"]
    assert _code(imaging.delete_datastore, datastoreId=datastore_id) == ("ConflictException", 409)
    imaging.delete_image_set(datastoreId=datastore_id, imageSetId=image_set_id)
    assert _code(imaging.delete_datastore, datastoreId=datastore_id) == ("ConflictException", 409)
    from tests.emulator.conftest import wait_until

    def deleted() -> bool:
        try:
            imaging.delete_datastore(datastoreId=datastore_id)
        except ClientError:
            return False
        return True

    wait_until(deleted, timeout=10)


def _blob(text: bytes) -> str:
    return base64.b64encode(text).decode()


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        (
            "POST",
            "/imageSet/{s}/updateImageSetMetadata?latestVersion=1",
            {"DICOMUpdates": {"updatableAttributes": "%%%"}},
            400,
        ),
        (
            "POST",
            "/imageSet/{s}/updateImageSetMetadata?latestVersion=1",
            {"DICOMUpdates": {"updatableAttributes": _blob(b"[1, 2]")}},
            400,
        ),
        (
            "POST",
            "/imageSet/{s}/updateImageSetMetadata?latestVersion=1",
            {"DICOMUpdates": {"updatableAttributes": _blob(b"{")}},
            400,
        ),
        (
            "POST",
            "/imageSet/{s}/updateImageSetMetadata?latestVersion=1",
            {"DICOMUpdates": {}, "revertToVersionId": "1"},
            400,
        ),
        ("POST", "/imageSet/{s}/updateImageSetMetadata?latestVersion=1", {}, 400),
        (
            "POST",
            "/imageSet/{s}/updateImageSetMetadata?latestVersion=x",
            {"revertToVersionId": "1"},
            400,
        ),
        ("POST", "/imageSet/{s}/updateImageSetMetadata", {"revertToVersionId": "1"}, 400),
        (
            "POST",
            "/imageSet/{s}/updateImageSetMetadata?latestVersion=1&force=yes",
            {"revertToVersionId": "1"},
            400,
        ),
        (
            "POST",
            "/imageSet/{s}/copyImageSet",
            {
                "sourceImageSet": {
                    "latestVersionId": "1",
                    "DICOMCopies": {"copiableAttributes": "{"},
                }
            },
            400,
        ),
        ("POST", "/imageSet/{s}/copyImageSet", {"sourceImageSet": {}}, 400),
        ("POST", "/imageSet/{s}/copyImageSet", [1], 400),
        ("POST", "/imageSet/{s}/getImageFrame", {"imageFrameId": "nope"}, 400),
        ("POST", "/imageSet/{s}/getImageFrame", {}, 400),
        ("POST", "/imageSet/{s}/getImageSet?version=abc", None, 400),
        ("POST", "/imageSet/{s}/getImageSetMetadata?version=7", None, 404),
        ("POST", "/imageSet/{s}/listImageSetVersions?maxResults=0", None, 400),
        ("POST", "/imageSet/{s}/listImageSetVersions?nextToken=forged", None, 400),
        ("POST", "/searchImageSets", {"filters": []}, 400),
        ("POST", "/searchImageSets", {"filters": [{"operator": "LIKE", "values": [{}]}]}, 400),
        (
            "POST",
            "/searchImageSets",
            {
                "filters": [
                    {"operator": "EQUAL", "values": [{"DICOMPatientId": "a", "DICOMStudyId": "b"}]}
                ]
            },
            400,
        ),
        ("POST", "/searchImageSets", {"sort": {"sortField": "name", "sortOrder": "UP"}}, 400),
        ("POST", "/searchImageSets", "not json", 400),
        ("POST", "/imageSet/{u}/deleteImageSet", None, 404),
    ],
)
def test_malformed_image_set_requests_are_4xx_with_a_json_body(
    emulator: Emulator,
    imaging: Any,
    s3: Any,
    signed: requests.Session,
    method: str,
    path: str,
    body: Any,
    status: int,
) -> None:
    datastore_id, image_set_id = _one_image_set(imaging, s3)
    url = f"{emulator.url}/datastore/{datastore_id}" + path.format(s=image_set_id, u="0" * 32)
    data = body if isinstance(body, str) else (None if body is None else json.dumps(body))
    headers = {"Content-Type": "application/json"} if data is not None else {}
    answer = signed.request(method, url, data=data, headers=headers, timeout=10)
    assert answer.status_code == status, answer.text
    assert answer.headers["X-Amzn-Errortype"]
    assert isinstance(answer.json()["message"], str)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:medical-imaging:us-east-1:123456789012:datastore/short",
        "not-an-arn",
        "arn:aws:medical-imaging:us-east-1:123456789012:datastore/" + "a" * 32 + "/imageset/x",
    ],
)
def test_malformed_arns_are_400(emulator: Emulator, signed: requests.Session, arn: str) -> None:
    from urllib.parse import quote

    answer = signed.get(f"{emulator.url}/tags/{quote(arn, safe='')}", timeout=10)
    assert answer.status_code == 400, answer.text
    assert answer.json()["message"]


_CACHE: dict[str, tuple[str, str]] = {}


def _one_image_set(imaging: Any, s3: Any) -> tuple[str, str]:
    if "set" not in _CACHE:
        datastore_id = active_datastore(imaging)
        (line,) = import_files(imaging, s3, datastore_id, {"ct.dcm": CT})
        _CACHE["set"] = (datastore_id, line["importResponse"]["imageSetId"])
    return _CACHE["set"]


def test_image_sets_versions_frames_and_tags_survive_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    limits = Limits(
        datastore_transition_seconds=0.1, job_start_delay_seconds=0.1, image_set_write_seconds=5
    )
    first = start_emulator(state=state, limits=limits)
    try:
        imaging = imaging_client(first)
        datastore_id = active_datastore(imaging)
        (line,) = import_files(imaging, first.s3.client(), datastore_id, {"ct.dcm": CT})
        image_set_id = line["importResponse"]["imageSetId"]
        arn = imaging.get_image_set(datastoreId=datastore_id, imageSetId=image_set_id)[
            "imageSetArn"
        ]
        imaging.tag_resource(resourceArn=arn, tags={"kept": "yes"})
        before = _document(imaging, datastore_id, image_set_id)
        _update(imaging, datastore_id, image_set_id, "1")
    finally:
        first.stop()
    second = start_emulator(
        state=state,
        limits=Limits(datastore_transition_seconds=0.1, image_set_write_seconds=0.1),
    )
    try:
        imaging = imaging_client(second)
        settled = wait_active(imaging, datastore_id, image_set_id)
        assert settled["versionId"] == "2"
        versions = imaging.list_image_set_versions(
            datastoreId=datastore_id, imageSetId=image_set_id
        )["imageSetPropertiesList"]
        assert [v["versionId"] for v in versions] == ["1", "2"]
        old = imaging.get_image_set_metadata(
            datastoreId=datastore_id, imageSetId=image_set_id, versionId="1"
        )
        assert json.loads(gzip.decompress(old["imageSetMetadataBlob"].read())) == before
        (series,) = before["Study"]["Series"].values()
        (instance,) = series["Instances"].values()
        frame = imaging.get_image_frame(
            datastoreId=datastore_id,
            imageSetId=image_set_id,
            imageFrameInformation={"imageFrameId": instance["ImageFrames"][0]["ID"]},
        )
        assert frame["imageFrameBlob"].read()
        assert imaging.list_tags_for_resource(resourceArn=arn)["tags"] == {"kept": "yes"}
    finally:
        second.stop()


def test_a_version_beyond_any_integer_is_not_found_never_a_500(imaging: Any, s3: Any) -> None:
    datastore_id = active_datastore(imaging)
    (imported,) = import_files(imaging, s3, datastore_id, {"a.dcm": CT})
    image_set_id = imported["importResponse"]["imageSetId"]
    for call in (imaging.get_image_set, imaging.get_image_set_metadata):
        assert _code(
            call, datastoreId=datastore_id, imageSetId=image_set_id, versionId="9" * 30
        ) == ("ResourceNotFoundException", 404)
