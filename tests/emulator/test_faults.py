from __future__ import annotations

import re
from pathlib import Path

import pytest

import harness.emulator
from harness.emulator.faults import FAULTS, FAULTS_BY_NAME, Switch, Switchboard

EMULATOR = Path(harness.emulator.__file__).parent


def test_faults_are_named_uniquely_and_described() -> None:
    names = [fault.name for fault in FAULTS]
    assert len(names) == len(set(names)) >= 25
    for fault in FAULTS:
        assert fault.description and fault.name == fault.name.lower()
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", fault.name), fault.name


def test_each_fault_is_its_switch_spelled_with_hyphens() -> None:
    assert [fault.name for fault in FAULTS] == [
        switch.name.lower().replace("_", "-") for switch in Switch
    ]
    assert FAULTS_BY_NAME["replay-new-job-id"].caught_by == "IDEMPOTENT-REPLAY"
    assert Switch.REPLAY_NEW_JOB_ID.fault == FAULTS_BY_NAME["replay-new-job-id"]


def test_every_switch_is_acted_on_outside_the_switchboard() -> None:
    sources = "\n".join(
        path.read_text() for path in EMULATOR.rglob("*.py") if path.name != "faults.py"
    )
    used = set(re.findall(r"\bSwitch\.([A-Z0-9_]+)\b", sources))
    assert [switch.name for switch in Switch if switch.name not in used] == []


def test_unknown_faults_are_refused() -> None:
    with pytest.raises(ValueError, match="nope"):
        Switchboard.of(["nope", "slow-responses"])


def test_on_reads_the_enabled_names() -> None:
    board = Switchboard.of(["slow-responses"])
    assert board.on(Switch.SLOW_RESPONSES)
    assert not board.on(Switch.THROTTLE_EVERY_NTH)


def test_every_counts_calls_while_the_fault_is_on() -> None:
    board = Switchboard.of(["throttle-every-nth"])
    assert [board.every(Switch.THROTTLE_EVERY_NTH, 3) for _ in range(6)] == [
        False,
        False,
        True,
        False,
        False,
        True,
    ]
    assert not Switchboard.of([]).every(Switch.THROTTLE_EVERY_NTH, 1)
