"""Every image-set fault changes what a client observes (one test per fault)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.emulator import Emulator
from harness.emulator.faults import FAULTS_BY_NAME
from tests.emulator.conftest import (
    active_datastore,
    import_files,
    sample_bytes,
    wait_active,
)

CT = sample_bytes("CT_small.dcm")
PATIENT = {"SchemaVersion": "1.1", "Patient": {"DICOM": {"PatientName": "FAULT^TEST"}}}


@contextmanager
def fault(emulator: Emulator, name: str) -> Iterator[None]:
    """Turn one fault on in the running emulator for the block."""
    assert name in FAULTS_BY_NAME
    emulator.faults.enabled = frozenset({name})
    try:
        yield
    finally:
        emulator.faults.enabled = frozenset()


@pytest.fixture(scope="module")
def base(imaging: Any, s3: Any) -> dict[str, str]:
    datastore_id = active_datastore(imaging)
    (line,) = import_files(imaging, s3, datastore_id, {"CT_small.dcm": CT})
    return {"datastore": datastore_id, "image_set": line["importResponse"]["imageSetId"]}


def _fresh(imaging: Any, base: dict[str, str]) -> str:
    """A new image set at version 1 (a copy of the imported one), ACTIVE."""
    wait_active(imaging, base["datastore"], base["image_set"])
    answer = imaging.copy_image_set(
        datastoreId=base["datastore"],
        sourceImageSetId=base["image_set"],
        copyImageSetInformation={"sourceImageSet": {"latestVersionId": "1"}},
    )
    image_set_id: str = answer["destinationImageSetProperties"]["imageSetId"]
    wait_active(imaging, base["datastore"], image_set_id)
    wait_active(imaging, base["datastore"], base["image_set"])
    return image_set_id


def _update(imaging: Any, datastore_id: str, image_set_id: str, latest: str) -> Any:
    return imaging.update_image_set_metadata(
        datastoreId=datastore_id,
        imageSetId=image_set_id,
        latestVersionId=latest,
        updateImageSetMetadataUpdates={
            "DICOMUpdates": {"updatableAttributes": json.dumps(PATIENT).encode()}
        },
    )


def _metadata_raw(imaging: Any, base: dict[str, str], **extra: Any) -> dict[str, Any]:
    answer: dict[str, Any] = imaging.get_image_set_metadata(
        datastoreId=base["datastore"], imageSetId=extra.pop("image_set", base["image_set"]), **extra
    )
    answer["body"] = answer.pop("imageSetMetadataBlob").read()
    return answer


def _first_frame(imaging: Any, base: dict[str, str]) -> tuple[str, Any]:
    document = json.loads(gzip.decompress(_metadata_raw(imaging, base)["body"]))
    (series,) = document["Study"]["Series"].values()
    (instance,) = series["Instances"].values()
    frame_id = instance["ImageFrames"][0]["ID"]
    answer = imaging.get_image_frame(
        datastoreId=base["datastore"],
        imageSetId=base["image_set"],
        imageFrameInformation={"imageFrameId": frame_id},
    )
    return answer["contentType"], answer["imageFrameBlob"].read()


def _code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return str(raised.value.response["Error"]["Code"])


def test_metadata_not_gzipped(emulator: Emulator, imaging: Any, base: dict[str, str]) -> None:
    assert json.loads(gzip.decompress(_metadata_raw(imaging, base)["body"]))
    with fault(emulator, "metadata-not-gzipped"):
        answer = _metadata_raw(imaging, base)
    assert answer["contentEncoding"] == "gzip"
    assert json.loads(answer["body"])["ImageSetID"] == base["image_set"]


def test_metadata_encoding_header_missing(
    emulator: Emulator, imaging: Any, base: dict[str, str]
) -> None:
    with fault(emulator, "metadata-encoding-header-missing"):
        answer = _metadata_raw(imaging, base)
    assert "contentEncoding" not in answer
    assert gzip.decompress(answer["body"])


def test_frame_bytes_corrupted(emulator: Emulator, imaging: Any, base: dict[str, str]) -> None:
    _, good = _first_frame(imaging, base)
    with fault(emulator, "frame-bytes-corrupted"):
        _, bad = _first_frame(imaging, base)
    assert len(bad) == len(good) and bad != good


def test_frame_content_type_wrong(emulator: Emulator, imaging: Any, base: dict[str, str]) -> None:
    assert _first_frame(imaging, base)[0] == "image/jph"
    with fault(emulator, "frame-content-type-wrong"):
        assert _first_frame(imaging, base)[0] == "application/octet-stream"


def test_update_version_not_bumped(emulator: Emulator, imaging: Any, base: dict[str, str]) -> None:
    image_set_id = _fresh(imaging, base)
    with fault(emulator, "update-version-not-bumped"):
        answer = _update(imaging, base["datastore"], image_set_id, "1")
    assert answer["latestVersionId"] == "1"


def test_stale_version_accepted(emulator: Emulator, imaging: Any, base: dict[str, str]) -> None:
    image_set_id = _fresh(imaging, base)
    assert (
        _code(
            _update,
            imaging=imaging,
            datastore_id=base["datastore"],
            image_set_id=image_set_id,
            latest="5",
        )
        == "ConflictException"
    )
    with fault(emulator, "stale-version-accepted"):
        assert _update(imaging, base["datastore"], image_set_id, "5")["latestVersionId"] == "2"


def test_update_changes_old_version(emulator: Emulator, imaging: Any, base: dict[str, str]) -> None:
    image_set_id = _fresh(imaging, base)
    before = _metadata_raw(imaging, base, image_set=image_set_id)["body"]
    with fault(emulator, "update-changes-old-version"):
        _update(imaging, base["datastore"], image_set_id, "1")
    after = _metadata_raw(imaging, base, image_set=image_set_id, versionId="1")["body"]
    assert after != before
    assert json.loads(gzip.decompress(after))["Patient"]["DICOM"]["PatientName"] == "FAULT^TEST"


def _patient_search(imaging: Any, datastore_id: str, patient: str) -> list[str]:
    answer = imaging.search_image_sets(
        datastoreId=datastore_id,
        searchCriteria={
            "filters": [{"operator": "EQUAL", "values": [{"DICOMPatientId": patient}]}]
        },
    )
    return [item["imageSetId"] for item in answer["imageSetsMetadataSummaries"]]


def test_search_filter_ignored(emulator: Emulator, imaging: Any, base: dict[str, str]) -> None:
    assert _patient_search(imaging, base["datastore"], "nobody") == []
    with fault(emulator, "search-filter-ignored"):
        assert base["image_set"] in _patient_search(imaging, base["datastore"], "nobody")


def _search(imaging: Any, datastore_id: str, **criteria: Any) -> list[str]:
    answer = imaging.search_image_sets(datastoreId=datastore_id, searchCriteria=criteria)
    return [item["imageSetId"] for item in answer["imageSetsMetadataSummaries"]]


def test_search_study_id_as_uid(emulator: Emulator, imaging: Any, base: dict[str, str]) -> None:
    by_study_id = [{"operator": "EQUAL", "values": [{"DICOMStudyId": "1CT1"}]}]
    assert base["image_set"] in _search(imaging, base["datastore"], filters=by_study_id)
    with fault(emulator, "search-study-id-as-uid"):
        assert _search(imaging, base["datastore"], filters=by_study_id) == []


def test_search_sort_ignored(emulator: Emulator, imaging: Any, base: dict[str, str]) -> None:
    datastore_id = base["datastore"]
    older, newer = _fresh(imaging, base), _fresh(imaging, base)
    _update(imaging, datastore_id, older, "1")
    wait_active(imaging, datastore_id, older)
    newest_first = {"sortField": "createdAt", "sortOrder": "DESC"}
    found = _search(imaging, datastore_id, sort=newest_first)
    assert found.index(newer) < found.index(older)
    with fault(emulator, "search-sort-ignored"):
        found = _search(imaging, datastore_id, sort=newest_first)
    assert found.index(older) < found.index(newer)


def test_search_leaks_datastores(emulator: Emulator, imaging: Any, base: dict[str, str]) -> None:
    empty = active_datastore(imaging)
    assert imaging.search_image_sets(datastoreId=empty)["imageSetsMetadataSummaries"] == []
    with fault(emulator, "search-leaks-datastores"):
        found = imaging.search_image_sets(datastoreId=empty)["imageSetsMetadataSummaries"]
    assert base["image_set"] in {item["imageSetId"] for item in found}


def test_copy_destination_version_ignored(
    emulator: Emulator, imaging: Any, base: dict[str, str]
) -> None:
    destination = _fresh(imaging, base)
    information = {
        "sourceImageSet": {"latestVersionId": "1"},
        "destinationImageSet": {"imageSetId": destination, "latestVersionId": "9"},
    }
    kwargs = {
        "datastoreId": base["datastore"],
        "sourceImageSetId": base["image_set"],
        "copyImageSetInformation": information,
    }
    assert _code(imaging.copy_image_set, **kwargs) == "ConflictException"
    with fault(emulator, "copy-destination-version-ignored"):
        answer = imaging.copy_image_set(**kwargs)
    assert answer["destinationImageSetProperties"]["latestVersionId"] == "2"


def test_deleted_image_set_readable(emulator: Emulator, imaging: Any, base: dict[str, str]) -> None:
    image_set_id = _fresh(imaging, base)
    with fault(emulator, "deleted-image-set-readable"):
        imaging.delete_image_set(datastoreId=base["datastore"], imageSetId=image_set_id)
        state = wait_active(imaging, base["datastore"], image_set_id)
    assert state["imageSetState"] == "DELETED"
    assert (
        _code(imaging.get_image_set, datastoreId=base["datastore"], imageSetId=image_set_id)
        == "ResourceNotFoundException"
    )


def test_locked_image_set_writable(emulator: Emulator, imaging: Any, base: dict[str, str]) -> None:
    image_set_id = _fresh(imaging, base)
    _update(imaging, base["datastore"], image_set_id, "1")
    assert (
        _code(
            _update,
            imaging=imaging,
            datastore_id=base["datastore"],
            image_set_id=image_set_id,
            latest="2",
        )
        == "ConflictException"
    )
    with fault(emulator, "locked-image-set-writable"):
        assert _update(imaging, base["datastore"], image_set_id, "2")["latestVersionId"] == "3"


def test_untag_ignored(emulator: Emulator, imaging: Any, base: dict[str, str]) -> None:
    arn = imaging.get_image_set(datastoreId=base["datastore"], imageSetId=base["image_set"])[
        "imageSetArn"
    ]
    imaging.tag_resource(resourceArn=arn, tags={"keep": "no"})
    with fault(emulator, "untag-ignored"):
        imaging.untag_resource(resourceArn=arn, tagKeys=["keep"])
    assert imaging.list_tags_for_resource(resourceArn=arn)["tags"] == {"keep": "no"}
    imaging.untag_resource(resourceArn=arn, tagKeys=["keep"])
    assert imaging.list_tags_for_resource(resourceArn=arn)["tags"] == {}


def test_image_set_datastore_not_checked(
    emulator: Emulator, imaging: Any, base: dict[str, str]
) -> None:
    other = active_datastore(imaging)
    kwargs = {"datastoreId": other, "imageSetId": base["image_set"]}
    assert _code(imaging.get_image_set, **kwargs) == "ResourceNotFoundException"
    with fault(emulator, "image-set-datastore-not-checked"):
        assert imaging.get_image_set(**kwargs)["imageSetId"] == base["image_set"]


def test_import_drops_instance(emulator: Emulator, imaging: Any, s3: Any) -> None:
    datastore_id = active_datastore(imaging)
    with fault(emulator, "import-drops-instance"):
        (line,) = import_files(imaging, s3, datastore_id, {"CT_small.dcm": CT})
    image_set_id = line["importResponse"]["imageSetId"]
    answer = imaging.get_image_set_metadata(datastoreId=datastore_id, imageSetId=image_set_id)
    document = json.loads(gzip.decompress(answer["imageSetMetadataBlob"].read()))
    assert all(not series["Instances"] for series in document["Study"]["Series"].values())


def test_every_image_set_fault_has_a_test() -> None:
    names = {
        name.removeprefix("test_").replace("_", "-")
        for name in globals()
        if name.startswith("test_") and name != "test_every_image_set_fault_has_a_test"
    }
    new = {
        fault.name
        for fault in FAULTS_BY_NAME.values()
        if fault.caught_by.startswith(("IMAGESET-", "SEARCH-", "COPY-", "TAGS-", "IMPORT-"))
    }
    assert new <= names, new - names
