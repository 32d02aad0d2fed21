"""The suite in independent units: each sets nothing up that another unit needs.

A unit is a list of steps on one context; each step names the checks it
judges, so that a run with `--check` runs only the steps that judge a selected
check. Most units are assembled from the checks filed under them
(`harness.server.registry`); schemathesis and the state machine are units of
their own. Run serially, every unit shares one data store; with `--workers`,
units are spread over processes that each prepare their own.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from harness.checks import Catalogue
from harness.server import machine, registry
from harness.server.context import SuiteContext
from harness.server.registry import CATALOGUE, UNITS, ServerCheck
from harness.server.schema_phase import PHASE_CHECKS, run_schema_phase


def load_checks() -> Catalogue:
    """Import every module that registers server checks (the schemathesis phase and each
    module of `harness.server.checks`) and return the filled catalogue."""
    import harness.server.checks as package

    importlib.import_module("harness.server.schema_phase")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    return CATALOGUE


def checks_in(unit: str) -> list[ServerCheck]:
    """The checks filed under `unit`, in definition order."""
    load_checks()
    return list(UNITS.get(unit, ()))


@dataclass(frozen=True)
class Step:
    """One step of a unit: its name in progress and reports, what it runs, what it judges."""

    name: str
    action: Callable[[], object]
    judges: tuple[str, ...]


Unit = Callable[[SuiteContext, dict[str, Any], str], list[Step]]


def ambient() -> tuple[str, ...]:
    """The checks judged across every step (`Trigger.EXCHANGE` and `Trigger.HISTORY`):
    selecting one runs every step. RESPONSE-TIME is judged on every exchange too, but
    selected alone it times the set-up's requests only."""
    load_checks()
    return registry.ambient()


def at_end() -> list[ServerCheck]:
    """The history checks, in the order they run after the units."""
    load_checks()
    return list(registry.HISTORY)


def machine_unit(context: SuiteContext, spec: dict[str, Any], run_id: str) -> list[Step]:
    return [Step("state machine", lambda: machine.run(context, run_id), machine.JUDGED)]


def schema_unit(context: SuiteContext, spec: dict[str, Any], run_id: str) -> list[Step]:
    return [Step("schemathesis", lambda: run_schema_phase(context, spec), PHASE_CHECKS)]


def registered(name: str) -> Unit:
    """A unit made of the checks filed under `name`, in definition order."""

    def unit(context: SuiteContext, spec: dict[str, Any], run_id: str) -> list[Step]:
        return [
            Step(check.check.id, partial(check, context), (check.check.id,))
            for check in checks_in(name)
        ]

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
