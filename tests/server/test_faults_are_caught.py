"""The correct emulator passes the server suite, every check runs, every fault names a check.

That each fault alone fails the suite on the check it declares is proved by
`ahi-contract selftest` (`make selftest`, which CI runs after the tests), not
again here.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from harness.emulator.faults import FAULTS
from harness.model import IN_SCOPE_OPERATIONS
from harness.server.options import ServerOptions
from harness.server.runner import execute


def test_every_fault_declares_a_registered_check() -> None:
    from harness.checks import REGISTRY
    from harness.server.units import load_checks

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


@pytest.mark.slow
def test_the_correct_emulator_passes_and_every_check_runs() -> None:
    record = execute(ServerOptions(seed=11))
    problems = [
        f"{o.check_id} [{o.subject}] {o.message}" for o in record.outcomes if o.status != "passed"
    ]
    assert problems == []
    judged = {outcome.check_id for outcome in record.outcomes}
    assert _server_checks() - judged == set(), "registered but never run"
    subjects = {outcome.subject for outcome in record.outcomes}
    assert set(IN_SCOPE_OPERATIONS) - subjects == set(), "operations no check reached"
