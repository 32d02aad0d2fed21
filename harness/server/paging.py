"""Walking every page of a paginated operation, noting what the pages got wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.server.context import SuiteContext
from harness.server.derived import Listing, listing
from harness.server.probe import Exchange

MAX_PAGES = 200
"""A walk stops after this many pages, whatever the target answers."""


@dataclass
class Walk:
    """Every page of one listing: the items and their ids in order, the exchanges, what
    went wrong."""

    ids: list[str] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    size_problems: list[str] = field(default_factory=list)
    filter_problems: list[str] = field(default_factory=list)
    ended: bool = False
    """The last page had no next token (the walk did not stop on a repeat or the cap)."""
    capped: bool = False
    """The walk stopped at MAX_PAGES pages with a token still to follow."""


def item_id(listed: Listing, item: dict[str, Any]) -> str:
    """An item's identity: its `...Id` members, joined by `/`."""
    return "/".join(str(item.get(member)) for member in listed.identity)


def walk_listing(
    context: SuiteContext,
    listed: Listing,
    page_size: int,
    status: tuple[str, str] | None = None,
    **params: Any,
) -> Walk:
    """Every page of `listed` at `page_size`; `status` is (member, value) each item must
    carry. A token answered twice, or a page of nothing new with a token, ends the walk."""
    result = Walk()
    query: dict[str, Any] = {listed.limit_key: page_size, **params}
    tokens: set[str] = set()
    for _ in range(MAX_PAGES):
        exchange = context.call(listed.operation, **query)
        result.exchanges.append(exchange)
        body = exchange.json()
        if exchange.status != 200 or not isinstance(body, dict):
            result.size_problems.append(f"page answered HTTP {exchange.status}")
            return result
        page = [item for item in body.get(listed.result_key) or [] if isinstance(item, dict)]
        if len(page) > page_size:
            result.size_problems.append(
                f"{len(page)} items on a page of {listed.limit_key}={page_size}"
            )
        ids = [item_id(listed, item) for item in page]
        fresh = not set(ids) <= set(result.ids) or not ids
        result.ids += ids
        result.items += page
        if status is not None:
            member, value = status
            result.filter_problems += [
                f"{item_id(listed, item)} is {item.get(member)}"
                for item in page
                if item.get(member) != value
            ]
        token = body.get(listed.output_token)
        if not token:
            result.ended = True
            return result
        if not isinstance(token, str) or token in tokens or not fresh:
            return result
        tokens.add(token)
        query[listed.input_token] = token
    result.capped = True
    return result


def walk_pages(
    context: SuiteContext,
    operation: str,
    page_size: int,
    status: tuple[str, str] | None = None,
    **params: Any,
) -> Walk:
    """Every page of the paginated `operation` (see `walk_listing`)."""
    return walk_listing(context, listing(operation), page_size, status, **params)


def walk(context: SuiteContext, datastore_id: str, page_size: int, **filters: Any) -> Walk:
    """Every page of ListDICOMImportJobs with `maxResults=page_size` and the given filters;
    the ids are job ids."""
    status = ("jobStatus", filters["jobStatus"]) if filters.get("jobStatus") else None
    found = walk_pages(
        context, "ListDICOMImportJobs", page_size, status, datastoreId=datastore_id, **filters
    )
    found.ids = [str(item.get("jobId")) for item in found.items]
    return found
