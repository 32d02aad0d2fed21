"""The server matrix shows every operation in scope, judged or not."""

from __future__ import annotations

from harness.checks import Source, register
from harness.model import IN_SCOPE_OPERATIONS
from harness.report.record import Outcome
from harness.report.views import matrix

register("VIEWS-TEST", "views", "a rule for this test", Source.HARNESS, "tests")


def test_every_operation_is_a_row_in_scope_order_then_other_subjects() -> None:
    outcomes = [
        Outcome("VIEWS-TEST", "GetImageFrame", "failed"),
        Outcome("VIEWS-TEST", "state machine", "passed"),
    ]
    found = matrix(outcomes)
    assert found.rows[: len(IN_SCOPE_OPERATIONS)] == list(IN_SCOPE_OPERATIONS)
    assert found.rows[len(IN_SCOPE_OPERATIONS) :] == ["state machine"]
    assert found.cells[("GetImageFrame", "views")].status == "failed"
    assert ("TagResource", "views") not in found.cells
