from __future__ import annotations

import pytest

from harness.server.context import PROFILES
from harness.server.options import ServerOptions
from harness.server.runner import execute
from harness.server.units import coverage


@pytest.mark.slow
def test_the_full_profile_passes_against_the_emulator_and_does_more() -> None:
    full = execute(ServerOptions(profile="full", seed=17))
    assert full.passed, full.failed_checks()
    assert full.profile == "full"
    assert PROFILES["full"].max_examples > PROFILES["quick"].max_examples
    machine_steps = [o for o in full.outcomes if o.subject == "state machine"]
    assert len(machine_steps) > 20
    judged = {(o.check_id, o.subject) for o in full.outcomes}
    assert [row for rule, row in coverage() if (rule, row.judged_as) not in judged] == []


@pytest.mark.slow
def test_a_seed_replays_the_same_checks_in_one_process_or_spread_over_workers() -> None:
    serial = execute(ServerOptions(seed=23))
    spread = execute(ServerOptions(seed=23, workers=3))
    assert serial.passed and spread.passed, spread.failed_checks()
    assert [(o.check_id, o.subject) for o in spread.merged()] == [
        (o.check_id, o.subject) for o in serial.merged()
    ]
    steps = {o.subject for o in spread.outcomes if o.check_id == "SUITE-STEP"}
    assert steps == {o.subject for o in serial.outcomes if o.check_id == "SUITE-STEP"}


@pytest.mark.slow
def test_a_fault_is_caught_with_workers() -> None:
    record = execute(ServerOptions(seed=29, workers=2, faults=("list-filter-ignored",)))
    assert "LIST-FILTER" in record.failed_checks()
