"""ListDICOMImportJobs: complete, duplicate-free pages of the requested size, filters, tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.checks import Source, register
from harness.server.checks.expect import expect_error
from harness.server.context import SuiteContext
from harness.server.probe import Exchange

COMPLETE = register(
    "PAGINATION-COMPLETE",
    "pagination",
    "Walking every page lists each job exactly once, whatever the page size",
    Source.AWS_CONVENTION,
    "AWS pagination with nextToken (paginators-1.json: ListDICOMImportJobs)",
)
PAGE_SIZE = register(
    "PAGINATION-PAGE-SIZE",
    "pagination",
    "A page holds at most maxResults items, and a nextToken while items remain",
    Source.MODEL,
    "ListDICOMImportJobs maxResults 1..50",
)
TAMPERED = register(
    "PAGINATION-TAMPERED-TOKEN",
    "pagination",
    "A nextToken the service did not issue is a 400 ValidationException",
    Source.HARNESS,
    "decision NEXT-TOKEN-OPAQUE",
)
FILTER = register(
    "LIST-FILTER",
    "pagination",
    "ListDICOMImportJobs with jobStatus lists only jobs in that status",
    Source.MODEL,
    "ListDICOMImportJobs jobStatus query member",
)


@dataclass
class Walk:
    """Every page of one listing: the ids in order, the exchanges, what went wrong."""

    ids: list[str] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    size_problems: list[str] = field(default_factory=list)
    filter_problems: list[str] = field(default_factory=list)


def walk(context: SuiteContext, datastore_id: str, page_size: int, **filters: Any) -> Walk:
    """List every page with `maxResults=page_size` and the given filters."""
    result = Walk()
    ids, exchanges = result.ids, result.exchanges
    query: dict[str, Any] = {"maxResults": page_size, **filters}
    for _ in range(500):
        exchange = context.list_jobs(datastore_id, **query)
        exchanges.append(exchange)
        body = exchange.json()
        if exchange.status != 200 or not isinstance(body, dict):
            result.size_problems.append(f"page answered HTTP {exchange.status}")
            break
        summaries = body.get("jobSummaries") or []
        if len(summaries) > page_size:
            result.size_problems.append(
                f"{len(summaries)} items on a page of maxResults={page_size}"
            )
        ids += [str(item.get("jobId")) for item in summaries]
        for item in summaries:
            if filters.get("jobStatus") and item.get("jobStatus") != filters["jobStatus"]:
                result.filter_problems.append(f"{item.get('jobId')} is {item.get('jobStatus')}")
        if not body.get("nextToken"):
            break
        query["nextToken"] = body["nextToken"]
    return result


def run(context: SuiteContext) -> None:
    datastore_id = context.env.datastore_id
    known = set(context.created_jobs)
    reference = walk(context, datastore_id, 50).ids
    for page_size in (1, 2, 3):
        listed = walk(context, datastore_id, page_size)
        ids, exchanges, size_problems = listed.ids, listed.exchanges, listed.size_problems
        if len(ids) < len(known) and len(exchanges) == 1:
            size_problems.append(f"no nextToken after {len(ids)} of {len(known)}+ jobs")
        context.verdict(
            PAGE_SIZE.id,
            "ListDICOMImportJobs",
            not size_problems,
            "; ".join(size_problems[:5]),
            *exchanges[:2],
            note=f"maxResults={page_size}",
        )
        duplicates = sorted({job for job in ids if ids.count(job) > 1})
        missing = sorted(known - set(ids))
        context.verdict(
            COMPLETE.id,
            "ListDICOMImportJobs",
            not duplicates and not missing,
            f"maxResults={page_size}: listed twice {duplicates[:5]}; never listed {missing[:5]}; "
            f"{len(ids)} items over {len(exchanges)} pages (reference walk: {len(reference)})",
            *exchanges[:3],
        )
    for status in ("COMPLETED", "FAILED", "SUBMITTED"):
        filtered = walk(context, datastore_id, 50, jobStatus=status)
        exchanges, problems = filtered.exchanges, filtered.filter_problems
        context.verdict(
            FILTER.id,
            "ListDICOMImportJobs",
            not problems,
            "; ".join(problems[:5]),
            *exchanges[:1],
            note=f"jobStatus={status}",
        )
    first = context.list_jobs(datastore_id, maxResults=1).json() or {}
    token = first.get("nextToken")
    if isinstance(token, str) and token:
        altered = ("A" if token[0] != "A" else "B") + token[1:]
        for bad, note in (
            (altered, "the first character of an issued token changed"),
            (token[: max(1, len(token) // 2)], "an issued token cut in half"),
            ("bm90LWEtdG9rZW4=", "a token the service never issued"),
        ):
            expect_error(
                context,
                TAMPERED.id,
                "ListDICOMImportJobs",
                context.list_jobs(datastore_id, maxResults=1, nextToken=bad),
                400,
                ("ValidationException",),
                note,
            )
