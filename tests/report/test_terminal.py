"""The lines `server` and `sdk` print about a run's problems: each failed check's replay."""

from __future__ import annotations

from harness.checks import REGISTRY, Source, register
from harness.report.record import Evidence, Outcome, RunRecord
from harness.report.terminal import problem_lines

CHECK = REGISTRY.get("TERMINAL-TEST") or register(
    "TERMINAL-TEST", "test", "a rule for the terminal tests", Source.HARNESS, "tests"
)
OTHER = REGISTRY.get("TERMINAL-OTHER") or register(
    "TERMINAL-OTHER", "test", "another rule", Source.HARNESS, "tests"
)
OWN = "ee81664590de4c168e174602fa92e7e7"


def test_each_failed_check_ends_with_the_command_that_replays_it() -> None:
    record = RunRecord(
        kind="server",
        target={"endpoint": "http://127.0.0.1:4", "embedded": True, "faults": ["f"]},
        tool={},
        seed=7,
        profile="quick",
    )
    record.add(
        Outcome(
            CHECK.id,
            "GetDatastore",
            "failed",
            "first line\nsecond line",
            [Evidence(curl=f"curl http://127.0.0.1:4/datastore/{'0' * 32}", status=400)],
        )
    )
    record.add(
        Outcome(
            CHECK.id,
            "state machine",
            "failed",
            "an unknown job",
            [Evidence(curl=f"curl http://127.0.0.1:4/datastore/{OWN}", status=400)],
        )
    )
    record.add(Outcome(OTHER.id, "GetDatastore", "passed"))
    lines = problem_lines(record)
    replay = (
        "     replay: ahi-contract server --fault f --seed 7 --profile quick --check TERMINAL-TEST"
    )
    assert lines[-1] == replay and lines.count(replay) == 1
    assert "     first line" in lines and "     second line" not in lines
    assert not any("TERMINAL-OTHER" in line for line in lines)
    marked = lines.index(
        "     evidence only, it names resources the run made (replay the check instead):"
    )
    assert lines[marked + 1] == f"     curl http://127.0.0.1:4/datastore/{OWN}"
    assert marked > lines.index("FAIL TERMINAL-TEST [state machine] a rule for the terminal tests")
    assert sum("evidence only" in line for line in lines) == 1  # the unknown id is not the run's


def test_an_sdk_failure_names_its_adapter_and_scenario_and_a_known_deviation_no_replay() -> None:
    record = RunRecord(kind="sdk", target={"adapter": "boto3"}, tool={}, seed=None, profile=None)
    record.add(Outcome(CHECK.id, "boto3", "failed", "2 requests sent,\nexpected 1"))
    record.add(Outcome(OTHER.id, "boto3", "deviation", "known deviation: x"))
    lines = problem_lines(record, first_line_only=False)
    assert lines[0] == "KNOWN TERMINAL-OTHER [boto3] another rule"
    assert "FAIL TERMINAL-TEST [boto3] a rule for the terminal tests" in lines
    assert "     2 requests sent,\nexpected 1" in lines
    replays = [line for line in lines if "replay:" in line]
    assert replays == ["     replay: ahi-contract sdk --adapter boto3 --scenario TERMINAL-TEST"]
