"""Paginated listings judged on their walks: page sizes, completeness, status filters and
tokens the service did not issue."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.server.checks.listing import (
    WALKS,
    Listable,
    Walks,
    _image_sets,
    complete,
    page_size,
    status_filter,
    tampered_token,
)
from harness.server.context import SuiteContext
from harness.server.derived import listing
from harness.server.observation import Observation
from harness.server.paging import Walk
from harness.server.scenes.imaging import SCENE
from tests.server.exchanges import (
    STORE,
    Reply,
    failures,
    imported_scene,
    outcomes,
    refusal,
    scripted,
    unreachable,
)

JOBS = listing("ListDICOMImportJobs")
DATASTORES = listing("ListDatastores")


def walked(
    *ids: str, ended: bool = True, capped: bool = False, problems: tuple[str, ...] = ()
) -> Walk:
    return Walk(ids=list(ids), ended=ended, capped=capped, size_problems=list(problems))


def jobs_walks(
    one: Walk, two: Walk, reference: Walk | None = None, known: set[str] | None = None
) -> Walks:
    reference = reference or walked("a", "b", "c")
    source = Listable({"datastoreId": STORE}, known or set())
    return Walks(JOBS, source, reference, {1: one, 2: two}, reference)


def seed(context: SuiteContext, *found: Walks, missing: str | None = None) -> None:
    walks: dict[str, Walks | None] = {walks.listed.operation: walks for walks in found}
    if missing is not None:
        walks[missing] = None
    context.shared(WALKS, lambda: walks)


def test_what_every_walk_must_list_is_what_the_run_made_and_both_reference_walks_list() -> None:
    walks = Walks(
        JOBS, Listable({}, {"made"}), walked("a", "b", "gone"), {}, walked("a", "b", "came")
    )
    assert walks.expected == {"a", "b", "made"}


def test_walks_of_every_size_that_list_everything_pass_both_rules() -> None:
    with scripted(unreachable) as context:
        seed(context, jobs_walks(walked("a", "b", "c"), walked("c", "b", "a")))
        page_size(context)
        complete(context)
        assert [status for _, status, _ in outcomes(context, "PAGINATION-PAGE-SIZE")] == [
            "passed",
            "passed",
        ]
        assert [status for _, status, _ in outcomes(context, "PAGINATION-COMPLETE")] == [
            "passed",
            "passed",
        ]


def test_a_listing_that_ends_on_its_first_page_with_items_left_fails_the_page_size() -> None:
    with scripted(unreachable) as context:
        seed(context, jobs_walks(walked("a"), walked("a", "b", "c")))
        page_size(context)
        assert failures(context, "PAGINATION-PAGE-SIZE") == [
            ("ListDICOMImportJobs", "no nextToken after 1 of 3 items")
        ]


def test_a_page_over_the_page_size_fails_naming_it() -> None:
    oversized = walked("a", "b", "c", problems=("3 items on a page of maxResults=2",))
    with scripted(unreachable) as context:
        seed(context, jobs_walks(walked("a", "b", "c"), oversized))
        page_size(context)
        assert failures(context, "PAGINATION-PAGE-SIZE") == [
            ("ListDICOMImportJobs", "3 items on a page of maxResults=2")
        ]


def test_an_item_listed_twice_or_never_fails_completeness_naming_it() -> None:
    with scripted(unreachable) as context:
        seed(context, jobs_walks(walked("a", "b", "b", "c"), walked("a", "c")))
        complete(context)
        (twice, never) = failures(context, "PAGINATION-COMPLETE")
    assert "maxResults=1: listed twice ['b']; never listed []" in twice[1]
    assert "maxResults=2: listed twice []; never listed ['b']" in never[1]


def test_an_item_the_run_made_must_be_listed_even_when_the_reference_walks_miss_it() -> None:
    with scripted(unreachable) as context:
        seed(context, jobs_walks(walked("a", "b", "c"), walked("a", "b", "c"), known={"d"}))
        complete(context)
        found = failures(context, "PAGINATION-COMPLETE")
    assert len(found) == 2 and all("never listed ['d']" in message for _, message in found)


def test_a_walk_cut_short_by_the_page_cap_is_judged_on_duplicates_only() -> None:
    with scripted(unreachable) as context:
        seed(
            context,
            jobs_walks(walked("a", ended=False, capped=True), walked("a", "a", capped=True)),
        )
        complete(context)
        (only,) = failures(context, "PAGINATION-COMPLETE")
    assert "maxResults=2: listed twice ['a']; never listed []" in only[1]


def test_the_image_sets_the_run_imported_are_what_a_search_must_list() -> None:
    """PAGINATION-COMPLETE expects what the run made in a listing: a search that lists none
    of the imported image sets fails, even when both reference walks agree on nothing."""
    with scripted(unreachable) as context:
        context.shared(SCENE, lambda: imported_scene("1" * 32))
        source = _image_sets(context, listing("SearchImageSets"))
    assert source is not None and source.known == {"1" * 32}


def test_a_listing_whose_items_could_not_be_made_is_an_error() -> None:
    with scripted(unreachable) as context:
        seed(context, missing="ListImageSetVersions")
        complete(context)
        assert outcomes(context, "PAGINATION-COMPLETE") == [
            ("ListImageSetVersions", "error", "what it lists could not be made")
        ]


def job(number: int, status: str) -> dict[str, Any]:
    return {"jobId": f"j{number}", "datastoreId": STORE, "jobStatus": status}


@dataclass
class Jobs:
    """ListDICOMImportJobs over `items`, in one page; `ignores_filter` lists every job
    whatever jobStatus asks, `hides` leaves a job out of every filtered listing."""

    items: list[dict[str, Any]]
    ignores_filter: bool = False
    hides: str | None = None

    def __call__(self, seen: Observation) -> Reply:
        wanted = seen.query.get("jobStatus")
        listed = [
            item
            for item in self.items
            if wanted is None
            or (
                (self.ignores_filter or item["jobStatus"] == wanted) and item["jobId"] != self.hides
            )
        ]
        return Reply({"jobSummaries": listed})


STEADY = [job(0, "COMPLETED"), job(1, "FAILED"), job(2, "COMPLETED")]


def filtered(target: Jobs, reference: list[dict[str, Any]] = STEADY) -> list[tuple[str, str]]:
    """(status filtered on, problems) of each failed LIST-FILTER outcome, once the jobs
    listing's four status values are judged."""
    ids = [f"{item['jobId']}/{STORE}" for item in reference]
    before = Walk(ids=ids, items=reference, ended=True)
    with scripted(target) as context:
        seed(context, jobs_walks(before, before, reference=before))
        status_filter(context)
        found = [o for o in context.record.outcomes if o.check_id == "LIST-FILTER"]
    assert len(found) == 4 and {o.subject for o in found} == {"ListDICOMImportJobs"}
    return [(str(o.evidence[0].note), o.message) for o in found if o.status != "passed"]


def test_a_status_filter_that_lists_exactly_its_status_passes_for_every_value() -> None:
    assert filtered(Jobs(STEADY)) == []


def test_a_filter_that_lists_other_statuses_fails_naming_the_items() -> None:
    found = dict(filtered(Jobs(STEADY, ignores_filter=True)))
    assert found["jobStatus=COMPLETED"] == f"j1/{STORE} is FAILED"
    assert found["jobStatus=FAILED"] == f"j0/{STORE} is COMPLETED; j2/{STORE} is COMPLETED"
    assert len(found) == 4  # SUBMITTED and IN_PROGRESS list them all too


def test_a_filter_that_leaves_out_an_item_steady_in_its_status_fails_naming_it() -> None:
    found = filtered(Jobs(STEADY, hides="j2"))
    assert found == [
        (
            "jobStatus=COMPLETED",
            f"not listed though COMPLETED before and after: ['j2/{STORE}']",
        )
    ]


def test_an_item_whose_status_changed_meanwhile_need_not_be_listed_by_either() -> None:
    then = [job(0, "COMPLETED"), job(1, "IN_PROGRESS")]
    assert filtered(Jobs([job(0, "COMPLETED"), job(1, "COMPLETED")], hides="j1"), then) == []


@dataclass
class Tokens:
    """Every listing issues `<operation>-1` on a first page of one; a token it did not
    issue is a 400, unless `accepts` says it takes it."""

    accepts: str = "own"  # "own", "issued" (any listing's), "any"
    no_token: bool = False
    received: dict[str, list[str]] = field(default_factory=dict)

    def __call__(self, seen: Observation) -> Reply:
        token = seen.query.get("nextToken")
        key = "datastoreSummaries" if seen.operation == "ListDatastores" else "jobSummaries"
        if token is None:
            issued = {} if self.no_token else {"nextToken": f"{seen.operation}-1"}
            return Reply({key: [], **issued})
        self.received.setdefault(seen.operation, []).append(token)
        taken = {
            "own": token == f"{seen.operation}-1",
            "issued": token in ("ListDICOMImportJobs-1", "ListDatastores-1"),
            "any": True,
        }[self.accepts]
        return Reply({key: []}) if taken else refusal(400, "ValidationException")


def tampered(target: Tokens) -> SuiteContext:
    with scripted(target) as context:
        seed(
            context,
            Walks(JOBS, Listable({"datastoreId": STORE}), walked(), {}, walked()),
            Walks(DATASTORES, Listable({}), walked(), {}, walked()),
        )
        tampered_token(context)
    return context


def test_tokens_altered_cut_invented_or_from_another_listing_are_all_sent_and_refused() -> None:
    target = Tokens()
    context = tampered(target)
    assert target.received == {
        "ListDICOMImportJobs": [
            "AistDICOMImportJobs-1",
            "ListDICOMI",
            "bm90LWEtdG9rZW4=",
            "ListDatastores-1",
        ],
        "ListDatastores": [
            "AistDatastores-1",
            "ListData",
            "bm90LWEtdG9rZW4=",
            "ListDICOMImportJobs-1",
        ],
    }
    found = outcomes(context, "PAGINATION-TAMPERED-TOKEN")
    assert len(found) == 8 and {status for _, status, _ in found} == {"passed"}


def test_a_listing_that_takes_a_token_it_did_not_issue_fails() -> None:
    taken_anywhere = failures(tampered(Tokens(accepts="any")), "PAGINATION-TAMPERED-TOKEN")
    assert len(taken_anywhere) == 8
    assert taken_anywhere[0] == (
        "ListDICOMImportJobs",
        "expected HTTP 400 ValidationException, got HTTP 200 (no X-Amzn-Errortype)",
    )
    shared_tokens = failures(tampered(Tokens(accepts="issued")), "PAGINATION-TAMPERED-TOKEN")
    assert [subject for subject, _ in shared_tokens] == ["ListDICOMImportJobs", "ListDatastores"]


def test_a_listing_that_issues_no_token_is_an_error() -> None:
    context = tampered(Tokens(no_token=True))
    assert outcomes(context, "PAGINATION-TAMPERED-TOKEN") == [
        ("ListDICOMImportJobs", "error", "no nextToken was issued to tamper with"),
        ("ListDatastores", "error", "no nextToken was issued to tamper with"),
    ]
