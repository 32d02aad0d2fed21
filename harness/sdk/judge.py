"""Judge one scenario: what the adapter reported, and what the SDK sent.

Each rule returns `(ok, reason)`, in the manner of `responses` matchers, so a
failure explains itself.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from harness.report.record import Evidence, Outcome
from harness.sdk.scenarios import Scenario
from harness.sdk.stub import RecordedRequest

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.I)
_CREDENTIAL = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


def _token(request: RecordedRequest) -> Any:
    try:
        body = json.loads(request.body) if request.body else {}
    except ValueError:
        return None
    return body.get("clientToken") if isinstance(body, dict) else None


def _has_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_has_null(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_null(item) for item in value)
    return False


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, float | int) and not isinstance(expected, bool):
        return isinstance(actual, float | int) and math.isclose(
            expected, actual, rel_tol=0, abs_tol=1e-3
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and expected.keys() == actual.keys()
            and all(_same(value, actual[key]) for key, value in expected.items())
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(_same(a, b) for a, b in zip(expected, actual, strict=True))
        )
    return bool(expected == actual)


def request_rule(name: str, argument: str, requests: list[RecordedRequest]) -> tuple[bool, str]:
    """One rule about the requests the SDK sent."""
    if not requests:
        return False, "the SDK sent no request"
    first = requests[0]
    if name == "token":
        tokens = [_token(request) for request in requests]
        if argument == "uuid4":
            bad = [t for t in tokens if not isinstance(t, str) or not UUID4.match(t)]
            return not bad, f"clientToken not a UUID v4: {bad[:2]}"
        if argument == "same-across-attempts":
            return len(set(map(str, tokens))) == 1, f"clientToken changed across attempts: {tokens}"
        if argument == "differs-per-call":
            by_call = {r.call: _token(r) for r in requests}
            ok = (
                len(by_call) == 2
                and None not in by_call.values()
                and len(set(by_call.values())) == 2
            )
            return ok, f"clientTokens of two calls: {list(by_call.values())}"
        return all(
            t == argument for t in tokens
        ), f"clientToken sent as {tokens}, set to {argument!r}"
    if name == "invocation-id":
        ids = [r.header("amz-sdk-invocation-id") for r in requests]
        sent = [i for i in ids if i is not None]
        return len(set(sent)) <= 1, f"amz-sdk-invocation-id changed across attempts: {ids}"
    if name == "method":
        return first.method == argument, f"method {first.method}, expected {argument}"
    if name == "path":
        return first.path == argument, f"path {first.path}, expected {argument}"
    if name == "content-type":
        value = first.header("content-type") or ""
        return value.startswith(argument), f"Content-Type {value!r}, expected {argument}"
    if name == "body":
        try:
            body = json.loads(first.body) if first.body else {}
        except ValueError:
            return False, f"the body is not JSON: {first.body[:100]!r}"
        return not _has_null(body), f"the body sends null for an absent member: {body}"
    if name == "query":
        key, _, value = argument.partition("=")
        return (key, value) in first.query, f"query {list(first.query)}, expected {argument}"
    if name == "signed":
        match = _CREDENTIAL.search(first.header("authorization") or "")
        scope = "/".join(match.groups()) if match else None
        return scope == argument, f"Authorization scope {scope}, expected region/service {argument}"
    raise ValueError(f"unknown request rule {name}")


def expectation(scenario: Scenario, answer: dict[str, Any]) -> list[str]:
    """What in the adapter's answer differs from the scenario's expectation."""
    expect = scenario.expect
    problems: list[str] = []
    error = answer.get("error")
    if expect.outcome == "output":
        if "output" not in answer:
            return [f"expected output, got error {error}"]
        if expect.output is not None and not _same(expect.output, answer["output"]):
            problems.append(f"output {answer['output']} differs from {expect.output}")
        return problems
    if not isinstance(error, dict):
        return [f"expected a {expect.outcome} error, got {answer}"]
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


def judge(
    scenario: Scenario, subject: str, answers: list[dict[str, Any]], requests: list[RecordedRequest]
) -> Outcome:
    """The outcome of one scenario for one SDK."""
    problems = expectation(scenario, answers[-1]) if answers else ["no answer"]
    if scenario.expect.attempts is not None and len(requests) != scenario.expect.attempts:
        problems.append(f"{len(requests)} requests sent, expected {scenario.expect.attempts}")
    for name, argument in scenario.request_rules:
        ok, reason = request_rule(name, argument, requests)
        if not ok:
            problems.append(reason)
    evidence = [
        Evidence(note=f"answer: {json.dumps(answers[-1]) if answers else None}"),
        *[
            Evidence(
                note=f"request {i + 1} (call {r.call + 1}): {r.method} {r.path}"
                f"{'?' if r.query else ''}{'&'.join(f'{k}={v}' for k, v in r.query)}\n"
                + "\n".join(
                    f"{k}: {v}"
                    for k, v in sorted(r.headers.items())
                    if k.startswith(("amz-sdk", "content-type", "x-amz"))
                )
                + (f"\n{r.body.decode('utf-8', 'replace')[:500]}" if r.body else "")
            )
            for i, r in enumerate(requests[:4])
        ],
    ]
    if problems:
        return Outcome(scenario.id, subject, "failed", "; ".join(problems), evidence)
    return Outcome(scenario.id, subject, "passed")
