"""Server checks as one decorated function each: ID, rule, source, and when it runs.

In the manner of schemathesis's `@schemathesis.check`: `server_check` registers
the check (`harness.checks.REGISTRY`) and files its function by its trigger:

- `Trigger.STEP` (the default): a step of its unit, which
  `harness.server.units` assembles from the functions filed under it, in
  definition order; the function takes the run's context;
- `Trigger.EXCHANGE`: on each answer a step expects (`harness.server.expect`
  hands every such answer to these functions, with the step's subject);
- `Trigger.HISTORY`: once after the units, on everything the run saw (the
  oracle's rules, the spec's schemas for every success answer), module by
  module by name and in definition order within a module;
- `Trigger.RUN`: once when the whole run has ended, every worker's share
  included, on what they all saw (`RunTotals`).

A step that judges several checks declared elsewhere (the schemathesis phase,
a state machine) is filed with `server_step`; `judge` files a function for a
check registered elsewhere (a schemathesis check also judged at the end).

A check judged on each exchange, the history or the run is ambient: selecting
it runs every step. A function records its verdicts under its own ID through
`context.verdict(check.id, ...)`; what several checks share is a scene
(`harness.server.scenes`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, overload

from harness.checks import Catalogue, Check, Source
from harness.report.record import RunRecord
from harness.server.context import SuiteContext
from harness.server.derived import Covered
from harness.server.probe import Exchange
from harness.server.run_model import RunModel

CheckBody = Callable[[SuiteContext, Check], None]
Covers = Callable[[], Iterable[Covered]]


class Unit(StrEnum):
    """The suite's units, costliest first: the order workers take them in
    (`harness.server.units.spread`). Each runs in one process, with the scenes it shares."""

    SCHEMATHESIS = "schemathesis"
    JOBS = "jobs"
    IMAGE_SETS = "image sets"
    LISTING = "listing"
    STATE_MACHINE = "state machine"
    PROTOCOL = "protocol"
    QUOTA = "quota"
    DELETION_GUARD = "deletion guard"


class Trigger(StrEnum):
    """When a check is judged."""

    STEP = "step"
    HISTORY = "history"
    EXCHANGE = "exchange"
    RUN = "run"


@dataclass(frozen=True)
class ServerCheck:
    """A registered check and the function that judges it."""

    check: Check
    unit: Unit | None
    body: CheckBody
    trigger: Trigger = Trigger.STEP

    def __call__(self, context: SuiteContext) -> None:
        self.body(context, self.check)


ExchangeBody = Callable[[SuiteContext, Check, str, Exchange], None]


@dataclass(frozen=True)
class ExchangeCheck:
    """A registered check judged on each answer a step expects (`Trigger.EXCHANGE`)."""

    check: Check
    body: ExchangeBody

    def __call__(self, context: SuiteContext, subject: str, exchange: Exchange) -> None:
        self.body(context, self.check, subject, exchange)


@dataclass(frozen=True)
class Answered:
    """One answered request of the run, as a run-level check reads it."""

    operation: str
    seconds: float
    request_id: str | None


@dataclass(frozen=True)
class RunTotals:
    """What the whole run saw, every worker's share gathered once all have ended: the
    record outcomes go to, and every answered request."""

    record: RunRecord
    answers: list[Answered]


def answered(model: RunModel) -> list[Answered]:
    """Every request of `model` that got an answer, as the run-level checks read it."""
    return [
        Answered(seen.operation, seen.exchange.elapsed, seen.exchange.header("x-amzn-RequestId"))
        for seen in model.observations
        if seen.exchange.status is not None
    ]


RunBody = Callable[[RunTotals, Check], None]


@dataclass(frozen=True)
class RunCheck:
    """A registered check judged once on the whole run (`Trigger.RUN`)."""

    check: Check
    body: RunBody

    def __call__(self, totals: RunTotals) -> None:
        self.body(totals, self.check)


StepBody = Callable[[SuiteContext], None]


@dataclass(frozen=True)
class ServerStep:
    """A step that judges checks other modules declare (the schemathesis phase, a state
    machine): its name, its unit, the IDs of the checks it judges, its function."""

    name: str
    unit: Unit
    judges: tuple[str, ...]
    body: StepBody

    def __call__(self, context: SuiteContext) -> None:
        self.body(context)


CATALOGUE = Catalogue("server")
"""Every check of the server suite; `harness.server.units.load_checks` fills it."""

UNITS: dict[Unit, list[ServerCheck | ServerStep]] = {}
"""The steps of each unit, in definition order: checks judged as steps, and steps that
judge several checks."""
HISTORY: list[ServerCheck] = []
"""The functions of the checks judged once after the units, in registration order."""
EXCHANGE: list[ExchangeCheck] = []
"""The checks judged on each answer a step expects, in registration order."""
RUN: list[RunCheck] = []
"""The checks judged once on the whole run, in registration order."""
COVERS: dict[str, Covers] = {}
"""What each rule derived from the operation table applies to, by check ID."""

SUITE_STEP = CATALOGUE.register(
    "SUITE-STEP",
    "harness",
    "Each step of the suite runs to its end (the target did not break it off)",
    Source.HARNESS,
    "an exception or the run's deadline stopped a step; its checks were not all judged",
)


@overload
def server_check(
    id: str,
    family: str,
    rule: str,
    source: Source,
    reference: str,
    *,
    trigger: Literal[Trigger.RUN],
    covers: Covers | None = None,
) -> Callable[[RunBody], RunCheck]: ...


@overload
def server_check(
    id: str,
    family: str,
    rule: str,
    source: Source,
    reference: str,
    *,
    trigger: Literal[Trigger.EXCHANGE],
    covers: Covers | None = None,
) -> Callable[[ExchangeBody], ExchangeCheck]: ...


@overload
def server_check(
    id: str,
    family: str,
    rule: str,
    source: Source,
    reference: str,
    *,
    unit: Unit | None = None,
    trigger: Literal[Trigger.STEP, Trigger.HISTORY] = Trigger.STEP,
    covers: Covers | None = None,
) -> Callable[[CheckBody], ServerCheck]: ...


def server_check(
    id: str,
    family: str,
    rule: str,
    source: Source,
    reference: str,
    *,
    unit: Unit | None = None,
    trigger: Trigger = Trigger.STEP,
    covers: Covers | None = None,
) -> Callable[[Any], ServerCheck | ExchangeCheck | RunCheck]:
    """Register a check and file its function: under `unit` for a step, or by `trigger`.
    The function's arguments follow the trigger: a step's or the history's context, an
    exchange with its subject, or the run's totals. A rule derived from the operation
    table says with `covers` what it applies to in each operation."""
    if (trigger is Trigger.STEP) != (unit is not None):
        raise ValueError(f"{id}: a step has a unit; a check of any other trigger has none")
    check = CATALOGUE.register(id, family, rule, source, reference)
    if covers is not None:
        COVERS[id] = covers
    if trigger in (Trigger.STEP, Trigger.HISTORY):
        return judge(check, unit=unit, trigger=trigger)
    if trigger is Trigger.EXCHANGE:

        def on_exchange(body: ExchangeBody) -> ExchangeCheck:
            filed = ExchangeCheck(check, body)
            EXCHANGE.append(filed)
            return filed

        return on_exchange

    def on_run(body: RunBody) -> RunCheck:
        filed = RunCheck(check, body)
        RUN.append(filed)
        return filed

    return on_run


def judge(
    check: Check, *, unit: Unit | None = None, trigger: Trigger = Trigger.STEP
) -> Callable[[CheckBody], ServerCheck]:
    """File a function that judges `check`: a step of `unit`, or once after the units
    (`Trigger.HISTORY`, no unit)."""
    if (trigger is Trigger.STEP) != (unit is not None) or trigger not in (
        Trigger.STEP,
        Trigger.HISTORY,
    ):
        raise ValueError(f"{check.id}: judge files a step (with a unit) or a history check")

    def decorate(body: CheckBody) -> ServerCheck:
        filed = ServerCheck(check, unit, body, trigger)
        if unit is not None:
            UNITS.setdefault(unit, []).append(filed)
        else:
            HISTORY.append(filed)
        return filed

    return decorate


def server_step(
    name: str, *, unit: Unit, judges: Iterable[Check]
) -> Callable[[StepBody], ServerStep]:
    """File a step of `unit` that judges `judges` (checks declared elsewhere): selecting
    any of them runs it."""

    def decorate(body: StepBody) -> ServerStep:
        step = ServerStep(name, unit, tuple(check.id for check in judges), body)
        UNITS.setdefault(unit, []).append(step)
        return step

    return decorate


def ambient() -> tuple[str, ...]:
    """The IDs of the checks judged across every step: selecting one runs every step."""
    return (
        *(filed.check.id for filed in EXCHANGE),
        *(filed.check.id for filed in HISTORY),
        *(filed.check.id for filed in RUN),
    )
