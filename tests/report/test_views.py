"""The server matrix: one row per operation, spanning checks credited to each, units apart."""

from __future__ import annotations

from harness.checks import REGISTRY, Source, register
from harness.model import IN_SCOPE_OPERATIONS
from harness.report.record import Evidence, Outcome, RunRecord
from harness.report.views import (
    counts_text,
    duration,
    matrix,
    shown_evidence,
    title,
    units_matrix,
    verdict,
)

CHECK = REGISTRY.get("VIEWS-TEST") or register(
    "VIEWS-TEST", "views", "a rule for this test", Source.HARNESS, "tests"
)


def test_every_operation_is_a_row_and_suite_units_have_their_own_matrix() -> None:
    outcomes = [
        Outcome("VIEWS-TEST", "GetImageFrame", "failed"),
        Outcome("VIEWS-TEST", "state machine", "passed"),
        Outcome("VIEWS-TEST", "Stateful tests", "passed"),
    ]
    found = matrix(outcomes)
    assert found.rows == list(IN_SCOPE_OPERATIONS)
    assert found.cells[("GetImageFrame", "views")].status == "failed"
    assert ("TagResource", "views") not in found.cells
    units = units_matrix(outcomes)
    assert units.rows == ["Stateful tests", "state machine"]
    assert units.cells[("state machine", "views")].checks == {"VIEWS-TEST"}


def test_a_check_spanning_operations_counts_on_each() -> None:
    found = matrix(
        [
            Outcome("VIEWS-TEST", "GetDatastore, ListDICOMImportJobs", "passed"),
            Outcome("VIEWS-TEST", "all operations", "failed"),
        ]
    )
    assert found.cells[("GetDatastore", "views")].counts == {"passed": 1, "failed": 1}
    assert found.cells[("ListDICOMImportJobs", "views")].status == "failed"
    assert all(found.cells[(operation, "views")].counts["failed"] for operation in found.rows)
    assert units_matrix([Outcome("VIEWS-TEST", "all operations", "passed")]).rows == []


def test_bare_seed_notes_give_way_to_the_replay_command() -> None:
    outcome = Outcome(
        "VIEWS-TEST",
        "GetDatastore",
        "failed",
        evidence=[Evidence(curl="curl x", note="a"), Evidence(note="replay with --seed 3")],
    )
    assert [e.curl for e in shown_evidence(outcome)] == ["curl x"]


def test_durations_read_as_people_say_them() -> None:
    assert [duration(0.25), duration(18.14), duration(245)] == ["250 ms", "18.1 s", "4 min 05 s"]


def test_each_kind_of_run_has_a_title_that_says_what_was_run() -> None:
    def record(kind: str, **target: object) -> RunRecord:
        return RunRecord(kind, dict(target), {}, seed=1, profile="quick")

    assert title(record("selftest")).startswith("Self-test")
    assert title(record("server", embedded=True)) == "Server conformance: embedded emulator"
    assert title(record("server", endpoint="http://x", faults=["f"])).endswith("with faults f")


def test_the_counts_line_says_what_ran_and_a_refused_run_that_nothing_did() -> None:
    record = RunRecord("server", {}, {}, seed=3, profile="quick", started_at=10.0)
    record.add(Outcome("VIEWS-TEST", "GetDatastore", "failed"))
    record.add(Outcome("VIEWS-TEST", "ListDatastores", "passed"))
    record.finished_at = 12.5
    assert counts_text(record) == (
        "1 passed, 1 failed, 0 errors, 0 known deviations, seed 3, profile quick, 2.5 s"
    )
    refused = RunRecord("sdk", {}, {}, seed=None, profile=None, refused="bad adapter")
    assert counts_text(refused) == "no check ran" and verdict(refused) == "REFUSED"
    assert verdict(record) == "FAILED"
