"""Running a hypothesis state machine against a live target, as the server checks do."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

Machine = TypeVar("Machine", bound=RuleBasedStateMachine)


class Stop(Exception):
    """A verdict failed: the failure is recorded, the example ends."""


@contextmanager
def bound(machine: type[Machine], **attributes: object) -> Iterator[type[Machine]]:
    """A subclass of `machine` for one run, with `attributes` (the run's context, say) as
    class attributes, which are removed on exit: hypothesis caches the machine classes it
    runs, and with them whatever they hold, so a process running many suites would keep
    every run's context alive."""
    subclass = type(machine.__name__, (machine,), dict(attributes))
    try:
        yield subclass
    finally:
        for name in attributes:
            delattr(subclass, name)


def run_machine(machine: type[RuleBasedStateMachine], examples: int, steps: int) -> None:
    """Run `machine` derandomized; a recorded failure (`Stop`) ends it quietly."""
    try:
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=examples,
                stateful_step_count=steps,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
                print_blob=False,
            ),
        )
    except Stop:
        pass  # the failing verdict is in the record with its evidence
    except BaseExceptionGroup as group:
        # hypothesis replays a failing example to report it; a live target may not fail
        # the same way twice, which hypothesis reports as flaky. The verdict is recorded.
        if group.subgroup(Stop) is None:
            raise
