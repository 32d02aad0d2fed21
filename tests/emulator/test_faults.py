from __future__ import annotations

import pytest

from harness.emulator.faults import FAULTS, Switchboard


def test_faults_are_named_uniquely_and_described() -> None:
    names = [fault.name for fault in FAULTS]
    assert len(names) == len(set(names)) >= 25
    for fault in FAULTS:
        assert fault.description and fault.name == fault.name.lower()


def test_unknown_faults_are_refused() -> None:
    with pytest.raises(ValueError, match="nope"):
        Switchboard.of(["nope", "slow-responses"])


def test_every_counts_calls_while_the_fault_is_on() -> None:
    board = Switchboard.of(["throttle-every-nth"])
    assert [board.every("throttle-every-nth", 3) for _ in range(6)] == [
        False,
        False,
        True,
        False,
        False,
        True,
    ]
    assert not Switchboard.of([]).every("throttle-every-nth", 1)


def test_the_typed_names_are_exactly_the_faults() -> None:
    from typing import get_args

    from harness.emulator.faults import FaultName

    assert list(get_args(FaultName)) == [fault.name for fault in FAULTS]
