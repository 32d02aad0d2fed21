"""Walking every page of a paginated operation, noting what the pages got wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.model import operations
from harness.server.context import SuiteContext
from harness.server.probe import Exchange


@dataclass
class Walk:
    """Every page of one listing: the ids in order, the exchanges, what went wrong."""

    ids: list[str] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    size_problems: list[str] = field(default_factory=list)
    filter_problems: list[str] = field(default_factory=list)


def walk_pages(
    context: SuiteContext,
    operation: str,
    id_member: str,
    page_size: int,
    status: tuple[str, str] | None = None,
    **params: Any,
) -> Walk:
    """Every page of a paginated `operation` (botocore's paginator in the operation table)
    with the page size `page_size`; `status` is (member, value) a summary must carry."""
    paginator = operations()[operation].paginator
    assert paginator is not None, f"{operation} is not paginated"
    result = Walk()
    ids, exchanges = result.ids, result.exchanges
    query: dict[str, Any] = {paginator.limit_key: page_size, **params}
    for _ in range(500):
        exchange = context.call(operation, **query)
        exchanges.append(exchange)
        body = exchange.json()
        if exchange.status != 200 or not isinstance(body, dict):
            result.size_problems.append(f"page answered HTTP {exchange.status}")
            break
        summaries = body.get(paginator.result_key) or []
        if len(summaries) > page_size:
            result.size_problems.append(
                f"{len(summaries)} items on a page of maxResults={page_size}"
            )
        ids += [str(item.get(id_member)) for item in summaries]
        if status is not None:
            member, value = status
            for item in summaries:
                if item.get(member) != value:
                    result.filter_problems.append(f"{item.get(id_member)} is {item.get(member)}")
        if not body.get(paginator.output_token):
            break
        query[paginator.input_token] = body[paginator.output_token]
    return result


def walk(context: SuiteContext, datastore_id: str, page_size: int, **filters: Any) -> Walk:
    """Every page of ListDICOMImportJobs with `maxResults=page_size` and the given filters."""
    status = ("jobStatus", filters["jobStatus"]) if filters.get("jobStatus") else None
    return walk_pages(
        context,
        "ListDICOMImportJobs",
        "jobId",
        page_size,
        status,
        datastoreId=datastore_id,
        **filters,
    )
