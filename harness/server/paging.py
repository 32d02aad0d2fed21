"""Walking every page of ListDICOMImportJobs, noting what the pages got wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.server.context import SuiteContext
from harness.server.probe import Exchange


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
