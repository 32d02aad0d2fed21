"""The harness proves its power: each emulator fault alone makes the server suite fail,
and the check that catches it is the one that states the violated rule."""

from __future__ import annotations

import pytest

from harness.emulator.faults import FAULTS
from harness.server.runner import ServerOptions, execute

# The check each fault violates first of all; others may fail alongside.
CAUGHT_BY = {
    "not-found-wrong-status": "NOT-FOUND-404",
    "error-type-only-in-body": "ERROR-TYPE-HEADER",
    "error-without-body": "ERROR-SHAPE",
    "missing-required-output": "RESPONSE-SCHEMA",
    "timestamps-as-strings": "RESPONSE-SCHEMA",
    "client-token-ignored": "IDEMPOTENT-REPLAY",
    "replay-conflicts": "IDEMPOTENT-REPLAY",
    "replay-new-job-id": "IDEMPOTENT-REPLAY",
    "conflicting-replay-accepted": "IDEMPOTENT-CONFLICT",
    "status-moves-backwards": "JOB-STATUS-FORWARD",
    "ended-before-submitted": "JOB-ENDED-AT",
    "ended-at-while-running": "JOB-ENDED-AT",
    "completed-without-manifest": "MANIFEST-FILES",
    "manifest-drops-failures": "MANIFEST-ACCOUNTS-ALL",
    "broken-files-imported": "MANIFEST-OUTCOMES",
    "output-uri-not-resolved": "JOB-OUTPUT-URI",
    "validation-skipped": "INVALID-MEMBER-400",
    "unsigned-accepted": "AUTH-UNSIGNED",
    "signature-not-checked": "AUTH-BAD-SIGNATURE",
    "stale-date-accepted": "AUTH-STALE-DATE",
    "next-token-repeats": "PAGINATION-COMPLETE",
    "max-results-ignored": "PAGINATION-PAGE-SIZE",
    "tampered-token-accepted": "PAGINATION-TAMPERED-TOKEN",
    "list-filter-ignored": "LIST-FILTER",
    "malformed-json-500": "MALFORMED-BODY-400",
    "unknown-job-500": "NOT-FOUND-404",
    "quota-not-enforced": "QUOTA-402",
    "quota-as-throttling": "QUOTA-402",
    "concurrent-starts-duplicate": "IDEMPOTENT-CONCURRENT",
    "delete-with-image-sets": "DATASTORE-DELETE-GUARD",
    "throttle-every-nth": "THROTTLE-WITHIN-LIMITS",
    "slow-responses": "RESPONSE-TIME",
}


def test_every_fault_has_an_expected_check() -> None:
    assert set(CAUGHT_BY) == {fault.name for fault in FAULTS}


def test_the_correct_emulator_passes() -> None:
    record = execute(ServerOptions(seed=11))
    assert record.passed, record.failed_checks()
    assert len({outcome.check_id for outcome in record.outcomes}) >= 40


@pytest.mark.parametrize("fault", sorted(CAUGHT_BY))
def test_each_fault_fails_the_suite_with_its_check(fault: str) -> None:
    record = execute(ServerOptions(seed=11, faults=(fault,)))
    assert not record.passed
    assert CAUGHT_BY[fault] in record.failed_checks(), record.failed_checks()
