"""Server checks as one decorated function each: ID, rule, source, and when it runs.

In the manner of schemathesis's `@schemathesis.check`: `server_check` registers
the check (`harness.checks.REGISTRY`) and files its function by its trigger:

- `Trigger.STEP` (the default): a step of its unit, which
  `harness.server.units` assembles from the functions filed under it, in
  definition order;
- `Trigger.HISTORY`: once after the units, on everything the run saw (the
  oracle's rules, the spec's schemas for every success answer), module by
  module by name and in definition order within a module;
- `Trigger.EXCHANGE`: a check `declare`d here and judged by the helpers that
  read each answer a step expects (`harness.server.expect`).

A step that judges several checks declared elsewhere (the schemathesis phase,
a state machine) is filed with `server_step`.

A check judged on the history or on each exchange is ambient: selecting it
runs every step. `judge` files a function for a check declared elsewhere (a
schemathesis check that is also judged at the end). The function records its
verdicts under its own ID through `context.verdict(check.id, ...)`; what
several checks share is a scene (`harness.server.scenes`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from harness.checks import Catalogue, Check, Source
from harness.server.context import SuiteContext

CheckBody = Callable[[SuiteContext, Check], None]


class Trigger(StrEnum):
    """When a check is judged."""

    STEP = "step"
    HISTORY = "history"
    EXCHANGE = "exchange"


@dataclass(frozen=True)
class ServerCheck:
    """A registered check and the function that judges it."""

    check: Check
    unit: str | None
    body: CheckBody
    trigger: Trigger = Trigger.STEP

    def __call__(self, context: SuiteContext) -> None:
        self.body(context, self.check)


StepBody = Callable[[SuiteContext], None]


@dataclass(frozen=True)
class ServerStep:
    """A step that judges checks other modules declare (the schemathesis phase, a state
    machine): its name, its unit, the IDs of the checks it judges, its function."""

    name: str
    unit: str
    judges: tuple[str, ...]
    body: StepBody

    def __call__(self, context: SuiteContext) -> None:
        self.body(context)


CATALOGUE = Catalogue("server")
"""Every check of the server suite; `harness.server.units.load_checks` fills it."""

UNITS: dict[str, list[ServerCheck | ServerStep]] = {}
"""The steps of each unit, in definition order: checks judged as steps, and steps that
judge several checks."""
HISTORY: list[ServerCheck] = []
"""The functions of the checks judged once after the units, in registration order."""
EXCHANGE: list[Check] = []
"""The checks judged on each answer a step expects."""

SUITE_STEP = CATALOGUE.register(
    "SUITE-STEP",
    "harness",
    "Each step of the suite runs to its end (the target did not break it off)",
    Source.HARNESS,
    "an exception or the run's deadline stopped a step; its checks were not all judged",
)


def server_check(
    id: str,
    family: str,
    rule: str,
    source: Source,
    reference: str,
    *,
    unit: str | None = None,
    trigger: Trigger = Trigger.STEP,
) -> Callable[[CheckBody], ServerCheck]:
    """Register a check and file its function: under `unit` for a step, or by `trigger`."""
    return judge(
        CATALOGUE.register(id, family, rule, source, reference), unit=unit, trigger=trigger
    )


def judge(
    check: Check, *, unit: str | None = None, trigger: Trigger = Trigger.STEP
) -> Callable[[CheckBody], ServerCheck]:
    """File a function that judges `check`: a step of `unit`, or once after the units
    (`Trigger.HISTORY`, no unit)."""
    if (trigger is Trigger.STEP) != (unit is not None) or trigger is Trigger.EXCHANGE:
        raise ValueError(f"{check.id}: a step has a unit; a history check has none")

    def decorate(body: CheckBody) -> ServerCheck:
        filed = ServerCheck(check, unit, body, trigger)
        if unit is not None:
            UNITS.setdefault(unit, []).append(filed)
        else:
            HISTORY.append(filed)
        return filed

    return decorate


def server_step(
    name: str, *, unit: str, judges: Iterable[Check]
) -> Callable[[StepBody], ServerStep]:
    """File a step of `unit` that judges `judges` (checks declared elsewhere): selecting
    any of them runs it."""

    def decorate(body: StepBody) -> ServerStep:
        step = ServerStep(name, unit, tuple(check.id for check in judges), body)
        UNITS.setdefault(unit, []).append(step)
        return step

    return decorate


def declare(id: str, family: str, rule: str, source: Source, reference: str) -> Check:
    """Register a check judged on each answer a step expects (`Trigger.EXCHANGE`)."""
    check = CATALOGUE.register(id, family, rule, source, reference)
    EXCHANGE.append(check)
    return check


def ambient() -> tuple[str, ...]:
    """The IDs of the checks judged across every step: selecting one runs every step."""
    return (*(check.id for check in EXCHANGE), *(filed.check.id for filed in HISTORY))
