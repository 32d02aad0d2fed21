"""Search criteria, filters and sort on image set records, without a server."""

from __future__ import annotations

from typing import Any

import pytest

from harness.emulator.exceptions import ValidationException
from harness.emulator.imagesets.search import SearchQuery, study_moment
from harness.emulator.records import ImageSet


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
