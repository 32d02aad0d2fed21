"""Judge one scenario: what the adapter reported, and what the SDK sent.

Request rules are `harness.sdk.matchers` (each returns `(ok, reason)`, in the
manner of `responses` matchers), so a failure explains itself. Outputs compare
member by member: numbers to the millisecond, blobs byte for byte.
"""

from __future__ import annotations

from typing import Any

from harness.report.record import Evidence, Outcome
from harness.sdk.matchers import same_value
from harness.sdk.scenarios import Scenario
from harness.sdk.stub import RecordedRequest
from harness.sdk.wire import dumps


def _short(value: Any) -> str:
    text = dumps(value)
    return text if len(text) <= 600 else text[:600] + "..."


def expectation(scenario: Scenario, answer: dict[str, Any]) -> list[str]:
    """What in the adapter's answer differs from the scenario's expectation."""
    expect = scenario.expect
    problems: list[str] = []
    error = answer.get("error")
    if expect.outcome == "output":
        if "output" not in answer:
            return [f"expected output, got error {error}"]
        if expect.output is not None and not same_value(expect.output, answer["output"]):
            problems.append(
                f"output {_short(answer['output'])} differs from {_short(expect.output)}"
            )
        return problems
    if not isinstance(error, dict):
        return [f"expected a {expect.outcome} error, got {_short(answer)}"]
    if error.get("kind") != expect.outcome:
        problems.append(f"error kind {error.get('kind')}, expected {expect.outcome}")
    for key, wanted in (
        ("code", expect.code),
        ("modeled", expect.modeled),
        ("message", expect.message),
        ("httpStatus", expect.http_status),
    ):
        if wanted is not None and error.get(key) != wanted:
            problems.append(f"{key} {error.get(key)!r}, expected {wanted!r}")
    return problems


def _evidence(request: RecordedRequest, index: int) -> Evidence:
    query = "&".join(f"{k}={v}" for k, v in request.query)
    headers = "\n".join(
        f"{k}: {v}"
        for k, v in sorted(request.headers.items())
        if k.startswith(("amz-sdk", "content-type", "x-amz", "host"))
    )
    body = f"\n{request.body.decode('utf-8', 'replace')[:500]}" if request.body else ""
    return Evidence(
        note=f"request {index + 1} (call {request.call + 1}): {request.method} {request.path}"
        f"{'?' if query else ''}{query}\n{headers}{body}"
    )


def judge(
    scenario: Scenario, subject: str, answers: list[dict[str, Any]], requests: list[RecordedRequest]
) -> Outcome:
    """The outcome of one scenario for one SDK."""
    problems = expectation(scenario, answers[-1]) if answers else ["no answer"]
    if scenario.expect.attempts is not None and len(requests) != scenario.expect.attempts:
        problems.append(f"{len(requests)} requests sent, expected {scenario.expect.attempts}")
    for rule in scenario.request_rules:
        ok, reason = rule(requests)
        if not ok:
            problems.append(reason)
    evidence = [
        Evidence(note=f"answer: {_short(answers[-1]) if answers else None}"),
        *[_evidence(request, i) for i, request in enumerate(requests[:4])],
    ]
    if problems:
        return Outcome(scenario.id, subject, "failed", "; ".join(problems), evidence)
    return Outcome(scenario.id, subject, "passed")
