"""What an update may change in a metadata document, where, and with force."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from harness.emulator.exceptions import ValidationException
from harness.emulator.imagesets.document_updates import (
    apply_study_updates,
    apply_updates,
    decode_attributes,
)
from tests.emulator.imagesets.conftest import OTHER_SOP, SERIES, SOP, sample_document


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
    document = sample_document()
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
            apply_updates(sample_document(), None, patch, force=force)


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
        apply_updates(sample_document(), None, patch, force=False)
    apply_updates(sample_document(), None, patch, force=True)


def test_forced_private_tags_need_a_vr_and_record_it() -> None:
    instances = {SOP: {"DICOM": {"00191001": "97"}}}
    with pytest.raises(ValidationException, match="VR"):
        apply_updates(
            sample_document(), None, {"Study": {"Series": {SERIES: {"Instances": instances}}}}, True
        )
    instances = {SOP: {"DICOM": {"00191001": "97"}, "DICOMVRs": {"00191001": "DS"}}}
    updated = apply_updates(
        sample_document(), None, {"Study": {"Series": {SERIES: {"Instances": instances}}}}, True
    )
    assert updated["Study"]["Series"][SERIES]["Instances"][SOP]["DICOMVRs"] == {"00191001": "DS"}


def test_forced_uid_updates_rename_their_keys() -> None:
    series = {SERIES: {"DICOM": {"SeriesInstanceUID": "1.2.3.9"}}}
    updated = apply_updates(sample_document(), None, {"Study": {"Series": series}}, force=True)
    assert list(updated["Study"]["Series"]) == ["1.2.3.9"]


def test_removals_apply_before_updates_and_need_what_they_remove() -> None:
    removal = {"Study": {"DICOM": {"StudyDescription": ""}}}
    update = {"Study": {"DICOM": {"StudyDescription": "NEW"}}}
    updated = apply_updates(sample_document(), removal, update, force=False)
    assert updated["Study"]["DICOM"]["StudyDescription"] == "NEW"
    removed = apply_updates(sample_document(), removal, None, force=False)
    assert "StudyDescription" not in removed["Study"]["DICOM"]
    with pytest.raises(ValidationException):
        apply_updates(removed, removal, None, force=False)
    with pytest.raises(ValidationException):
        apply_updates(sample_document(), None, None, force=False)


def test_removing_instances_needs_force_and_keeps_one() -> None:
    one = {"Study": {"Series": {SERIES: {"Instances": {SOP: {}}}}}}
    with pytest.raises(ValidationException, match="force"):
        apply_updates(sample_document(), one, None, force=False)
    left = apply_updates(sample_document(), one, None, force=True)
    assert list(left["Study"]["Series"][SERIES]["Instances"]) == [OTHER_SOP]
    with pytest.raises(ValidationException, match="at least one"):
        apply_updates(left, {"Study": {"Series": {SERIES: {}}}}, None, force=True)


def test_study_updates_for_other_sets_skip_series_and_absent_attributes() -> None:
    patch = {
        "Patient": {"DICOM": {"PatientName": "Z^Z"}},
        "Study": {"DICOM": {"StudyDescription": "X"}, "Series": {"7.7": {}}},
    }
    removal = {"Study": {"DICOM": {"ReferringPhysicianName": ""}}}
    updated = apply_study_updates(sample_document(), removal, patch, force=False)
    assert updated["Patient"]["DICOM"]["PatientName"] == "Z^Z"
    assert updated["Study"]["DICOM"]["StudyDescription"] == "X"
