"""Certify one SDK: every scenario through its adapter against the loopback stub."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import harness
from harness.arguments.shard import Shard
from harness.checks import Source, register
from harness.report.record import Outcome, RunRecord
from harness.sdk.bundled import ADAPTERS_DIR as ADAPTERS_DIR  # where the bundled adapters live
from harness.sdk.bundled import BUNDLED
from harness.sdk.judge import judge
from harness.sdk.protocol import (
    RETRIES_2026,
    STANDARD,
    TYPED,
    Adapter,
    AdapterBroken,
    AdapterNotStarted,
    SubprocessAdapter,
    call_config,
    declared_errors,
    declared_retries,
)
from harness.sdk.reference_adapter import InProcessReference
from harness.sdk.scenarios import Scenario, load_catalogue
from harness.sdk.stub import StubServer

ADAPTER_RUN = register(
    "SDK-ADAPTER",
    "sdk-adapter",
    "The adapter greets, answers every call in time with one JSON line, and exits when asked",
    Source.HARNESS,
    "docs/sdk-adapter-protocol.md, version 1.1",
)
KNOWN_DEVIATION_STALE = register(
    "SDK-KNOWN-DEVIATIONS",
    "sdk-adapter",
    "The adapter's known-deviations list matches what the SDK does, entry for entry",
    Source.HARNESS,
    "the adapter's known-deviations.json (bundled: harness/sdk/adapters/<name>/)",
)
RETRY_BEHAVIOUR = register(
    "SDK-RETRY-BEHAVIOUR",
    "sdk-retries",
    "Without the AWS_NEW_RETRIES_2026=true opt-in the SDK runs the standard retry behaviour "
    "(the greeting's `retries` is `standard` or absent)",
    Source.AWS_CONVENTION,
    "botocore 1.43 configprovider.py: NEW_RETRIES_ENABLED only with AWS_NEW_RETRIES_2026=true; "
    "docs/sdk-adapter-protocol.md, Process (the greeting's `retries`)",
)
ERROR_TYPES = register(
    "SDK-ERROR-TYPES",
    "sdk-errors",
    "The SDK raises a type of its own for each modeled error (the greeting's `errors` is "
    "`typed` or absent), so that callers can tell errors apart by type, not only by code",
    Source.AWS_CONVENTION,
    "AWS SDKs generate an exception type per modeled error (botocore client.exceptions, the "
    "JS v3 clients' exported classes); docs/sdk-adapter-protocol.md, Process (the greeting's "
    "`errors`)",
)


@dataclass(frozen=True)
class KnownDeviation:
    """A scenario a real SDK fails, and why."""

    scenario: str
    observed: str
    why: str
    where: str


def load_known(source: str | Path | None) -> dict[str, KnownDeviation]:
    """A known-deviations list: a bundled adapter's (by name) or any file (by path)."""
    if source is None:
        return {}
    path = BUNDLED[source].known_deviations if source in BUNDLED else Path(source)
    if not path.exists():
        return {}
    entries = json.loads(path.read_text(encoding="utf-8"))
    return {entry["scenario"]: KnownDeviation(**entry) for entry in entries}


def open_adapter(spec: str, retries_2026: bool = False) -> tuple[Adapter, str | None]:
    """`reference`, a bundled adapter name, or a command line; and its deviations list name.

    `retries_2026` starts it with `AWS_NEW_RETRIES_2026=true` in its environment.
    """
    if spec == "reference":
        return InProcessReference(retries_2026), None
    if spec in BUNDLED:
        return SubprocessAdapter(BUNDLED[spec].command, retries_2026=retries_2026), spec
    return SubprocessAdapter(spec, retries_2026=retries_2026), None


def certify(
    adapter_spec: str,
    scenarios: list[Scenario] | None = None,
    progress: Callable[[str], None] = lambda message: None,
    call_timeout: float = 10.0,
    known_deviations: Path | None = None,
    retries_2026: bool = False,
    shard: Shard | None = None,
) -> RunRecord:
    """Run `scenarios` (default: the whole catalogue), or `shard`'s part of them, through
    one adapter.

    `known_deviations` replaces the bundled adapter's list (any adapter may have one).
    `retries_2026` asks for the 2026 retry behaviour (`AWS_NEW_RETRIES_2026=true`);
    scenarios that depend on it follow the behaviour the adapter's greeting declares.
    An SDK whose greeting declares one error type told apart by code (`errors: code`) is
    judged on each error's code, message and status, not on `modeled`; SDK-ERROR-TYPES
    reports the declaration.

    `call_timeout` is each call's `timeoutSeconds`; an adapter silent for that
    plus 10 s is reported as hung and the run ends. An adapter that cannot start, or
    exits before it greets, raises `AdapterNotStarted`: there is nothing to report on.
    """
    scenarios = scenarios if scenarios is not None else list(load_catalogue())
    if shard is not None:
        scenarios = shard.pick(scenarios)
    record = RunRecord(
        kind="sdk",
        target={"adapter": adapter_spec},
        tool={"ahi-contract": harness.__version__, "python": platform.python_version()},
        seed=None,
        profile=None,
        shard=shard,
    )
    stub = StubServer().start()
    try:
        try:
            adapter, known_name = open_adapter(adapter_spec, retries_2026)
        except AdapterNotStarted:
            raise
        except AdapterBroken as error:
            record.add(Outcome(ADAPTER_RUN.id, adapter_spec, "error", str(error)))
            record.aborted = str(error)
            return record
        record.target["sdk"] = adapter.greeting
        behaviour = declared_retries(adapter.greeting)
        record.target["retries"] = {"asked": RETRIES_2026 if retries_2026 else STANDARD}
        record.target["retries"]["declared"] = behaviour
        typing = declared_errors(adapter.greeting)
        record.target["errors"] = typing
        subject = str(adapter.greeting.get("sdk", adapter_spec))
        known = load_known(known_deviations or known_name)
        progress(
            f"{subject} {adapter.greeting.get('version', '')}: {len(scenarios)} scenarios, "
            f"{behaviour} retry behaviour"
            + ("" if typing == TYPED else ", one error type told apart by code")
        )
        applied = [scenario.for_retries(behaviour).for_errors(typing) for scenario in scenarios]
        broken = _run_scenarios(record, adapter, applied, stub, subject, known, call_timeout)
        adapter.close()
        if broken is None:
            record.add(Outcome(ADAPTER_RUN.id, subject, "passed"))
        ran = {s.id for s in scenarios}
        if not retries_2026:
            _check_declared(
                record,
                RETRY_BEHAVIOUR.id,
                None
                if behaviour == STANDARD
                else f"the greeting declares the {behaviour} retry behaviour without the opt-in",
                subject,
                known,
            )
            ran.add(RETRY_BEHAVIOUR.id)
        _check_declared(
            record,
            ERROR_TYPES.id,
            None
            if typing == TYPED
            else "the greeting declares one error type for every service error, told apart "
            "by code (errors: code)",
            subject,
            known,
        )
        ran.add(ERROR_TYPES.id)
        _check_known(record, known, subject, ran)
    finally:
        stub.stop()
        record.finished_at = time.time()
    return record


def scenario_config(scenario: Scenario, stub: StubServer, call_timeout: float) -> dict[str, Any]:
    """The `config` of each of a scenario's calls (adapter protocol 1.1)."""
    resolution = scenario.resolution
    settings: dict[str, Any] = {}
    if resolution is not None:
        settings = {
            "region": resolution.region,
            "use_fips": resolution.use_fips,
            "use_dualstack": resolution.use_dualstack,
        }
    return call_config(
        stub.url if resolution is None else resolution.endpoint,
        scenario.max_attempts,
        scenario.timeout if scenario.timeout is not None else call_timeout,
        host_prefix=scenario.host_prefix,
        proxy=stub.url if scenario.proxied else None,
        client_id=scenario.id if scenario.shared_client else None,
        short_backoff=scenario.short_backoff,
        **settings,
    )


def _run_scenarios(
    record: RunRecord,
    adapter: Adapter,
    scenarios: list[Scenario],
    stub: StubServer,
    subject: str,
    known: dict[str, KnownDeviation],
    call_timeout: float,
) -> str | None:
    call_id = 0
    for index, scenario in enumerate(scenarios):
        stub.script(scenario.replies)
        answers: list[dict[str, Any]] = []
        started = time.monotonic()
        try:
            for call in range(scenario.calls):
                stub.call = call
                call_id += 1
                config = scenario_config(scenario, stub, call_timeout)
                answers.append(
                    adapter.call(call_id, scenario.operation, dict(scenario.params), config)
                )
        except AdapterBroken as error:
            message = str(error)
            record.add(Outcome(ADAPTER_RUN.id, subject, "error", message))
            for rest in scenarios[index:]:
                record.add(Outcome(rest.id, subject, "error", f"not run: {message}"))
            record.aborted = message
            return message
        outcome = judge(scenario, subject, answers, list(stub.requests))
        outcome.duration = time.monotonic() - started
        deviation = known.get(scenario.id)
        if outcome.status == "failed" and deviation is not None:
            outcome.status = "deviation"
            outcome.message = (
                f"known deviation: {deviation.observed} — {deviation.why} "
                f"({deviation.where}); observed: {outcome.message}"
            )
        record.add(outcome)
    return None


def _check_declared(
    record: RunRecord,
    check_id: str,
    problem: str | None,
    subject: str,
    known: dict[str, KnownDeviation],
) -> None:
    """A check of what the greeting declares (SDK-RETRY-BEHAVIOUR without the opt-in,
    SDK-ERROR-TYPES): passed without a `problem`, else failed or a listed deviation."""
    if problem is None:
        record.add(Outcome(check_id, subject, "passed"))
        return
    deviation = known.get(check_id)
    if deviation is None:
        record.add(Outcome(check_id, subject, "failed", problem))
        return
    record.add(
        Outcome(
            check_id,
            subject,
            "deviation",
            f"known deviation: {deviation.observed} — {deviation.why} ({deviation.where}); "
            f"observed: {problem}",
        )
    )


def _check_known(
    record: RunRecord, known: dict[str, KnownDeviation], subject: str, ran: set[str]
) -> None:
    if not known:
        return
    deviating = {o.check_id for o in record.outcomes if o.status == "deviation"}
    stale = sorted(set(known) & ran - deviating)
    unknown = sorted(
        set(known)
        - {scenario.id for scenario in load_catalogue()}
        - {RETRY_BEHAVIOUR.id, ERROR_TYPES.id}
    )
    problems = []
    if stale:
        problems.append(f"listed but the SDK now passes: {stale}")
    if unknown:
        problems.append(f"listed scenarios that do not exist: {unknown}")
    record.add(
        Outcome(
            KNOWN_DEVIATION_STALE.id,
            subject,
            "failed" if problems else "passed",
            "; ".join(problems),
        )
    )
