"""The harness proves its power: each emulator fault alone makes the server suite fail,
on the check the fault declares (the self-test's server trials, one test item each)."""

from __future__ import annotations

import pytest

from harness.emulator.faults import FAULTS, FAULTS_BY_NAME
from harness.selftest import server_trial


def test_every_fault_declares_a_registered_check() -> None:
    from harness.checks import REGISTRY

    for fault in FAULTS:
        assert fault.caught_by in REGISTRY, fault


def test_the_correct_emulator_passes() -> None:
    trial = server_trial(None, seed=11)
    assert trial.failed_checks == ()
    assert trial.seconds_to_kill is None


@pytest.mark.parametrize("fault", sorted(FAULTS_BY_NAME))
def test_each_fault_fails_the_suite_with_its_check(fault: str) -> None:
    trial = server_trial(fault, seed=11)
    assert FAULTS_BY_NAME[fault].caught_by in trial.failed_checks, trial.failed_checks
    assert trial.seconds_to_kill is not None and trial.seconds_to_kill < 120
