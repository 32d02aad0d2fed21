"""Replay commands: the run's target, seed and profile, the failed check; the emulator lines."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from harness.checks import REGISTRY, Source, register
from harness.report.record import Outcome, RunRecord
from harness.report.replay import (
    emulator_setup,
    emulator_stop,
    evidence_label,
    replay_command,
    run_resources,
    server_command,
    standalone_curl,
)

CHECK = REGISTRY.get("REPLAY-TEST") or register(
    "REPLAY-TEST", "test", "a rule for the replay tests", Source.HARNESS, "tests"
)
OWN = "ee81664590de4c168e174602fa92e7e7"
UNKNOWN = "0" * 32


def _record(**target: object) -> RunRecord:
    return RunRecord(kind="server", target=dict(target), tool={}, seed=42, profile="full")


def _embedded(port: int = 41234) -> RunRecord:
    return _record(
        endpoint=f"http://127.0.0.1:{port}",
        embedded=True,
        region="us-east-1",
        faults=["unsigned-accepted", "slow-responses"],
        jobQuota=8,
    )


def test_a_given_endpoint_replays_with_its_options_and_the_failed_check() -> None:
    record = _record(
        endpoint="https://medical-imaging.eu-west-1.amazonaws.com",
        embedded=False,
        region="eu-west-1",
        s3Endpoint="http://127.0.0.1:9000",
        jobQuota=100,
    )
    assert emulator_setup(record) == [] and emulator_stop(record) == []
    assert replay_command(record, Outcome(CHECK.id, "GetDatastore", "failed")) == (
        "ahi-contract server --endpoint https://medical-imaging.eu-west-1.amazonaws.com "
        "--region eu-west-1 --s3-endpoint http://127.0.0.1:9000 --job-quota 100 "
        "--seed 42 --profile full --check REPLAY-TEST"
    )


def test_an_embedded_run_replays_with_the_embedded_emulator_and_its_faults() -> None:
    assert server_command(_embedded(), Outcome(CHECK.id, "GetDatastore", "failed")) == (
        "ahi-contract server --region us-east-1 --fault unsigned-accepted "
        "--fault slow-responses --seed 42 --profile full --check REPLAY-TEST"
    )


def test_the_emulator_lines_pick_a_free_port_wait_a_bounded_time_and_stop_it() -> None:
    setup = "\n".join(emulator_setup(_embedded()))
    assert (
        "ahi-contract emulator --port 0 --concurrent-job-quota 8 --fault unsigned-accepted "
        '--fault slow-responses > "$AHI_EMULATOR_LOG" 2>&1 &'
    ) in setup
    assert "41234" not in setup  # never the run's port, which something else may hold now
    assert '[ "$polls" -ge 150 ]' in setup  # 150 polls of 0.2 s: 30 s
    assert "AHI_ENDPOINT=$(sed -n 's/^service: //p'" in setup
    assert emulator_stop(_embedded()) == [
        'kill "$AHI_EMULATOR"; rm -f "$AHI_EMULATOR_LOG"; trap - EXIT'
    ]


def test_a_broken_step_replays_its_check_and_a_unit_the_whole_run() -> None:
    record = _record(endpoint="http://t", embedded=False)
    from harness.server.registry import SUITE_STEP as STEP

    assert str(replay_command(record, Outcome(STEP.id, CHECK.id, "error"))).endswith(
        "--check REPLAY-TEST"
    )
    assert "--check" not in str(replay_command(record, Outcome(STEP.id, "state machine", "error")))


def test_a_refused_run_has_no_replay_command() -> None:
    record = _record(endpoint="http://t", embedded=False)
    record.refused = "cannot run: cannot connect"
    assert replay_command(record, Outcome(CHECK.id, "GetDatastore", "failed")) is None


def test_an_sdk_scenario_replays_with_its_adapter_and_retry_behaviour() -> None:
    record = RunRecord(
        kind="sdk",
        target={"adapter": "python3 -m my_adapter", "retries": {"asked": "2026"}},
        tool={},
        seed=None,
        profile=None,
    )
    assert replay_command(record, Outcome(CHECK.id, "boto3", "failed")) == (
        "ahi-contract sdk --adapter 'python3 -m my_adapter' --retries-2026 --scenario REPLAY-TEST"
    )


def test_requests_naming_resources_the_run_made_are_told_apart() -> None:
    get_job = f"curl -X GET http://h/getDICOMImportJob/datastore/{OWN}/job/{'a' * 32}"
    assert run_resources(get_job) == [("data store", OWN), ("job", "a" * 32)]
    tags = f"curl -X GET 'http://h/tags/arn%3Aaws%3Amedical-imaging%3Aus-east-1%3A1%3Adatastore%2F{OWN}'"
    assert run_resources(tags) == [("data store", OWN)]
    body = f'curl --data-binary \'{{"imageSetId": "{OWN}"}}\' http://h/x'
    assert run_resources(body) == [("image set", OWN)]
    unknown = f"curl -X GET http://h/datastore/{UNKNOWN}/imageSet/{UNKNOWN}/getImageSet"
    assert run_resources(unknown) == [] and evidence_label(unknown, "ahi-contract x") is None
    assert evidence_label(get_job, "ahi-contract server --check X") == (
        f"evidence: this request names resources the run made (data store {OWN}, job "
        f"{'a' * 32}); replay the check with: ahi-contract server --check X"
    )


def test_an_embedded_runs_requests_go_to_the_emulator_the_setup_starts() -> None:
    record = _embedded()
    bare = "curl -sS -X GET http://127.0.0.1:41234/datastore/0"
    quoted = "curl -sS -X GET 'http://127.0.0.1:41234/tags/x?tagKeys=k'"
    other_port = "curl -sS -X GET http://127.0.0.1:412345/datastore/0"
    assert standalone_curl(record, bare) == 'curl -sS -X GET "$AHI_ENDPOINT"/datastore/0'
    assert standalone_curl(record, quoted) == "curl -sS -X GET \"$AHI_ENDPOINT\"'/tags/x?tagKeys=k'"
    assert standalone_curl(record, other_port) == other_port
    given = _record(endpoint="http://127.0.0.1:41234", embedded=False)
    assert standalone_curl(given, bare) == bare


def _fake_ahi_contract(directory: Path, body: str) -> dict[str, str]:
    """An environment whose `ahi-contract` runs `body` (a shell script) instead."""
    program = directory / "ahi-contract"
    program.write_text(f"#!/bin/sh\n{body}\n")
    program.chmod(0o755)
    return {**os.environ, "PATH": f"{directory}{os.pathsep}{os.environ['PATH']}"}


def test_the_wait_for_an_emulator_that_never_answers_is_bounded(tmp_path: Path) -> None:
    environment = _fake_ahi_contract(tmp_path, "exec sleep 600")
    script = "\n".join([*emulator_setup(_embedded(), start_seconds=2), "echo started"])
    started = time.monotonic()
    result = subprocess.run(
        ["bash", "-c", script], env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1 and "started" not in result.stdout
    assert "the emulator did not start within 2 s" in result.stderr
    assert 1.5 < time.monotonic() - started < 20


def test_an_emulator_that_refuses_to_start_ends_the_wait_at_once(tmp_path: Path) -> None:
    environment = _fake_ahi_contract(
        tmp_path, 'echo "ahi-contract emulator: port 41234 on 127.0.0.1 is in use" >&2; exit 2'
    )
    started = time.monotonic()
    result = subprocess.run(
        ["bash", "-c", "\n".join(emulator_setup(_embedded()))],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "is in use" in result.stderr
    assert time.monotonic() - started < 10  # not the whole 30 s


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_the_emulator_lines_start_a_real_emulator_on_a_free_port_and_stop_it(
    tmp_path: Path,
) -> None:
    holder = socket.socket()  # the run's port is taken now: the lines must not need it
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    record = _record(
        endpoint=f"http://127.0.0.1:{port}", embedded=True, faults=["not-found-wrong-status"]
    )
    signed = (
        "curl -sS -o /dev/null -w '%{http_code}\\n' --aws-sigv4 aws:amz:us-east-1:medical-imaging "
        f'--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$AHI_ENDPOINT"/datastore/{UNKNOWN}'
    )
    script = "\n".join(
        [
            *emulator_setup(record),
            'echo "endpoint=$AHI_ENDPOINT"',
            'echo "pid=$AHI_EMULATOR"',
            f'echo "status=$({signed})"',
            *emulator_stop(record),
        ]
    )
    try:
        result = subprocess.run(
            ["bash", "-c", script],
            env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
            capture_output=True,
            text=True,
            timeout=90,
            cwd=tmp_path,
        )
    finally:
        holder.close()
    assert result.returncode == 0, result.stderr
    found = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    assert found["endpoint"].startswith("http://127.0.0.1:")
    assert not found["endpoint"].endswith(f":{port}")
    assert found["status"] == "400"  # the run's fault: 400 where 404 is due
    pid = int(found["pid"])
    for _ in range(100):
        if not _running(pid):
            break
        time.sleep(0.1)
    assert not _running(pid)  # stopped
