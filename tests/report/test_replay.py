"""Replay commands: the run's target, seed and profile, the failed check, the emulator first."""

from __future__ import annotations

from harness.checks import REGISTRY, Source, register
from harness.report.record import Outcome, RunRecord
from harness.report.replay import emulator_setup, replay_command, server_command

CHECK = REGISTRY.get("REPLAY-TEST") or register(
    "REPLAY-TEST", "test", "a rule for the replay tests", Source.HARNESS, "tests"
)


def _record(**target: object) -> RunRecord:
    return RunRecord(kind="server", target=dict(target), tool={}, seed=42, profile="full")


def test_a_given_endpoint_replays_with_its_options_and_the_failed_check() -> None:
    record = _record(
        endpoint="https://medical-imaging.eu-west-1.amazonaws.com",
        embedded=False,
        region="eu-west-1",
        s3Endpoint="http://127.0.0.1:9000",
        jobQuota=100,
    )
    assert emulator_setup(record) == []
    assert replay_command(record, Outcome(CHECK.id, "GetDatastore", "failed")) == (
        "ahi-contract server --endpoint https://medical-imaging.eu-west-1.amazonaws.com "
        "--region eu-west-1 --s3-endpoint http://127.0.0.1:9000 --job-quota 100 "
        "--seed 42 --profile full --check REPLAY-TEST"
    )


def test_an_embedded_run_starts_the_emulator_on_its_port_with_its_faults() -> None:
    record = _record(
        endpoint="http://127.0.0.1:41234",
        embedded=True,
        region="us-east-1",
        faults=["unsigned-accepted", "slow-responses"],
        jobQuota=8,
    )
    assert emulator_setup(record) == [
        "export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test",
        "ahi-contract emulator --port 41234 --concurrent-job-quota 8 --fault unsigned-accepted "
        "--fault slow-responses > emulator.log 2>&1 &",
        "until grep -q '^s3: ' emulator.log; do sleep 0.2; done",
    ]
    assert server_command(record) == (
        "ahi-contract server --endpoint http://127.0.0.1:41234 "
        "--s3-endpoint \"$(sed -n 's/^s3: //p' emulator.log)\" --region us-east-1 "
        "--job-quota 8 --seed 42 --profile full"
    )


def test_a_broken_step_replays_its_check_and_a_unit_the_whole_run() -> None:
    record = _record(endpoint="http://t", embedded=False)
    from harness.server.registry import SUITE_STEP as STEP

    assert replay_command(record, Outcome(STEP.id, CHECK.id, "error")).endswith(
        "--check REPLAY-TEST"
    )
    assert "--check" not in replay_command(record, Outcome(STEP.id, "state machine", "error"))
