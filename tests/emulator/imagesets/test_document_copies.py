"""Which instances a copy takes, whether two sets agree, and how they merge."""

from __future__ import annotations

import json

import pytest

from harness.emulator.exceptions import ValidationException
from harness.emulator.imagesets.document_copies import (
    SERIES_MISMATCH,
    STUDY_MISMATCH,
    disagreement,
    merge,
    parse_selection,
    subset,
)
from tests.emulator.imagesets.conftest import OTHER_SERIES, SERIES, SOP, sample_document


def test_copy_selection_whole_sets_series_and_instances() -> None:
    document = sample_document()
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
    source, destination = sample_document(), sample_document()
    assert disagreement(source, destination) is None
    source["Patient"]["DICOM"]["PatientID"] = "P2"
    assert disagreement(source, destination) == STUDY_MISMATCH
    other = sample_document()
    other["Study"]["Series"] = {OTHER_SERIES: other["Study"]["Series"][SERIES]}
    assert disagreement(other, destination) == SERIES_MISMATCH
    merged = merge(destination, other)
    assert set(merged["Study"]["Series"]) == {SERIES, OTHER_SERIES}
    assert merged["Patient"] == destination["Patient"]
