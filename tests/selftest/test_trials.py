"""Which trials a self-test runs, in which order, and how each is judged; no suite runs."""

from __future__ import annotations

from harness.emulator.faults import FAULTS_BY_NAME
from harness.sdk.bugs import caught_by
from harness.sdk.reference_bugs import BUGS
from harness.selftest.trials import (
    CLEAN,
    SDK_BUG,
    SERVER_FAULT,
    WAITING_FAULTS,
    Trial,
    Variant,
    _waits,
    variants,
    verdict,
)


def test_a_whole_self_test_runs_every_fault_and_bug_and_judges_the_clean_variants_on_all() -> None:
    chosen = variants(1)
    assert next(v.name for v in chosen if v.suite == "server") is None
    assert sorted(v.name for v in chosen if v.suite == "server" and v.name) == sorted(
        FAULTS_BY_NAME
    )
    assert [v.name for v in chosen if v.suite == "sdk"] == [None, *BUGS]
    assert all(v.only == () for v in chosen)


def test_a_narrowed_self_test_judges_the_clean_variants_on_what_catches_its_trials() -> None:
    faults, bugs = ["replay-new-job-id", "slow-responses"], ["namespace-kept", "no-token"]
    chosen = variants(1, faults, bugs)
    clean_server, clean_sdk = (v for v in chosen if v.name is None)
    assert clean_server.suite == "server" and clean_sdk.suite == "sdk"
    assert set(clean_server.only) == {FAULTS_BY_NAME[f].caught_by for f in faults}
    assert set(clean_sdk.only) == caught_by()["namespace-kept"] | caught_by()["no-token"]
    assert {v.name for v in chosen if v.name} == {*faults, *bugs}
    # Only faults named: every bug still runs, so the clean client is judged on everything.
    assert next(v for v in variants(1, faults) if v.suite == "sdk").only == ()


def test_a_fault_is_caught_only_when_exactly_its_check_fails() -> None:
    fault = "replay-new-job-id"
    declared = FAULTS_BY_NAME[fault].caught_by
    variant = Variant("server", fault, 1)
    exact = verdict(variant, Trial(fault, (declared,), 1.0, 2.0))
    reasons = ((declared, "GetDICOMImportJob: new id"), ("RESPONSE-TIME", "ListDatastores: 3 s"))
    beyond = verdict(variant, Trial(fault, (declared, "RESPONSE-TIME"), 1.0, 2.0, reasons))
    missed = verdict(variant, Trial(fault, (), None, 2.0))
    assert exact.check_id == SERVER_FAULT.id and exact.status == "passed"
    assert beyond.status == "failed" and missed.status == "failed"
    assert [e.note for e in beyond.evidence] == ["RESPONSE-TIME ListDatastores: 3 s"]
    assert "--check" in missed.message


def test_a_bug_is_caught_only_when_exactly_its_scenarios_fail() -> None:
    bug = "namespace-kept"
    declared = tuple(sorted(caught_by()[bug]))
    variant = Variant("sdk", bug, 1)
    assert verdict(variant, Trial(bug, declared, 1.0, 2.0)).status == "passed"
    short = verdict(variant, Trial(bug, declared[1:], 1.0, 2.0))
    assert short.check_id == SDK_BUG.id and short.status == "failed"
    assert declared[0] in short.message


def test_an_unmodified_variant_passes_only_when_nothing_failed() -> None:
    variant = Variant("server", None, 1)
    assert verdict(variant, Trial("unmodified emulator", (), None, 2.0)).status == "passed"
    flagged = verdict(variant, Trial("unmodified emulator", ("JOB-ENDS",), 1.0, 2.0))
    assert flagged.check_id == CLEAN.id and flagged.status == "failed"


def test_sdk_trials_and_the_slow_faults_run_in_the_waiting_pool() -> None:
    assert set(FAULTS_BY_NAME) >= WAITING_FAULTS
    waiting = {v.name for v in variants(1) if _waits(v)}
    assert waiting == {None, *BUGS, *WAITING_FAULTS}
    assert not _waits(Variant("server", None, 1))  # the unmodified emulator computes
