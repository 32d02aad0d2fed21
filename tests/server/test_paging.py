"""Walking a paginated listing token by token, and what a walk notes of pages gone wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from harness.server import paging
from harness.server.derived import listing
from harness.server.observation import Observation
from harness.server.paging import item_id, walk, walk_pages
from tests.server.exchanges import STORE, Reply, scripted

JOBS = "ListDICOMImportJobs"


def job(number: int, status: str = "COMPLETED") -> dict[str, Any]:
    return {"jobId": f"j{number}", "datastoreId": STORE, "jobStatus": status}


@dataclass
class Pages:
    """A listing that pages `items` by maxResults, its token the offset of the next page;
    `overfill` more items on each page than asked for."""

    items: list[dict[str, Any]]
    overfill: int = 0
    queries: list[dict[str, str]] = field(default_factory=list)

    def __call__(self, seen: Observation) -> Reply:
        self.queries.append(seen.query)
        start = int(seen.query.get("nextToken", "0"))
        end = start + int(seen.query["maxResults"]) + self.overfill
        body: dict[str, Any] = {"jobSummaries": self.items[start:end]}
        if end < len(self.items):
            body["nextToken"] = str(end)
        return Reply(body)


def test_every_page_is_walked_token_by_token_and_items_are_named_by_their_ids() -> None:
    target = Pages([job(n) for n in range(5)])
    with scripted(target) as context:
        found = walk_pages(context, JOBS, 2, datastoreId=STORE)
    assert found.ids == [f"j{n}/{STORE}" for n in range(5)]
    assert found.ended and not found.capped
    assert not found.size_problems and not found.filter_problems
    assert len(found.exchanges) == 3
    assert [query.get("nextToken") for query in target.queries] == [None, "2", "4"]
    assert {query["maxResults"] for query in target.queries} == {"2"}


def test_an_items_identity_joins_its_id_members() -> None:
    versions = listing("ListImageSetVersions")
    assert item_id(versions, {"imageSetId": "s", "versionId": "2", "x": 1}) == "s/2"
    assert item_id(versions, {"versionId": "2"}) == "None/2"


def test_a_page_longer_than_the_page_size_is_a_size_problem() -> None:
    with scripted(Pages([job(n) for n in range(6)], overfill=1)) as context:
        found = walk_pages(context, JOBS, 2, datastoreId=STORE)
    assert found.size_problems == ["3 items on a page of maxResults=2"] * 2
    assert found.ended


def test_a_page_that_is_not_a_json_success_ends_the_walk_as_a_size_problem() -> None:
    with scripted(lambda seen: Reply({"message": "boom"}, 500)) as context:
        found = walk_pages(context, JOBS, 2, datastoreId=STORE)
    assert found.size_problems == ["page answered HTTP 500"]
    assert not found.ended and len(found.exchanges) == 1
    with scripted(lambda seen: Reply(b"not json")) as context:
        assert walk_pages(context, JOBS, 2, datastoreId=STORE).size_problems == [
            "page answered HTTP 200"
        ]


def test_a_token_answered_twice_ends_the_walk_unended() -> None:
    calls = iter(range(100))

    def same_token(seen: Observation) -> Reply:
        return Reply({"jobSummaries": [job(next(calls))], "nextToken": "again"})

    with scripted(same_token) as context:
        found = walk_pages(context, JOBS, 1, datastoreId=STORE)
    assert len(found.exchanges) == 2
    assert not found.ended and not found.capped


def test_a_page_of_nothing_new_with_a_token_ends_the_walk_unended() -> None:
    calls = iter(range(100))

    def same_items(seen: Observation) -> Reply:
        return Reply({"jobSummaries": [job(0)], "nextToken": str(next(calls))})

    with scripted(same_items) as context:
        found = walk_pages(context, JOBS, 1, datastoreId=STORE)
    assert len(found.exchanges) == 2 and found.ids == [f"j0/{STORE}"] * 2
    assert not found.ended and not found.capped


def test_an_empty_page_with_a_fresh_token_is_followed() -> None:
    def answer(seen: Observation) -> Reply:
        if "nextToken" not in seen.query:
            return Reply({"jobSummaries": [], "nextToken": "t1"})
        return Reply({"jobSummaries": [job(1)]})

    with scripted(answer) as context:
        found = walk_pages(context, JOBS, 1, datastoreId=STORE)
    assert found.ids == [f"j1/{STORE}"] and found.ended


def test_an_item_outside_the_status_filtered_on_is_named() -> None:
    items = [job(0), job(1, "FAILED"), job(2)]
    with scripted(Pages(items)) as context:
        found = walk_pages(context, JOBS, 2, ("jobStatus", "COMPLETED"), datastoreId=STORE)
    assert found.filter_problems == [f"j1/{STORE} is FAILED"]


def test_a_walk_stops_at_the_page_cap_with_a_token_still_to_follow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(paging, "MAX_PAGES", 3)
    with scripted(Pages([job(n) for n in range(10)])) as context:
        found = walk_pages(context, JOBS, 1, datastoreId=STORE)
    assert found.capped and not found.ended
    assert len(found.exchanges) == 3 and len(found.ids) == 3


def test_walking_jobs_lists_job_ids_and_sends_the_filters() -> None:
    target = Pages([job(0), job(1, "FAILED")])
    with scripted(target) as context:
        found = walk(context, STORE, 50, jobStatus="COMPLETED")
    assert found.ids == ["j0", "j1"]
    assert found.filter_problems == [f"j1/{STORE} is FAILED"]
    assert target.queries == [{"maxResults": "50", "jobStatus": "COMPLETED"}]
