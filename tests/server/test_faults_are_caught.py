"""The harness proves its power: each emulator fault alone makes the server suite fail,
on the check the fault declares (the self-test's server trials, one test item each)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from harness.emulator.faults import FAULTS, FAULTS_BY_NAME
from harness.model import IN_SCOPE_OPERATIONS
from harness.selftest import server_trial
from harness.server.options import ServerOptions
from harness.server.runner import execute


def test_every_fault_declares_a_registered_check() -> None:
    from harness.checks import REGISTRY
    from harness.server.registry import load_checks

    load_checks()
    for fault in FAULTS:
        assert fault.caught_by in REGISTRY, fault


def _server_checks() -> set[str]:
    """Every check the server suite's check modules define, old style or decorated."""
    import harness.server.checks as package
    from harness.checks import Check
    from harness.server.registry import ServerCheck

    ids: set[str] = set()
    for module in pkgutil.iter_modules(package.__path__):
        for value in vars(importlib.import_module(f"{package.__name__}.{module.name}")).values():
            if isinstance(value, Check):
                ids.add(value.id)
            elif isinstance(value, ServerCheck):
                ids.add(value.check.id)
    return ids


def test_the_correct_emulator_passes_and_every_check_runs() -> None:
    record = execute(ServerOptions(seed=11))
    assert record.failed_checks() == []
    judged = {outcome.check_id for outcome in record.outcomes}
    assert _server_checks() - judged == set(), "registered but never run"
    subjects = {outcome.subject for outcome in record.outcomes}
    assert set(IN_SCOPE_OPERATIONS) - subjects == set(), "operations no check reached"


@pytest.mark.parametrize("fault", sorted(FAULTS_BY_NAME))
def test_each_fault_fails_the_suite_with_its_check(fault: str) -> None:
    trial = server_trial(fault, seed=11)
    assert FAULTS_BY_NAME[fault].caught_by in trial.failed_checks, trial.failed_checks
    assert trial.seconds_to_kill is not None and trial.seconds_to_kill < 120
