from __future__ import annotations

import re

import pytest

from harness.checks import Source
from harness.server.registry import (
    CATALOGUE,
    EXCHANGE,
    HISTORY,
    RUN,
    UNITS,
    ServerStep,
    Trigger,
    Unit,
    ambient,
    judge,
    server_check,
)
from harness.server.selection import Selection
from harness.server.units import at_end, at_run_end, judging, load_checks, names, spread
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
    judged |= {filed.check.id for filed in (*HISTORY, *EXCHANGE, *RUN)}
    assert judged <= set(CATALOGUE.checks)
    # The suite's own step outcomes.
    assert set(CATALOGUE.checks) - judged == {"SUITE-STEP"}


def test_units_are_assembled_from_the_registry_costliest_first() -> None:
    assert names() == [str(unit) for unit in Unit]
    assert [step.name for step in UNITS["schemathesis"]] == ["schemathesis"]  # type: ignore[union-attr]
    assert spread(3, names()) == [
        ["schemathesis", "listing", "quota"],
        ["jobs", "state machine", "deletion guard"],
        ["image sets", "protocol"],
    ]
    assert spread(3, ["jobs"]) == [["jobs"]]


def test_a_selection_runs_only_the_units_whose_steps_judge_it() -> None:
    assert judging(Selection()) == names()
    assert judging(Selection(("SEARCH-SORT",))) == ["image sets"]
    assert judging(Selection(("RESPONSE-HEADERS",))) == names()  # judged on every answer


def test_checks_judged_on_each_exchange_the_history_or_the_run_are_ambient_and_in_order() -> None:
    assert [filed.check.id for filed in at_end()] == [
        "RESPONSE-SCHEMA",
        "BLOB-HEADERS",
        "RESPONSE-HEADERS",
        "JOB-ENDS",
        "ECHO-SENT",
        "TIMESTAMP-PLAUSIBLE",
        "RESOURCE-SCOPE",
        "WRITE-FIRST-STATUS",
    ]
    assert [filed.check.id for filed in at_run_end()] == ["REQUEST-ID-UNIQUE", "RESPONSE-TIME"]
    assert [filed.check.id for filed in EXCHANGE] == ["ERROR-SHAPE", "ERROR-STATUS-MATCHES-TYPE"]
    assert set(ambient()) == {filed.check.id for filed in (*EXCHANGE, *HISTORY, *RUN)}
    assert all(filed.unit is None for filed in HISTORY)


def test_a_step_needs_a_unit_and_no_other_trigger_has_one() -> None:
    check = CATALOGUE.checks["JOB-ENDS"]
    with pytest.raises(ValueError):
        judge(check, trigger=Trigger.STEP)
    with pytest.raises(ValueError):
        judge(check, unit="jobs", trigger=Trigger.HISTORY)
    with pytest.raises(ValueError):
        judge(check, trigger=Trigger.RUN)
    for trigger in (Trigger.EXCHANGE, Trigger.RUN, Trigger.HISTORY):
        with pytest.raises(ValueError, match="a step has a unit"):
            server_check(  # type: ignore[call-overload]
                "A-CHECK", "tests", "a rule", Source.HARNESS, "tests", unit="jobs", trigger=trigger
            )
    assert "A-CHECK" not in CATALOGUE.checks
