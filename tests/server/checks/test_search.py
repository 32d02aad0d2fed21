"""SearchImageSets judged against a scripted search: each filter finds the image set holding
its value and nothing else, each sort orders every page, nothing crosses data stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydicom.dataset import Dataset

from harness.imaging.known_set import SampleFile
from harness.server.checks.search import (
    Probe,
    _probe,
    _sort_key,
    dicom_keyword,
    search_filter,
    search_scope,
    search_sort,
)
from harness.server.context import SuiteContext
from harness.server.derived import SearchMember, search_members
from harness.server.observation import Observation
from harness.server.scenes.imaging import SCENE, SECOND_DATASTORE, ImportedFile, Scene
from tests.server.exchanges import OTHER, STORE, Reply, failures, outcomes, scripted

FIRST, SECOND = "1" * 32, "2" * 32
MOMENT = 1_700_000_000.0


def member(name: str) -> SearchMember:
    return next(found for found in search_members() if found.name == name)


def dataset(number: int) -> Dataset:
    ds = Dataset()
    ds.PatientID = f"P{number}"
    ds.AccessionNumber = f"A{number}"
    ds.StudyID = f"S{number}"
    ds.StudyInstanceUID = f"1.2.{number}"
    ds.SeriesInstanceUID = f"1.2.{number}.1"
    ds.SOPInstanceUID = f"1.2.{number}.1.1"
    ds.StudyDate = f"2020010{number}"
    ds.StudyTime = "101010"
    return ds


def summary(number: int, image_set_id: str, **changes: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "imageSetId": image_set_id,
        "version": 1,
        "createdAt": MOMENT + 1000 * number,
        "updatedAt": MOMENT + 2000 - 1000 * number,
        "isPrimary": number == 1,
        "DICOMTags": {
            "DICOMPatientId": f"P{number}",
            "DICOMAccessionNumber": f"A{number}",
            "DICOMStudyId": f"S{number}",
            "DICOMStudyInstanceUID": f"1.2.{number}",
            "DICOMSeriesInstanceUID": f"1.2.{number}.1",
            "DICOMStudyDate": f"2020010{number}",
            "DICOMStudyTime": "101010",
        },
    }
    found.update(changes)
    return found


def imported(number: int, image_set_id: str | None) -> ImportedFile:
    sample = SampleFile(f"f{number}.dcm", b"", True, "valid")
    return ImportedFile(sample, dataset(number), image_set_id)


SCENE_OF_TWO = Scene(status="COMPLETED", files=[imported(1, FIRST), imported(2, SECOND)])
SUMMARIES = [summary(1, FIRST), summary(2, SECOND)]


def test_a_dicom_member_names_the_keyword_whatever_its_case() -> None:
    assert dicom_keyword("DICOMPatientId") == "PatientID"
    assert dicom_keyword("DICOMStudyId") == "StudyID"
    assert dicom_keyword("DICOMStudyInstanceUID") == "StudyInstanceUID"
    assert dicom_keyword("DICOMStudyDate") == "StudyDate"
    assert dicom_keyword("createdAt") is None
    assert dicom_keyword("DICOMStudyDateAndTime") is None
    assert dicom_keyword("DICOMNoSuchAttribute") is None


def test_every_dicom_search_member_of_the_model_names_a_keyword_or_has_parts_that_do() -> None:
    for found in search_members():
        if found.parts:
            assert all(dicom_keyword(part) for part in found.parts), found
        elif found.name.startswith("DICOM"):
            assert dicom_keyword(found.name), found


def test_a_value_is_filtered_by_equal_and_a_moment_by_a_second_either_side() -> None:
    patient = Probe(member("DICOMPatientId"), "P1", FIRST)
    assert patient.criteria == {
        "filters": [{"operator": "EQUAL", "values": [{"DICOMPatientId": "P1"}]}]
    }
    created = Probe(member("createdAt"), MOMENT, FIRST)
    assert created.bounds == (MOMENT - 1, MOMENT + 1)
    assert created.criteria == {
        "filters": [
            {
                "operator": "BETWEEN",
                "values": [{"createdAt": MOMENT - 1}, {"createdAt": MOMENT + 1}],
            }
        ]
    }
    moment = {"DICOMStudyDate": "20200101", "DICOMStudyTime": "101010"}
    study = Probe(member("DICOMStudyDateAndTime"), moment, FIRST)
    assert study.criteria["filters"][0]["values"] == [
        {"DICOMStudyDateAndTime": moment},
        {"DICOMStudyDateAndTime": moment},
    ]


def test_a_result_fits_only_when_it_holds_the_value_in_its_summary_or_tags() -> None:
    patient = Probe(member("DICOMPatientId"), "P1", FIRST)
    assert patient.fits(summary(1, FIRST))
    assert not patient.fits(summary(2, SECOND))
    assert not patient.fits({"imageSetId": FIRST})
    primary = Probe(member("isPrimary"), True, FIRST)
    assert primary.fits(summary(1, FIRST)) and not primary.fits(summary(2, SECOND))


def test_a_moment_fits_within_a_second_and_only_as_a_number() -> None:
    created = Probe(member("createdAt"), MOMENT, FIRST)
    assert created.fits({"createdAt": MOMENT + 0.5})
    assert created.fits({"createdAt": MOMENT - 1})
    assert not created.fits({"createdAt": MOMENT + 1.5})
    assert not created.fits({"createdAt": str(MOMENT)})
    assert not created.fits({})


def test_a_study_date_and_time_fits_by_its_date() -> None:
    moment = {"DICOMStudyDate": "20200101", "DICOMStudyTime": "101010"}
    study = Probe(member("DICOMStudyDateAndTime"), moment, FIRST)
    assert study.fits(summary(1, FIRST))
    assert study.fits({"DICOMTags": {"DICOMStudyDate": "20200101", "DICOMStudyTime": "235959"}})
    assert not study.fits(summary(2, SECOND))
    assert not study.fits({"DICOMTags": {}})


def test_a_probe_takes_dicom_values_from_the_file_and_moments_from_the_summary() -> None:
    summaries = {FIRST: summary(1, FIRST, DICOMTags={}), SECOND: summary(2, SECOND)}
    scene = Scene(status="COMPLETED", files=[imported(3, None), imported(1, FIRST)])
    patient = _probe(member("DICOMPatientId"), scene, summaries)
    assert patient is not None and (patient.value, patient.image_set_id) == ("P1", FIRST)
    created = _probe(member("createdAt"), scene, summaries)
    assert created is not None and created.value == MOMENT + 1000
    study = _probe(member("DICOMStudyDateAndTime"), scene, summaries)
    assert study is not None
    assert study.value == {"DICOMStudyDate": "20200101", "DICOMStudyTime": "101010"}


def test_no_probe_is_made_without_a_value_or_from_a_moment_that_is_not_a_number() -> None:
    as_text = {FIRST: summary(1, FIRST, createdAt="2023-11-14T22:13:20Z")}
    scene = Scene(status="COMPLETED", files=[imported(1, FIRST)])
    assert _probe(member("createdAt"), scene, as_text) is None
    assert _probe(member("updatedAt"), scene, as_text) is not None
    undated = Scene(status="COMPLETED", files=[imported(1, FIRST)])
    del undated.files[0].dataset.StudyDate
    assert _probe(member("DICOMStudyDateAndTime"), undated, {FIRST: summary(1, FIRST)}) is None


def test_a_sort_key_is_the_member_or_a_study_date_and_time_by_its_parts() -> None:
    assert _sort_key(summary(1, FIRST), "updatedAt") == MOMENT + 1000
    assert _sort_key(summary(1, FIRST), "DICOMStudyDateAndTime") == ("20200101", "101010")
    dated = {"DICOMTags": {"DICOMStudyDate": "20200101"}}
    assert _sort_key(dated, "DICOMStudyDateAndTime") == ("20200101", "")
    assert _sort_key({"DICOMTags": {"DICOMStudyTime": "1010"}}, "DICOMStudyDateAndTime") is None


def _value(item: dict[str, Any], name: str) -> Any:
    tags = item.get("DICOMTags", {})
    if name == "DICOMStudyDateAndTime":
        return tags.get("DICOMStudyDate", "") + tags.get("DICOMStudyTime", "")
    return item[name] if name in item else tags.get(name)


def _moment(value: Any) -> Any:
    if isinstance(value, dict):
        return value.get("DICOMStudyDate", "") + value.get("DICOMStudyTime", "")
    return value


@dataclass
class Search:
    """SearchImageSets over `summaries` in pages of one: filters and sorts as the API
    reference describes them, unless told to ignore the filters, find nothing by a filter,
    always sort ascending, or list this data store's image sets in another."""

    summaries: list[dict[str, Any]]
    ignores_filters: bool = False
    finds_nothing: bool = False
    ascending_only: bool = False
    leaks: bool = False
    sent: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, seen: Observation) -> Reply:
        criteria = seen.sent
        if "nextToken" not in seen.query:
            self.sent.append(criteria)
        found = list(self.summaries) if seen.labels["datastoreId"] == STORE or self.leaks else []
        for one in criteria.get("filters", []):
            if self.ignores_filters:
                break
            ((name, low),) = one["values"][0].items()
            high = one["values"][-1][name]
            found = [
                item
                for item in found
                if _value(item, name) is not None
                and _moment(low) <= _value(item, name) <= _moment(high)
            ]
        if self.finds_nothing and criteria.get("filters"):
            found = []
        sort = criteria.get("sort")
        if sort:
            descending = sort["sortOrder"] == "DESC" and not self.ascending_only
            found.sort(key=lambda item: _value(item, sort["sortField"]), reverse=descending)
        start = int(seen.query.get("nextToken", "0"))
        body: dict[str, Any] = {"imageSetsMetadataSummaries": found[start : start + 1]}
        if start + 1 < len(found):
            body["nextToken"] = str(start + 1)
        return Reply(body)


def searched(target: Search, check: Any, scene: Scene = SCENE_OF_TWO) -> SuiteContext:
    with scripted(target) as context:
        context.shared(SCENE, lambda: scene)
        context.shared(SECOND_DATASTORE, lambda: OTHER)
        check(context)
    return context


def test_a_search_that_filters_finds_each_value_in_its_image_set_alone() -> None:
    target = Search(SUMMARIES)
    context = searched(target, search_filter)
    found = outcomes(context, "SEARCH-FILTER")
    assert len(found) == len(search_members())
    assert {status for _, status, _ in found} == {"passed"}
    assert {"operator": "EQUAL", "values": [{"DICOMPatientId": "P1"}]} in [
        one for sent in target.sent for one in sent.get("filters", [])
    ]


def test_a_search_that_ignores_a_filter_fails_naming_the_strays() -> None:
    context = searched(Search(SUMMARIES, ignores_filters=True), search_filter)
    found = failures(context, "SEARCH-FILTER")
    assert len(found) == len(search_members())
    assert all(f"results without that value: ['{SECOND}']" in message for _, message in found)
    assert all(f"expected image set {FIRST} found" in message for _, message in found)


def test_a_search_that_finds_nothing_fails_naming_the_missing_image_set() -> None:
    context = searched(Search(SUMMARIES, finds_nothing=True), search_filter)
    found = failures(context, "SEARCH-FILTER")
    assert len(found) == len(search_members())
    assert found[0][1] == (
        f"EQUAL DICOMPatientId ('P1', 'P1'): 0 results; expected image set {FIRST} missing; "
        "results without that value: []"
    )


def test_a_search_that_sorts_every_page_in_order_passes_each_field_and_order() -> None:
    context = searched(Search(SUMMARIES), search_sort)
    found = outcomes(context, "SEARCH-SORT")
    assert len(found) == 6 and {status for _, status, _ in found} == {"passed"}


def test_a_search_that_ignores_the_sort_order_fails_each_descending_sort() -> None:
    context = searched(Search(SUMMARIES, ascending_only=True), search_sort)
    found = failures(context, "SEARCH-SORT")
    assert [message.split(":")[0] for _, message in found] == [
        "sorted by updatedAt DESC",
        "sorted by createdAt DESC",
        "sorted by DICOMStudyDateAndTime DESC",
    ]
    assert "2 results in the order [('20200101', '101010'), ('20200102', '101010')]" in found[2][1]


def test_results_without_a_study_date_are_left_out_of_its_order() -> None:
    undated = summary(3, "3" * 32, DICOMTags={})
    context = searched(Search([*SUMMARIES, undated]), search_sort)
    assert failures(context, "SEARCH-SORT") == []


def test_a_search_in_another_data_store_that_lists_this_ones_image_sets_fails() -> None:
    assert failures(searched(Search(SUMMARIES), search_scope), "SEARCH-SCOPE") == []
    leaked = failures(searched(Search(SUMMARIES, leaks=True), search_scope), "SEARCH-SCOPE")
    by_study, unfiltered = leaked
    assert by_study == (
        "SearchImageSets",
        f"a search in data store {OTHER} lists image sets of {STORE}: ['{FIRST}']",
    )
    assert unfiltered[1].endswith(f"['{FIRST}', '{SECOND}']")


def test_a_search_that_lists_no_image_set_at_all_fails_the_filters() -> None:
    """The run imported image sets holding each value; probes are made from what the
    unfiltered search lists, so a search that lists none of them fails on that first."""
    context = searched(Search([]), search_filter)
    assert failures(context, "SEARCH-FILTER")
