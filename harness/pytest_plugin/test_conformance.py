"""The server suite as pytest items.

pytest --pyargs harness.pytest_plugin.test_conformance [--ahi-endpoint URL ...]
"""

from __future__ import annotations

import pytest

from harness.pytest_plugin import server_record
from harness.report.record import Outcome
from harness.report.writers import outcome_text


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "ahi_outcome" in metafunc.fixturenames:
        outcomes = server_record(metafunc.config).merged()
        metafunc.parametrize(
            "ahi_outcome", outcomes, ids=[f"{o.check_id}[{o.subject}]" for o in outcomes]
        )


def test_conformance(ahi_outcome: Outcome) -> None:
    if ahi_outcome.status != "passed":
        pytest.fail(outcome_text(ahi_outcome), pytrace=False)
