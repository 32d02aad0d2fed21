from __future__ import annotations

import re

import pytest

from harness.server.registry import (
    CATALOGUE,
    EXCHANGE,
    HISTORY,
    UNITS,
    ServerStep,
    Trigger,
    ambient,
    judge,
)
from harness.server.units import COSTLIEST_FIRST, at_end, load_checks, names, spread
from harness.spec.remarks import DECISIONS


def test_every_cited_decision_is_documented_in_the_spec() -> None:
    cited = {
        (check.id, decision)
        for check in load_checks()
        for decision in re.findall(r"decision ([A-Z0-9][A-Z0-9-]+)", check.reference)
    }
    assert cited, "no check cites a decision: the pattern is wrong"
    assert {(check, d) for check, d in cited if d not in DECISIONS} == set()


def test_every_check_states_a_rule_and_where_it_comes_from() -> None:
    for check in load_checks():
        assert check.rule and check.reference, check.id
        assert check.id == check.id.upper() and " " not in check.id


def test_every_check_is_judged_by_a_step_a_history_check_or_each_exchange() -> None:
    load_checks()
    judged = {
        check_id
        for filed in (step for unit in UNITS.values() for step in unit)
        for check_id in (filed.judges if isinstance(filed, ServerStep) else (filed.check.id,))
    }
    judged |= {filed.check.id for filed in HISTORY} | {check.id for check in EXCHANGE}
    assert judged <= set(CATALOGUE.checks)
    # The suite's own step outcomes, and the answer times judged over every worker's.
    assert set(CATALOGUE.checks) - judged == {"SUITE-STEP", "RESPONSE-TIME"}


def test_units_are_assembled_from_the_registry_costliest_first() -> None:
    assert names() == list(COSTLIEST_FIRST)
    assert [step.name for step in UNITS["schemathesis"]] == ["schemathesis"]  # type: ignore[union-attr]
    assert spread(3) == [
        ["schemathesis", "state machine", "deletion guard"],
        ["jobs", "protocol"],
        ["image sets", "quota"],
    ]


def test_checks_judged_on_the_history_or_each_exchange_are_ambient_and_run_in_order() -> None:
    assert [filed.check.id for filed in at_end()] == [
        "RESPONSE-SCHEMA",
        "BLOB-HEADERS",
        "JOB-ENDS",
        "ECHO-SENT",
        "TIMESTAMP-PLAUSIBLE",
        "RESOURCE-SCOPE",
    ]
    assert set(ambient()) == {"ERROR-SHAPE", *(filed.check.id for filed in HISTORY)}
    assert all(filed.unit is None for filed in HISTORY)


def test_a_step_needs_a_unit_and_a_history_check_has_none() -> None:
    check = CATALOGUE.checks["JOB-ENDS"]
    with pytest.raises(ValueError):
        judge(check, trigger=Trigger.STEP)
    with pytest.raises(ValueError):
        judge(check, unit="jobs", trigger=Trigger.HISTORY)
