"""Search, update and copy semantics on records and documents, without a server."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from harness.emulator.copies import (
    SERIES_MISMATCH,
    STUDY_MISMATCH,
    disagreement,
    merge,
    parse_selection,
    subset,
)
from harness.emulator.documents import dicom_tags, frame_ids, from_gzip, to_gzip
from harness.emulator.exceptions import ValidationException
from harness.emulator.records import ImageSet
from harness.emulator.search import SearchQuery, study_moment
from harness.emulator.updates import apply_study_updates, apply_updates, decode_attributes

SERIES, OTHER_SERIES = "1.2.3.4", "1.2.3.5"
SOP, OTHER_SOP = "1.2.3.4.1", "1.2.3.4.2"


def _document() -> dict[str, Any]:
    def instance(number: str) -> dict[str, Any]:
        return {
            "DICOM": {"SOPInstanceUID": number, "InstanceNumber": "1", "Rows": 2},
            "StoredTransferSyntaxUID": "1.2.840.10008.1.2.4.202",
            "ImageFrames": [{"ID": f"{number[-1]}" * 32, "FrameSizeInBytes": 8}],
        }

    return {
        "SchemaVersion": "1.1",
        "DatastoreID": "d" * 32,
        "ImageSetID": "i" * 32,
        "Patient": {"DICOM": {"PatientName": "A^B", "PatientID": "P1"}},
        "Study": {
            "DICOM": {
                "StudyInstanceUID": "1.2.3",
                "StudyDate": "20200102",
                "StudyTime": "101500",
                "StudyID": "S1",
                "StudyDescription": "HEAD",
                "AccessionNumber": "A1",
            },
            "Series": {
                SERIES: {
                    "DICOM": {"SeriesInstanceUID": SERIES, "Modality": "CT", "SeriesNumber": "3"},
                    "Instances": {SOP: instance(SOP), OTHER_SOP: instance(OTHER_SOP)},
                }
            },
        },
    }


def test_documents_round_trip_through_gzip_and_give_their_tags() -> None:
    document = _document()
    assert from_gzip(to_gzip(document)) == document
    tags = dicom_tags(document)
    assert tags["DICOMPatientId"] == "P1"
    assert tags["DICOMSeriesNumber"] == 3
    assert tags["DICOMNumberOfStudyRelatedInstances"] == 2
    assert frame_ids(document) == ["1" * 32, "2" * 32]


# search


def _image_set(seq: int, **tags: Any) -> ImageSet:
    record = ImageSet(
        "s" * 31 + str(seq), "d" * 32, 100.0 + seq, 200.0 + seq, 1, seq % 2 == 0, "CREATED"
    )
    record.dicom_tags, record.seq = tags, seq
    return record


def _filter(operator: str, *values: dict[str, Any]) -> dict[str, Any]:
    return {"operator": operator, "values": list(values)}


@pytest.mark.parametrize(
    "criteria",
    [
        {"filters": [_filter("EQUAL", {"createdAt": 1.0})]},
        {"filters": [_filter("BETWEEN", {"DICOMPatientId": "a"}, {"DICOMPatientId": "b"})]},
        {"filters": [_filter("BETWEEN", {"createdAt": 1.0})]},
        {"filters": [_filter("EQUAL", {"DICOMPatientId": "a"}, {"DICOMPatientId": "b"})]},
        {"filters": [_filter("BETWEEN", {"createdAt": 5.0}, {"createdAt": 1.0})]},
        {"filters": [_filter("BETWEEN", {"createdAt": 1.0}, {"updatedAt": 5.0})]},
        {
            "filters": [
                _filter("BETWEEN", {"createdAt": 1.0}, {"createdAt": 5.0}),
                _filter("BETWEEN", {"updatedAt": 1.0}, {"updatedAt": 5.0}),
            ]
        },
        {
            "filters": [
                _filter("EQUAL", {"DICOMPatientId": "a"}),
                _filter("EQUAL", {"DICOMPatientId": "b"}),
            ]
        },
        {
            "filters": [
                _filter(
                    "BETWEEN",
                    {"DICOMStudyDateAndTime": {"DICOMStudyDate": "2020-01-01"}},
                    {"DICOMStudyDateAndTime": {"DICOMStudyDate": "20200201"}},
                )
            ]
        },
        {
            "filters": [
                _filter(
                    "BETWEEN",
                    {
                        "DICOMStudyDateAndTime": {
                            "DICOMStudyDate": "20200101",
                            "DICOMStudyTime": "x",
                        }
                    },
                    {"DICOMStudyDateAndTime": {"DICOMStudyDate": "20200201"}},
                )
            ]
        },
    ],
)
def test_refused_search_criteria(criteria: dict[str, Any]) -> None:
    with pytest.raises(ValidationException):
        SearchQuery.parse(criteria)


def test_study_moments_pad_time_and_need_a_full_date() -> None:
    assert study_moment("20200102", "1015") == "20200102101500000000"
    assert study_moment("20200102", "101500.25") == "20200102101500250000"
    assert study_moment("20200102", None) == "20200102000000000000"
    assert study_moment("200102", "1015") is None


def test_search_matches_ranges_inclusively_and_combines_filters() -> None:
    sets = [
        _image_set(1, DICOMStudyDate="20200101", DICOMStudyTime="000000", DICOMPatientId="P"),
        _image_set(2, DICOMStudyDate="20200102", DICOMStudyTime="101500", DICOMPatientId="P"),
        _image_set(3, DICOMStudyDate="20200103", DICOMPatientId="Q"),
        _image_set(4, DICOMPatientId="P"),
    ]
    dates = _filter(
        "BETWEEN",
        {"DICOMStudyDateAndTime": {"DICOMStudyDate": "20200101"}},
        {"DICOMStudyDateAndTime": {"DICOMStudyDate": "20200103"}},
    )
    query = SearchQuery.parse({"filters": [dates]})
    assert [s.seq for s in sets if query.matches(s)] == [1, 2, 3]
    both = SearchQuery.parse({"filters": [dates, _filter("EQUAL", {"DICOMPatientId": "P"})]})
    assert [s.seq for s in sets if both.matches(s)] == [1, 2]
    primary = SearchQuery.parse({"filters": [_filter("EQUAL", {"isPrimary": False})]})
    assert [s.seq for s in sets if primary.matches(s)] == [1, 3]
    created = SearchQuery.parse(
        {"filters": [_filter("BETWEEN", {"createdAt": 102.0}, {"createdAt": 103.0})]}
    )
    assert [s.seq for s in sets if created.matches(s)] == [2, 3]


def test_search_sort_defaults_to_updated_at_descending() -> None:
    query = SearchQuery.parse(None)
    assert query.sort == {"sortField": "updatedAt", "sortOrder": "DESC"}
    sets = [_image_set(n) for n in (2, 1, 3)]
    assert [s.seq for s in sorted(sets, key=query.position, reverse=query.descending)] == [3, 2, 1]
    by_date = SearchQuery.parse(
        {"sort": {"sortField": "DICOMStudyDateAndTime", "sortOrder": "ASC"}}
    )
    dated = [_image_set(1, DICOMStudyDate="20200105"), _image_set(2)]
    assert [s.seq for s in sorted(dated, key=by_date.position)] == [2, 1]


# updates


def _blob(document: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(document).encode()).decode()


def test_update_blobs_must_be_base64_json_objects() -> None:
    assert decode_attributes(_blob({"a": 1}), "x") == {"a": 1}
    for bad in ("not base64!", base64.b64encode(b"[1]").decode(), base64.b64encode(b"{").decode()):
        with pytest.raises(ValidationException):
            decode_attributes(bad, "updatableAttributes")
    with pytest.raises(ValidationException):
        decode_attributes(base64.b64encode(b"{}" + b" " * 30_000).decode(), "x")
    with pytest.raises(ValidationException):
        decode_attributes(7, "x")


def test_updates_land_at_their_level_and_leave_the_input_alone() -> None:
    document = _document()
    original = copy.deepcopy(document)
    series = {SERIES: {"DICOM": {"Modality": "MR"}, "Instances": {SOP: {"DICOM": {"Rows": 4}}}}}
    patch = {"Patient": {"DICOM": {"PatientName": "C^D"}}, "Study": {"Series": series}}
    updated = apply_updates(document, None, patch, force=False)
    assert document == original
    assert updated["Patient"]["DICOM"]["PatientName"] == "C^D"
    target = updated["Study"]["Series"][SERIES]
    assert target["DICOM"]["Modality"] == "MR"
    assert target["Instances"][SOP]["DICOM"]["Rows"] == 4


@pytest.mark.parametrize(
    "patch",
    [
        {"Patient": {"DICOM": {"StudyDescription": "moved"}}},
        {"Study": {"DICOM": {"PatientName": "moved"}}},
        {"ImageSetID": "x"},
        {"SchemaVersion": "2.0"},
        {"Study": {"Series": {"9.9": {"DICOM": {"Modality": "MR"}}}}},
        {"Study": {"Series": {SERIES: {"Instances": {"9.9": {"DICOM": {"Rows": 1}}}}}}},
        {"Study": {"Series": {SERIES: {"Instances": {SOP: {"ImageFrames": []}}}}}},
        {"Study": {"Series": {SERIES: {"Instances": {SOP: {"DICOM": {"PixelData": None}}}}}}},
        {"Patient": {"DICOM": {"00191001": "x"}}},
    ],
)
def test_updates_that_are_never_allowed(patch: dict[str, Any]) -> None:
    for force in (False, True):
        with pytest.raises(ValidationException):
            apply_updates(_document(), None, patch, force=force)


@pytest.mark.parametrize(
    "patch",
    [
        {"Study": {"DICOM": {"StudyInstanceUID": "1.2.9"}}},
        {"Study": {"DICOM": {"StudyID": "S2"}}},
        {"Patient": {"DICOM": {"OtherPatientNames": ["A", "B"]}}},
        {"Patient": {"DICOM": {"PatientName": 7}}},
        {"Patient": {"DICOM": {"NotAKeyword": "x"}}},
        {
            "Study": {
                "Series": {
                    SERIES: {
                        "Instances": {
                            SOP: {"DICOM": {"00191001": "97"}, "DICOMVRs": {"00191001": "DS"}}
                        }
                    }
                }
            }
        },
    ],
)
def test_updates_that_need_force(patch: dict[str, Any]) -> None:
    with pytest.raises(ValidationException, match="force"):
        apply_updates(_document(), None, patch, force=False)
    apply_updates(_document(), None, patch, force=True)


def test_forced_private_tags_need_a_vr_and_record_it() -> None:
    instances = {SOP: {"DICOM": {"00191001": "97"}}}
    with pytest.raises(ValidationException, match="VR"):
        apply_updates(
            _document(), None, {"Study": {"Series": {SERIES: {"Instances": instances}}}}, True
        )
    instances = {SOP: {"DICOM": {"00191001": "97"}, "DICOMVRs": {"00191001": "DS"}}}
    updated = apply_updates(
        _document(), None, {"Study": {"Series": {SERIES: {"Instances": instances}}}}, True
    )
    assert updated["Study"]["Series"][SERIES]["Instances"][SOP]["DICOMVRs"] == {"00191001": "DS"}


def test_forced_uid_updates_rename_their_keys() -> None:
    series = {SERIES: {"DICOM": {"SeriesInstanceUID": "1.2.3.9"}}}
    updated = apply_updates(_document(), None, {"Study": {"Series": series}}, force=True)
    assert list(updated["Study"]["Series"]) == ["1.2.3.9"]


def test_removals_apply_before_updates_and_need_what_they_remove() -> None:
    removal = {"Study": {"DICOM": {"StudyDescription": ""}}}
    update = {"Study": {"DICOM": {"StudyDescription": "NEW"}}}
    updated = apply_updates(_document(), removal, update, force=False)
    assert updated["Study"]["DICOM"]["StudyDescription"] == "NEW"
    removed = apply_updates(_document(), removal, None, force=False)
    assert "StudyDescription" not in removed["Study"]["DICOM"]
    with pytest.raises(ValidationException):
        apply_updates(removed, removal, None, force=False)
    with pytest.raises(ValidationException):
        apply_updates(_document(), None, None, force=False)


def test_removing_instances_needs_force_and_keeps_one() -> None:
    one = {"Study": {"Series": {SERIES: {"Instances": {SOP: {}}}}}}
    with pytest.raises(ValidationException, match="force"):
        apply_updates(_document(), one, None, force=False)
    left = apply_updates(_document(), one, None, force=True)
    assert list(left["Study"]["Series"][SERIES]["Instances"]) == [OTHER_SOP]
    with pytest.raises(ValidationException, match="at least one"):
        apply_updates(left, {"Study": {"Series": {SERIES: {}}}}, None, force=True)


def test_study_updates_for_other_sets_skip_series_and_absent_attributes() -> None:
    patch = {
        "Patient": {"DICOM": {"PatientName": "Z^Z"}},
        "Study": {"DICOM": {"StudyDescription": "X"}, "Series": {"7.7": {}}},
    }
    removal = {"Study": {"DICOM": {"ReferringPhysicianName": ""}}}
    updated = apply_study_updates(_document(), removal, patch, force=False)
    assert updated["Patient"]["DICOM"]["PatientName"] == "Z^Z"
    assert updated["Study"]["DICOM"]["StudyDescription"] == "X"


# copies


def test_copy_selection_whole_sets_series_and_instances() -> None:
    document = _document()
    assert parse_selection(None, document) == {SERIES: None}
    assert parse_selection('{"SchemaVersion": "1.1"}', document) == {SERIES: None}
    chosen = {"Study": {"Series": {SERIES: {"Instances": {SOP: {}}}}}}
    selection = parse_selection(json.dumps(chosen), document)
    assert selection == {SERIES: {SOP}}
    assert list(subset(document, selection)["Study"]["Series"][SERIES]["Instances"]) == [SOP]
    for bad in (
        "[",
        "[]",
        '{"Study": {"Series": {"9.9": {}}}}',
        json.dumps({"Study": {"Series": {SERIES: {"Instances": {"9.9": {}}}}}}),
    ):
        with pytest.raises(ValidationException):
            parse_selection(bad, document)


def test_copies_must_agree_unless_forced_and_merge_keeps_the_destination() -> None:
    source, destination = _document(), _document()
    assert disagreement(source, destination) is None
    source["Patient"]["DICOM"]["PatientID"] = "P2"
    assert disagreement(source, destination) == STUDY_MISMATCH
    other = _document()
    other["Study"]["Series"] = {OTHER_SERIES: other["Study"]["Series"][SERIES]}
    assert disagreement(other, destination) == SERIES_MISMATCH
    merged = merge(destination, other)
    assert set(merged["Study"]["Series"]) == {SERIES, OTHER_SERIES}
    assert merged["Patient"] == destination["Patient"]
