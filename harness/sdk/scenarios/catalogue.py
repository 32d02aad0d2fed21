"""The SDK catalogue, built and registered once, on request.

Nothing registers at import time: the runner, the CLI and the self-test call
`load_catalogue()`, which builds every family in a fixed order, registers each
scenario as a check (ID, rule, source), and hands back the same tuple ever
after.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from types import MappingProxyType

from harness.checks import register
from harness.sdk.scenarios import (
    blobs,
    clock_skew,
    deserialization,
    empty_bodies,
    endpoints,
    errors,
    host_prefix,
    idempotency,
    retries,
    serialization,
)
from harness.sdk.scenarios.base import Scenario

FAMILIES: tuple[Callable[[], list[Scenario]], ...] = (
    errors.scenarios,
    idempotency.scenarios,
    retries.scenarios,
    clock_skew.scenarios,
    serialization.scenarios,
    empty_bodies.scenarios,
    host_prefix.scenarios,
    endpoints.scenarios,
    blobs.scenarios,
    deserialization.scenarios,
)


@cache
def load_catalogue() -> tuple[Scenario, ...]:
    """Every scenario, in catalogue order, each registered as a check."""
    catalogue = tuple(scenario for family in FAMILIES for scenario in family())
    for scenario in catalogue:
        register(
            scenario.id,
            scenario.family,
            scenario.rule,
            scenario.source,
            scenario.reference,
            scenario.operation,
        )
    return catalogue


@cache
def scenarios_by_id() -> Mapping[str, Scenario]:
    """The loaded catalogue keyed by scenario ID."""
    return MappingProxyType({scenario.id: scenario for scenario in load_catalogue()})
