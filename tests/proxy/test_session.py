"""The contract proxy end to end: real SDKs through a real proxy to a real emulator."""

from __future__ import annotations

import sys

import pytest

from harness.emulator.faults import FAULTS, FAULTS_BY_NAME
from harness.model import IN_SCOPE_OPERATIONS
from harness.proxy.judge import judged_checks
from harness.sdk.bundled import BUNDLED
from tests.proxy.workload import through_proxy

REFERENCE = f"{sys.executable} -m harness.sdk.reference_adapter"

NOT_SHOWN = {
    "slow-responses": "every answer 2 s late: the workload would take a minute",
    "empty-import-never-ends": "the workload imports a file, not an empty prefix",
}
"""Faults whose declared check the proxy judges but that the workload cannot show."""
SHOWN = [f.name for f in FAULTS if f.caught_by in judged_checks() and f.name not in NOT_SHOWN]

REQUEST_BUGS = {
    "nulls-sent": "REQUEST-BODY-FORM",
    "body-on-get": "REQUEST-BODY-FORM",
    "content-length-on-get": "REQUEST-BODY-FORM",
    "unsigned": "REQUEST-SIGV4",
    "arn-label-unencoded": "REQUEST-OPERATION",
    "booleans-capitalised": "REQUEST-SERIALIZATION",
    "blobs-as-text": "REQUEST-INPUT-VALID",
    "host-prefix-ignored": "REQUEST-HOST-PREFIX",
    "host-prefix-everywhere": "REQUEST-HOST-PREFIX",
}
"""The reference client's bugs that alter what a workload without retries sends, and the
rule each breaks. Not among them: `no-token` (the client then refuses the call itself, a
required member missing: nothing reaches the wire), the retry bugs (`token-per-attempt`,
`attempt-stuck`: no retries here), `labels-half-encoded` (no label value the model's
patterns allow holds !'()*), `tagkeys-comma-joined` (the TagKey pattern allows a comma: one
key `a,b` and two keys look alike) and `attempt-max-late` (boto3 leaves `max=` off a first
attempt too: the proxy does not require it)."""


@pytest.mark.slow
@pytest.mark.parametrize(("adapter", "mode"), [("boto3", "forward"), ("js-v3", "reverse")])
def test_a_real_sdk_through_the_proxy_to_the_clean_emulator_breaks_no_rule(
    adapter: str, mode: str
) -> None:
    session = through_proxy(BUNDLED[adapter].command, mode)
    assert session.stopped_by is None
    assert session.failed() == set()
    assert set(session.called) == set(IN_SCOPE_OPERATIONS)
    assert session.judged("REQUEST-OPERATION") == set(IN_SCOPE_OPERATIONS)
    assert session.judged("RESPONSE-SCHEMA") == set(IN_SCOPE_OPERATIONS)
    assert session.record.target["requests"] == len(session.called)
    if mode == "forward":
        assert session.judged("REQUEST-HOST-PREFIX") == set(IN_SCOPE_OPERATIONS)


def test_the_faults_not_shown_are_judged_by_the_proxy() -> None:
    assert {FAULTS_BY_NAME[name].caught_by for name in NOT_SHOWN} <= set(judged_checks())


@pytest.mark.slow
@pytest.mark.parametrize("fault", SHOWN)
def test_each_fault_a_workload_can_show_is_flagged_by_its_declared_check(fault: str) -> None:
    session = through_proxy(REFERENCE, "reverse", faults=(fault,))
    assert FAULTS_BY_NAME[fault].caught_by in session.failed()


@pytest.mark.slow
@pytest.mark.parametrize(("bug", "rule"), sorted(REQUEST_BUGS.items()))
def test_each_request_bug_of_the_reference_client_is_flagged(bug: str, rule: str) -> None:
    session = through_proxy(f"{REFERENCE} --bug {bug}", "forward")
    assert rule in session.failed()
    assert not {c for c in session.failed() if c.startswith("REQUEST-")} - {rule}


@pytest.mark.slow
def test_signed_again_the_workload_reaches_an_emulator_that_knows_only_the_proxys_key() -> None:
    session = through_proxy(REFERENCE, "reverse", resign=True)
    assert session.stopped_by is None
    assert session.failed() == set()
    assert session.record.target["resigned"] is True
