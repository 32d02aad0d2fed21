"""How a run's clean-up stands up to signals (the parts a whole run cannot time)."""

from __future__ import annotations

import os
import signal

import pytest

from harness.server import runner


def test_a_first_signal_during_clean_up_waits_for_it_to_end() -> None:
    finished = []
    with pytest.raises(KeyboardInterrupt), runner._sheltered():
        os.kill(os.getpid(), signal.SIGINT)
        finished.append("clean-up went on")
    assert finished == ["clean-up went on"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_second_signal_during_clean_up_stops_it_at_once() -> None:
    finished = []
    with pytest.raises(KeyboardInterrupt), runner._sheltered():
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)
        finished.append("clean-up went on")
    assert finished == []


def test_a_worker_stops_its_share_once_and_never_its_clean_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner, "_worker", {"phase": "running", "stop": False})
    with pytest.raises(KeyboardInterrupt):
        runner._stop_share(signal.SIGUSR1, None)
    runner._cleaning_up()
    runner._stop_share(signal.SIGUSR1, None)  # ignored: clean-up runs to its end
    assert runner._worker == {"phase": "cleaning", "stop": False}


def test_a_stop_asked_before_the_share_began_stops_it_before_it_makes_anything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner, "_worker", {"phase": "idle", "stop": False})
    runner._stop_share(signal.SIGUSR1, None)
    with pytest.raises(KeyboardInterrupt):
        runner._run_share(None, None, [], None)  # type: ignore[arg-type]
