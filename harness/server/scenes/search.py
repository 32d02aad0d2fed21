"""Every page of a SearchImageSets, as the checks that search share it."""

from __future__ import annotations

from typing import Any

from harness.server.context import SuiteContext
from harness.server.probe import Exchange


def search_all(
    context: SuiteContext, datastore_id: str, criteria: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], list[Exchange]]:
    """Every page of a search."""
    found: list[dict[str, Any]] = []
    exchanges: list[Exchange] = []
    token: str | None = None
    for _ in range(50):
        exchange = context.call(
            "SearchImageSets",
            datastoreId=datastore_id,
            searchCriteria=criteria,
            nextToken=token,
        )
        exchanges.append(exchange)
        body = exchange.json() if exchange.status == 200 else None
        if not isinstance(body, dict):
            break
        found += [i for i in body.get("imageSetsMetadataSummaries") or [] if isinstance(i, dict)]
        token = body.get("nextToken")
        if not token:
            break
    return found, exchanges
