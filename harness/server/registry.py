"""Server checks as one decorated function each: ID, rule, source and unit where it is defined.

In the manner of schemathesis's `@schemathesis.check`: the decorator registers
the check (`harness.checks.REGISTRY`) and files the function under its unit;
`harness.server.units` assembles a unit from the functions filed under it, in
definition order. The function records its verdicts under its own ID through
`context.verdict(check.id, ...)`; work several checks share (an import, an
update) is made once per run through `SuiteContext.shared`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.checks import Catalogue, Check, Source
from harness.server.context import SuiteContext

CheckBody = Callable[[SuiteContext, Check], None]


@dataclass(frozen=True)
class ServerCheck:
    """A registered check and the function that judges it."""

    check: Check
    unit: str
    body: CheckBody

    def __call__(self, context: SuiteContext) -> None:
        self.body(context, self.check)


CATALOGUE = Catalogue("server")
"""Every check of the server suite; `harness.server.units.load_checks` fills it."""

UNITS: dict[str, list[ServerCheck]] = {}

SUITE_STEP = CATALOGUE.register(
    "SUITE-STEP",
    "harness",
    "Each step of the suite runs to its end (the target did not break it off)",
    Source.HARNESS,
    "an exception or the run's deadline stopped a step; its checks were not all judged",
)


def server_check(
    id: str, family: str, rule: str, source: Source, reference: str, *, unit: str
) -> Callable[[CheckBody], ServerCheck]:
    """Register a check and file its function under `unit`."""

    def decorate(body: CheckBody) -> ServerCheck:
        check = ServerCheck(CATALOGUE.register(id, family, rule, source, reference), unit, body)
        UNITS.setdefault(unit, []).append(check)
        return check

    return decorate
