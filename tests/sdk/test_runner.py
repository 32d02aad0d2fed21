"""The SDK runner: a timing scenario disturbed by a loaded machine runs once more."""

from __future__ import annotations

import socket
from typing import Any

from harness.report.record import RunRecord
from harness.sdk.reference_adapter import InProcessReference
from harness.sdk.runner import RERUN_CLIENT, _run_scenarios, scenario_config
from harness.sdk.scenarios import BY_ID
from harness.sdk.stub import StubServer

TIMEOUT = BY_ID["SDK-RETRY-TIMEOUT"]
QUOTA = BY_ID["SDK-RETRY-QUOTA-TIMEOUT-COST"]


class _LosesFirstRun:
    """The reference SDK, except that on a scenario's first run each call opens a
    connection to the stub and closes it unused, and answers that it timed out: an SDK
    whose timer fired before it could send, as on a loaded machine."""

    def __init__(self, stub: StubServer, lose: bool = True) -> None:
        self.reference = InProcessReference()
        self.greeting = self.reference.greeting
        self.stub = stub
        self.lose = lose
        self.configs: list[dict[str, Any]] = []

    def call(
        self, call_id: int, operation: str, params: dict[str, Any], config: dict[str, Any]
    ) -> dict[str, Any]:
        self.configs.append(config)
        if self.lose:
            host, port = self.stub.authority.split(":")
            socket.create_connection((host, int(port))).close()
            return {"id": call_id, "error": {"kind": "client", "code": None, "message": "late"}}
        return self.reference.call(call_id, operation, params, config)

    def close(self) -> None:
        return


def _run(adapter: _LosesFirstRun, stub: StubServer) -> RunRecord:
    record = RunRecord(kind="sdk", target={}, tool={}, seed=None, profile=None)
    _run_scenarios(record, adapter, [TIMEOUT], stub, "sdk", {}, 10.0)
    return record


def test_a_timing_scenario_whose_stub_saw_unused_connections_is_judged_on_a_second_run() -> None:
    stub = StubServer().start()
    try:
        adapter = _LosesFirstRun(stub)
        original = adapter.call

        def lose_once(*arguments: Any) -> dict[str, Any]:
            answer = original(*arguments)
            adapter.lose = False
            return answer

        adapter.call = lose_once  # type: ignore[method-assign]
        (outcome,) = _run(adapter, stub).outcomes
    finally:
        stub.stop()
    assert outcome.status == "passed", outcome.message
    assert "run twice" in outcome.message and "1 connection(s)" in outcome.message
    assert len(adapter.configs) == 2


def test_a_failure_stays_a_failure_when_the_second_run_fails_too() -> None:
    stub = StubServer().start()
    try:
        adapter = _LosesFirstRun(stub)
        (outcome,) = _run(adapter, stub).outcomes
    finally:
        stub.stop()
    assert outcome.status == "failed"
    assert "run twice" in outcome.message
    assert len(adapter.configs) == 2  # once more, not more


def test_a_shared_client_run_again_starts_with_a_client_of_its_own() -> None:
    stub = StubServer()
    first = scenario_config(QUOTA, stub, 10.0)
    again = scenario_config(QUOTA, stub, 10.0, rerun=True)
    assert first["clientId"] == QUOTA.id
    assert again["clientId"] == QUOTA.id + RERUN_CLIENT
