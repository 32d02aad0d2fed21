"""Every paginated operation: complete, duplicate-free pages of the requested size, the token
honoured and a foreign one refused, and every status filter.

The rules are derived from the operation table (`harness.server.derived`): each one
applies to every operation with a paginator or a status filter, whatever it lists. What a
listing needs in order to have pages to walk is made by what it lists (`SOURCES`, by the
member that names an item): jobs started, a second data store, the known set imported, an
image set updated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.checks import Check, Source
from harness.server.context import Shared, SuiteContext
from harness.server.derived import Covered, Listing, listings, status_filters
from harness.server.expect import expect_error
from harness.server.paging import Walk, item_id, walk_listing
from harness.server.registry import Unit, server_check
from harness.server.scenes.imaging import scene_of, second_datastore
from harness.server.scenes.imports import imports
from harness.server.scenes.updates import update_run

WALKS: Shared[dict[str, Walks | None]] = Shared("each listing, walked at each page size")

UNIT = Unit.LISTING
PAGE_SIZES = (1, 2)
"""The page sizes each listing is walked at, beside its largest (the reference walk)."""


@dataclass
class Listable:
    """What a listing is sent and which items the run made that it must list."""

    params: dict[str, Any]
    known: set[str] = field(default_factory=set)


LISTED_JOBS = 7
"""Jobs the data store holds before the walks: more than two pages at every page size."""


def _jobs(context: SuiteContext, listed: Listing) -> Listable | None:
    """Start jobs on an empty prefix (they end at once) until LISTED_JOBS are known; a 402 at
    the quota stops it early."""
    imports(context)
    empty = context.env.empty_uri
    datastore_id = context.env.datastore_id
    while (known := len(context.model.jobs_in(datastore_id))) < LISTED_JOBS:
        context.start_job(datastore_id, **context.start_body(inputS3Uri=empty))
        if len(context.model.jobs_in(datastore_id)) == known:
            break  # refused (a 402 at the quota), or answered no job
    made = {
        item_id(listed, {"jobId": job, "datastoreId": datastore_id})
        for job in context.model.jobs_in(datastore_id)
    }
    return Listable({"datastoreId": datastore_id}, made)


def _datastores(context: SuiteContext, listed: Listing) -> Listable | None:
    ids = [context.env.datastore_id, second_datastore(context)]
    return Listable({}, {item_id(listed, {"datastoreId": found}) for found in ids if found})


def _image_sets(context: SuiteContext, listed: Listing) -> Listable | None:
    """Image sets in creation order, so that one changing while the pages are walked (a
    copy's or an update's end) keeps its place; the imported image sets must be listed."""
    imported = scene_of(context).image_set_ids
    if not imported:
        return None
    oldest_first = {"sort": {"sortField": "createdAt", "sortOrder": "ASC"}}
    return Listable(
        {"datastoreId": context.env.datastore_id, "searchCriteria": oldest_first},
        {item_id(listed, {"imageSetId": image_set_id}) for image_set_id in imported},
    )


def _versions(context: SuiteContext, listed: Listing) -> Listable | None:
    updated = update_run(context)
    if updated is None:
        return None
    image_set_id = updated.image_set_id
    return Listable(
        {"datastoreId": context.env.datastore_id, "imageSetId": image_set_id},
        {
            item_id(listed, {"imageSetId": image_set_id, "versionId": version})
            for version in context.model.versions(image_set_id)
        },
    )


SOURCES: dict[str, Callable[[SuiteContext, Listing], Listable | None]] = {
    "jobId": _jobs,
    "datastoreId": _datastores,
    "imageSetId": _image_sets,
    "versionId": _versions,
}
"""What each kind of item needs made before its listing has pages, by the member that names
an item (`Listing.kind`)."""


@dataclass
class Walks:
    """One listing walked at its largest page size (the reference), at PAGE_SIZES, and at
    its largest again."""

    listed: Listing
    source: Listable
    reference: Walk
    by_size: dict[int, Walk]
    after: Walk

    @property
    def expected(self) -> set[str]:
        """What every walk must list: what the run made there, and every item both
        reference walks list (an item that came or went meanwhile is not expected)."""
        return (set(self.reference.ids) & set(self.after.ids)) | self.source.known


def walks(context: SuiteContext) -> dict[str, Walks | None]:
    """Every listing walked once per run, once what it lists has been made (None: it could
    not be)."""

    def make() -> dict[str, Walks | None]:
        found: dict[str, Walks | None] = {}
        for listed in listings():
            source = SOURCES[listed.kind](context, listed)
            if source is None:
                found[listed.operation] = None
                continue
            found[listed.operation] = Walks(
                listed,
                source,
                walk_listing(context, listed, listed.maximum, **source.params),
                {size: walk_listing(context, listed, size, **source.params) for size in PAGE_SIZES},
                walk_listing(context, listed, listed.maximum, **source.params),
            )
        return found

    return context.shared(WALKS, make)


def _each(context: SuiteContext, check: Check) -> list[Walks]:
    """The walks of every listing; a listing whose items could not be made is an error."""
    found = []
    for operation, walked in walks(context).items():
        if walked is None:
            context.error(check.id, operation, "what it lists could not be made")
        else:
            found.append(walked)
    return found


def _paginated() -> list[Covered]:
    return [
        Covered(
            found.operation,
            f"{found.result_key}, {found.limit_key} {', '.join(map(str, PAGE_SIZES))} and "
            f"{found.maximum}, {found.input_token}",
        )
        for found in listings()
    ]


def _filtered() -> list[Covered]:
    return [
        Covered(item.operation, f"{item.member}: {', '.join(item.values)}")
        for item in status_filters()
    ]


@server_check(
    "PAGINATION-PAGE-SIZE",
    "pagination",
    "Every paginated operation answers at most maxResults items a page, and a nextToken "
    "while items remain",
    Source.MODEL,
    "maxResults (1..50) and nextToken of each operation with a paginator (paginators-1.json)",
    unit=UNIT,
    covers=_paginated,
)
def page_size(context: SuiteContext, check: Check) -> None:
    for walked in _each(context, check):
        everything = walked.expected
        for size, listed in walked.by_size.items():
            problems = list(listed.size_problems)
            if listed.ended and len(set(listed.ids)) < len(everything) and len(listed.ids) <= size:
                problems.append(f"no nextToken after {len(listed.ids)} of {len(everything)} items")
            context.verdict(
                check.id,
                walked.listed.operation,
                not problems,
                "; ".join(problems[:5]),
                *listed.exchanges[:2],
                note=f"{walked.listed.limit_key}={size}",
            )


@server_check(
    "PAGINATION-COMPLETE",
    "pagination",
    "Walking every page of a paginated operation, token by token, lists each item exactly "
    "once, whatever the page size: what the run made there, and what walks at the largest "
    "page size before and after list",
    Source.AWS_CONVENTION,
    "AWS pagination with nextToken (paginators-1.json: every operation with a paginator)",
    unit=UNIT,
    covers=_paginated,
)
def complete(context: SuiteContext, check: Check) -> None:
    for walked in _each(context, check):
        expected = walked.expected
        for size, listed in walked.by_size.items():
            ids = listed.ids
            duplicates = sorted({found for found in ids if ids.count(found) > 1})
            # a walk cut short by the page cap judges duplicates only
            missing = [] if listed.capped else sorted(expected - set(ids))
            context.verdict(
                check.id,
                walked.listed.operation,
                not duplicates and not missing,
                f"{walked.listed.limit_key}={size}: listed twice {duplicates[:3]}; never "
                f"listed {missing[:3]}; {len(ids)} items over {len(listed.exchanges)} pages "
                f"(the reference walk: {len(walked.reference.ids)})",
                *listed.exchanges[:3],
            )


@server_check(
    "PAGINATION-TAMPERED-TOKEN",
    "pagination",
    "A nextToken the service did not issue, altered, or issued by another operation is a 400 "
    "ValidationException, in every paginated operation",
    Source.HARNESS,
    "decision NEXT-TOKEN-OPAQUE",
    unit=UNIT,
    covers=_paginated,
)
def tampered_token(context: SuiteContext, check: Check) -> None:
    issued: list[tuple[Walks, str]] = []
    for walked in _each(context, check):
        listed, params = walked.listed, walked.source.params
        first = context.call(listed.operation, **{listed.limit_key: 1, **params})
        body = first.json()
        token = body.get(listed.output_token) if isinstance(body, dict) else None
        if isinstance(token, str) and token:
            issued.append((walked, token))
        else:
            context.error(
                check.id, listed.operation, "no nextToken was issued to tamper with", first
            )
    for index, (walked, token) in enumerate(issued):
        listed, params = walked.listed, walked.source.params
        bad_tokens = [
            (
                ("A" if token[0] != "A" else "B") + token[1:],
                "an issued token, first character changed",
            ),
            (token[: max(1, len(token) // 2)], "an issued token cut in half"),
            ("bm90LWEtdG9rZW4=", "a token the service never issued"),
        ]
        if len(issued) > 1:
            other, foreign = issued[(index + 1) % len(issued)]
            bad_tokens.append((foreign, f"a token {other.listed.operation} issued"))
        for bad, note in bad_tokens:
            expect_error(
                context,
                check.id,
                listed.operation,
                context.call(
                    listed.operation,
                    **{listed.limit_key: 1, listed.input_token: bad, **params},
                ),
                400,
                ("ValidationException",),
                note,
            )


@server_check(
    "LIST-FILTER",
    "pagination",
    "A list filtered by a status lists only items in that status, and every item it lists "
    "unfiltered in that status (before and after)",
    Source.MODEL,
    "the status query members of list operations (ListDatastores datastoreStatus, "
    "ListDICOMImportJobs jobStatus) and the same member of their items",
    unit=UNIT,
    covers=_filtered,
)
def status_filter(context: SuiteContext, check: Check) -> None:
    by_operation = {walked.listed.operation: walked for walked in _each(context, check)}
    for status in status_filters():
        walked = by_operation.get(status.operation)
        if walked is None:
            continue
        listed, params = walked.listed, walked.source.params
        filtered = {
            value: walk_listing(
                context,
                listed,
                listed.maximum,
                (status.member, value),
                **{**params, status.member: value},
            )
            for value in status.values
        }
        after = walk_listing(context, listed, listed.maximum, **params)
        for value, found in filtered.items():
            steady = _in_status(listed, walked.reference, status.member, value) & _in_status(
                listed, after, status.member, value
            )
            missing = sorted(steady - set(found.ids))
            problems = found.filter_problems[:3] + found.size_problems[:2]
            if missing:
                problems.append(f"not listed though {value} before and after: {missing[:3]}")
            context.verdict(
                check.id,
                listed.operation,
                not problems,
                "; ".join(problems),
                *found.exchanges[:1],
                note=f"{status.member}={value}",
            )


def _in_status(listed: Listing, walked: Walk, member: str, value: str) -> set[str]:
    return {item_id(listed, item) for item in walked.items if item.get(member) == value}
