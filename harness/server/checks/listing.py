"""ListDICOMImportJobs: complete, duplicate-free pages of the requested size, filters, tokens."""

from __future__ import annotations

from dataclasses import dataclass

from harness.checks import Check, Source
from harness.server.context import Shared, SuiteContext
from harness.server.expect import expect_error
from harness.server.paging import Walk, walk
from harness.server.registry import server_check
from harness.server.scenes.imports import imports

WALKS: Shared[Walks] = Shared("the job listing, walked at each page size")

UNIT = "jobs"


@dataclass
class Walks:
    """The suite's jobs, and the listing walked at page sizes 1, 2 and 3."""

    known: set[str]
    reference: list[str]
    by_size: dict[int, Walk]


LISTED_JOBS = 7
"""Jobs the data store holds before the walks: more than two pages at every page size."""


def _enough_jobs(context: SuiteContext) -> None:
    """Start jobs on an empty prefix (they end at once) until LISTED_JOBS are known; a 402 at
    the quota stops it early."""
    imports(context)
    empty = f"s3://{context.env.input_bucket}/empty/"
    datastore_id = context.env.datastore_id
    while (known := len(context.model.jobs_in(datastore_id))) < LISTED_JOBS:
        context.start_job(datastore_id, **context.start_body(inputS3Uri=empty))
        if len(context.model.jobs_in(datastore_id)) == known:
            return  # refused (a 402 at the quota), or answered no job


def walks(context: SuiteContext) -> Walks:
    """The listing walked once per run, once the data store holds jobs enough to page."""

    def make() -> Walks:
        _enough_jobs(context)
        datastore_id = context.env.datastore_id
        return Walks(
            context.model.jobs_in(datastore_id),
            walk(context, datastore_id, 50).ids,
            {size: walk(context, datastore_id, size) for size in (1, 2, 3)},
        )

    return context.shared(WALKS, make)


@server_check(
    "PAGINATION-PAGE-SIZE",
    "pagination",
    "A page holds at most maxResults items, and a nextToken while items remain",
    Source.MODEL,
    "ListDICOMImportJobs maxResults 1..50",
    unit=UNIT,
)
def page_size(context: SuiteContext, check: Check) -> None:
    found = walks(context)
    for size, listed in found.by_size.items():
        problems = list(listed.size_problems)
        if len(listed.ids) < len(found.known) and len(listed.exchanges) == 1:
            problems.append(f"no nextToken after {len(listed.ids)} of {len(found.known)}+ jobs")
        context.verdict(
            check.id,
            "ListDICOMImportJobs",
            not problems,
            "; ".join(problems[:5]),
            *listed.exchanges[:2],
            note=f"maxResults={size}",
        )


@server_check(
    "PAGINATION-COMPLETE",
    "pagination",
    "Walking every page lists each job exactly once, whatever the page size",
    Source.AWS_CONVENTION,
    "AWS pagination with nextToken (paginators-1.json: ListDICOMImportJobs)",
    unit=UNIT,
)
def complete(context: SuiteContext, check: Check) -> None:
    found = walks(context)
    for size, listed in found.by_size.items():
        ids = listed.ids
        duplicates = sorted({job for job in ids if ids.count(job) > 1})
        missing = sorted(found.known - set(ids))
        context.verdict(
            check.id,
            "ListDICOMImportJobs",
            not duplicates and not missing,
            f"maxResults={size}: listed twice {duplicates[:5]}; never listed {missing[:5]}; "
            f"{len(ids)} items over {len(listed.exchanges)} pages (reference walk: "
            f"{len(found.reference)})",
            *listed.exchanges[:3],
        )


@server_check(
    "LIST-FILTER",
    "pagination",
    "ListDICOMImportJobs with jobStatus lists only jobs in that status",
    Source.MODEL,
    "ListDICOMImportJobs jobStatus query member",
    unit=UNIT,
)
def status_filter(context: SuiteContext, check: Check) -> None:
    walks(context)
    for status in ("COMPLETED", "FAILED", "SUBMITTED"):
        filtered = walk(context, context.env.datastore_id, 50, jobStatus=status)
        context.verdict(
            check.id,
            "ListDICOMImportJobs",
            not filtered.filter_problems,
            "; ".join(filtered.filter_problems[:5]),
            *filtered.exchanges[:1],
            note=f"jobStatus={status}",
        )


@server_check(
    "PAGINATION-TAMPERED-TOKEN",
    "pagination",
    "A nextToken the service did not issue is a 400 ValidationException",
    Source.HARNESS,
    "decision NEXT-TOKEN-OPAQUE",
    unit=UNIT,
)
def tampered_token(context: SuiteContext, check: Check) -> None:
    walks(context)
    datastore_id = context.env.datastore_id
    listed = context.list_jobs(datastore_id, maxResults=1)
    body = listed.json()
    token = body.get("nextToken") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        context.error(
            check.id, "ListDICOMImportJobs", "no nextToken was issued to tamper with", listed
        )
        return
    altered = ("A" if token[0] != "A" else "B") + token[1:]
    for bad, note in (
        (altered, "the first character of an issued token changed"),
        (token[: max(1, len(token) // 2)], "an issued token cut in half"),
        ("bm90LWEtdG9rZW4=", "a token the service never issued"),
    ):
        expect_error(
            context,
            check.id,
            "ListDICOMImportJobs",
            context.list_jobs(datastore_id, maxResults=1, nextToken=bad),
            400,
            ("ValidationException",),
            note,
        )
