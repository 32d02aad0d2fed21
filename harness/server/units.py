"""The suite in independent units: each sets nothing up that another unit needs.

A unit is a list of steps on one context; each step names the checks it
judges, so that a run with `--check` runs only the steps that judge a selected
check. Every unit is assembled from what is filed under it
(`harness.server.registry`): checks judged as steps, and steps that judge
several checks (the schemathesis phase, the state machine). Run serially,
every unit shares one data store; with `--workers`, units are spread over
processes that each prepare their own.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from harness.checks import Catalogue
from harness.server import registry
from harness.server.context import SuiteContext
from harness.server.derived import Covered, markdown
from harness.server.registry import CATALOGUE, UNITS, RunCheck, ServerCheck, Unit
from harness.server.selection import Selection


def load_checks() -> Catalogue:
    """Import every module that registers server checks and steps (the schemathesis phase,
    the state machine, each module of `harness.server.checks`) and return the filled
    catalogue."""
    import harness.server.checks as package

    importlib.import_module("harness.server.schema_phase")
    importlib.import_module("harness.server.machine")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    return CATALOGUE


@dataclass(frozen=True)
class Step:
    """One step of a unit: its name in progress and reports, what it runs, what it judges."""

    name: str
    action: Callable[[], object]
    judges: tuple[str, ...]


def ambient() -> tuple[str, ...]:
    """The checks judged across every step (`Trigger.EXCHANGE`, `Trigger.HISTORY` and
    `Trigger.RUN`): selecting one runs every step."""
    load_checks()
    return registry.ambient()


def at_end() -> list[ServerCheck]:
    """The history checks in the order they run after the units: module by module, by the
    module's name, and in definition order within a module (whatever order the modules
    were imported in)."""
    load_checks()
    filed = registry.HISTORY
    return sorted(filed, key=lambda judge: (judge.body.__module__, filed.index(judge)))


def at_run_end() -> list[RunCheck]:
    """The checks judged once on the whole run, when every worker has ended, in the order
    of `at_end`."""
    load_checks()
    filed = registry.RUN
    return sorted(filed, key=lambda judge: (judge.body.__module__, filed.index(judge)))


def coverage() -> list[tuple[str, Covered]]:
    """What each rule derived from the operation table judges in each operation, as
    (check ID, covered), the checks in ID order."""
    load_checks()
    return [(rule, row) for rule in sorted(registry.COVERS) for row in registry.COVERS[rule]()]


def names() -> list[str]:
    """Every unit a check or step is filed under, costliest first (`Unit`'s order)."""
    load_checks()
    return [str(unit) for unit in Unit if unit in UNITS]


def steps(name: str, context: SuiteContext) -> list[Step]:
    """The steps of unit `name` on `context`, in definition order."""
    load_checks()
    return [
        Step(
            filed.check.id if isinstance(filed, ServerCheck) else filed.name,
            partial(filed, context),
            _judges(filed),
        )
        for filed in UNITS.get(Unit(name), ())
    ]


def judging(selection: Selection) -> list[str]:
    """The units with a step that judges a selected check (every unit, when an ambient
    check is selected), in `names` order: what a run with `selection` runs, and what
    `--shard` divides."""
    if selection.selects_any(ambient()):
        return names()
    return [
        name
        for name in names()
        if any(selection.selects_any(_judges(filed)) for filed in UNITS[Unit(name)])
    ]


def _judges(filed: ServerCheck | registry.ServerStep) -> tuple[str, ...]:
    return (filed.check.id,) if isinstance(filed, ServerCheck) else filed.judges


def spread(workers: int, every: list[str]) -> list[list[str]]:
    """The unit names of `every` for each worker, round robin in their order (costliest
    first)."""
    count = max(1, min(workers, len(every)))
    shares: list[list[str]] = [[] for _ in range(count)]
    for index, name in enumerate(every):
        shares[index % count].append(name)
    return shares


if __name__ == "__main__":
    print(markdown(coverage()), end="")
