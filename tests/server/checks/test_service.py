"""Service-wide rules: answer times per operation over the whole run, and no throttling of
reads well under the documented rates."""

from __future__ import annotations

from harness.report.record import RunRecord
from harness.server.checks.service import response_time, throttling
from harness.server.observation import Observation
from harness.server.registry import Answered, RunTotals
from tests.server.exchanges import Reply, failures, outcomes, refusal, scripted


def timed(*answers: tuple[str, float]) -> list[tuple[str, str, str]]:
    """(operation, status, message) of RESPONSE-TIME over answers of (operation, seconds)."""
    record = RunRecord(kind="server", target={}, tool={}, seed=7, profile="quick")
    response_time(RunTotals(record, [Answered(op, seconds, None) for op, seconds in answers]))
    return [(o.subject, o.status, o.message) for o in record.outcomes]


def test_each_operation_is_judged_on_its_median_and_slowest_answer() -> None:
    assert timed(("GetDatastore", 0.1), ("ListDatastores", 0.2), ("GetDatastore", 0.3)) == [
        ("GetDatastore", "passed", "median 0.200 s, slowest 0.300 s over 2 answers"),
        ("ListDatastores", "passed", "median 0.200 s, slowest 0.200 s over 1 answers"),
    ]


def test_a_median_of_exactly_the_limit_passes_and_one_over_it_fails() -> None:
    assert timed(("GetDatastore", 1.0), ("GetDatastore", 1.0))[0][1] == "passed"
    assert timed(("GetDatastore", 0.5), ("GetDatastore", 1.6)) == [
        ("GetDatastore", "failed", "median 1.050 s, slowest 1.600 s over 2 answers")
    ]


def test_one_answer_over_the_slowest_limit_fails_whatever_the_median() -> None:
    fast = [("SearchImageSets", 0.1)] * 9
    assert timed(*fast, ("SearchImageSets", 10.0))[0][1] == "passed"
    (judged,) = timed(*fast, ("SearchImageSets", 10.5))
    assert judged == (
        "SearchImageSets",
        "failed",
        "median 0.100 s, slowest 10.500 s over 10 answers",
    )


def test_a_failed_answer_time_carries_the_seed_to_replay() -> None:
    record = RunRecord(kind="server", target={}, tool={}, seed=7, profile="quick")
    response_time(RunTotals(record, [Answered("GetDatastore", 2.0, None)]))
    assert [e.note for e in record.outcomes[0].evidence] == ["replay with --seed 7"]


def test_reads_answered_without_throttling_pass_and_each_429_is_counted() -> None:
    sent: list[str] = []

    def every_third_throttled(seen: Observation) -> Reply:
        sent.append(seen.operation)
        if len(sent) % 3 == 0:
            return refusal(429, "ThrottlingException", "Rate exceeded")
        return Reply({"datastoreProperties": {}, "jobSummaries": []})

    with scripted(lambda seen: Reply({"jobSummaries": []})) as context:
        throttling(context)
        assert outcomes(context, "THROTTLE-WITHIN-LIMITS") == [
            ("GetDatastore, ListDICOMImportJobs", "passed", "")
        ]
    with scripted(every_third_throttled) as context:
        throttling(context)
        assert failures(context, "THROTTLE-WITHIN-LIMITS") == [
            ("GetDatastore, ListDICOMImportJobs", "4 of 12 sequential reads were throttled")
        ]
    assert sent == ["GetDatastore"] * 6 + ["ListDICOMImportJobs"] * 6
