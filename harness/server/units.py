"""The suite in independent units: each sets nothing up that another unit needs.

A unit is a list of named steps on one context. Most units are assembled from
the checks filed under them (`harness.server.registry`); schemathesis and the
state machine are units of their own. Run serially, every unit shares one
data store; with `--workers`, units are spread over processes that each
prepare their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.server.checks import machine
from harness.server.context import SuiteContext
from harness.server.registry import ServerCheck, checks_in
from harness.server.schema_phase import run_schema_phase

Step = tuple[str, Callable[[], object]]
Unit = Callable[[SuiteContext, dict[str, Any], str], list[Step]]


def machine_unit(context: SuiteContext, spec: dict[str, Any], run_id: str) -> list[Step]:
    return [("state machine", lambda: machine.run(context, run_id))]


def schema_unit(context: SuiteContext, spec: dict[str, Any], run_id: str) -> list[Step]:
    return [("schemathesis", lambda: run_schema_phase(context, spec))]


def _step(context: SuiteContext, check: ServerCheck) -> Step:
    return (check.check.id, lambda: check(context))


def registered(name: str) -> Unit:
    """A unit made of the checks filed under `name`, in definition order."""

    def unit(context: SuiteContext, spec: dict[str, Any], run_id: str) -> list[Step]:
        return [_step(context, check) for check in checks_in(name)]

    return unit


ALL: dict[str, Unit] = {
    "schemathesis": schema_unit,
    "jobs": registered("jobs"),
    "image sets": registered("image sets"),
    "state machine": machine_unit,
    "protocol": registered("protocol"),
    "quota": registered("quota"),
    "deletion guard": registered("deletion guard"),
}


def spread(workers: int) -> list[list[str]]:
    """The unit names for each worker, costliest units first, round robin."""
    count = max(1, min(workers, len(ALL)))
    shares: list[list[str]] = [[] for _ in range(count)]
    for index, name in enumerate(ALL):
        shares[index % count].append(name)
    return shares
