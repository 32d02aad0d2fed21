from __future__ import annotations

import re

import pytest

from harness.server.registry import CATALOGUE, HISTORY, UNITS, Trigger, ambient, judge
from harness.server.units import load_checks
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


def test_every_filed_check_is_in_the_server_catalogue() -> None:
    load_checks()
    filed = {server_check.check.id for checks in UNITS.values() for server_check in checks}
    assert filed <= set(CATALOGUE.checks)


def test_checks_judged_on_the_history_or_each_exchange_are_ambient_and_run_in_order() -> None:
    load_checks()
    assert [filed.check.id for filed in HISTORY] == [
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
