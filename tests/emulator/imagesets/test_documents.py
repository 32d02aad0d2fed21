"""Metadata documents as stored: gzip JSON, and the tags and frame IDs read off them."""

from __future__ import annotations

from harness.emulator.imagesets.documents import dicom_tags, frame_ids, from_gzip, to_gzip
from tests.emulator.imagesets.conftest import sample_document


def test_documents_round_trip_through_gzip_and_give_their_tags() -> None:
    document = sample_document()
    assert from_gzip(to_gzip(document)) == document
    tags = dicom_tags(document)
    assert tags["DICOMPatientId"] == "P1"
    assert tags["DICOMSeriesNumber"] == 3
    assert tags["DICOMNumberOfStudyRelatedInstances"] == 2
    assert frame_ids(document) == ["1" * 32, "2" * 32]
