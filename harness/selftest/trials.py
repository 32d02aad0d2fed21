"""The harness proves its power: every emulator fault and every SDK bug must be caught.

The whole server suite (profile quick) runs against the unmodified emulator
and must pass (with `--fault`, the checks of the faults named). Against the
emulator with each fault alone it runs the steps that judge the check the
fault declares (`Fault.caught_by`), as the replay command of a failed run's
report does (`--check`), and the fault is caught when exactly that check
fails: no other step breaks on it. The SDK suite runs the reference adapter
without bugs (with `--bug`, the scenarios the bugs named declare) and with
each bug, through the whole catalogue; a bug is caught when exactly the
scenarios it declares fail (`harness.sdk.bugs.caught_by`).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import resource
import sys
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from typing import Literal

from harness import __version__
from harness.arguments.shard import Shard
from harness.checks import Source, register
from harness.emulator.faults import FAULTS_BY_NAME
from harness.imaging.known_set import silence_pydicom_warnings
from harness.report.record import Evidence, Outcome, RunRecord
from harness.sdk.bugs import caught_by
from harness.sdk.reference_bugs import BUGS
from harness.sdk.runner import certify
from harness.sdk.scenarios import BY_ID
from harness.selftest.pool import RecyclingPool
from harness.server import units
from harness.server.context import DEADLINE_PASSED
from harness.server.options import ServerOptions
from harness.server.runner import execute
from harness.server.selection import Selection

SERVER_FAULT = register(
    "SELFTEST-SERVER-FAULT",
    "selftest",
    "Against the emulator with this fault, the server suite run with --check of the check "
    "the fault declares (the report's replay command) fails that check and nothing else",
    Source.HARNESS,
    "harness/emulator/faults.py: Fault.caught_by",
)
SDK_BUG = register(
    "SELFTEST-SDK-BUG",
    "selftest",
    "The SDK suite fails the reference client carrying this bug on exactly the scenarios "
    "the bug declares",
    Source.HARNESS,
    "harness/sdk/bugs.py: caught_by",
)
CLEAN = register(
    "SELFTEST-CLEAN",
    "selftest",
    "The unmodified emulator and reference client pass their suites",
    Source.HARNESS,
    "nothing correct is flagged",
)
REFERENCE_ADAPTER = f"{sys.executable} -m harness.sdk.reference_adapter"
TRIALS_PER_PROCESS = 1
"""Trials a worker process runs before a fresh one replaces it (`RecyclingPool`): one, as
a worker that ran two trials holds about 80 MB more than one that ran one."""
SDK_RUNS_PER_WORKER = 2
"""Waiting trials side by side per worker: SDK trials spend most of their time waiting
(retry back-off, timeouts), not computing."""
WAITING_FAULTS = frozenset({"slow-responses", "empty-import-never-ends"})
"""Faults whose server trial mostly waits (every answer two seconds late; a job that never
ends, watched until the run's bound): they run beside the SDK trials, not in the pool of
server trials that compute."""


@dataclass(frozen=True)
class Trial:
    """One suite run against one variant: what failed, and how soon."""

    variant: str
    failed_checks: tuple[str, ...]
    seconds_to_kill: float | None
    wall_seconds: float
    reasons: tuple[tuple[str, str], ...] = ()
    """Each failed check with the message of its first failure, shown when the trial
    fails more than its variant declares."""
    peak_rss_mib: float = 0.0
    """The largest resident set of the process that ran the trial, in MiB."""


def server_trial(fault: str | None, seed: int, checks: tuple[str, ...] = ()) -> Trial:
    """The quick server suite against the emulator with `fault`: for the unmodified emulator
    (None) the whole suite, or only `checks`; for a fault, the run its report's replay
    command makes, the steps that judge the check the fault declares (`--check`). Steps the
    run's deadline kept from running are not failures here: a fault that slows the target
    shows on the rule it breaks (RESPONSE-TIME), and the steps it delays are not broken by
    it."""
    started = time.monotonic()
    selection = Selection((FAULTS_BY_NAME[fault].caught_by,)) if fault else Selection(checks)
    record = execute(
        ServerOptions(seed=seed, faults=(fault,) if fault else (), selection=selection)
    )
    broken = {
        outcome.check_id
        for outcome in record.outcomes
        if outcome.status in ("failed", "error") and outcome.message != DEADLINE_PASSED
    }
    return Trial(
        fault or "unmodified emulator",
        tuple(sorted(broken)),
        record.seconds_to_first_failure(),
        time.monotonic() - started,
        _reasons(record, broken),
    )


def sdk_trial(bug: str | None, scenarios: tuple[str, ...] = ()) -> Trial:
    """The SDK suite through the reference adapter with `bug` (None: unmodified, through
    only `scenarios` when some are named)."""
    started = time.monotonic()
    chosen = [BY_ID[scenario] for scenario in scenarios] if scenarios else None
    record = certify(f"{REFERENCE_ADAPTER} --bug {bug}" if bug else REFERENCE_ADAPTER, chosen)
    failed = record.failed_checks()
    return Trial(
        bug or "unmodified reference client",
        tuple(failed),
        record.seconds_to_first_failure(),
        time.monotonic() - started,
        _reasons(record, set(failed)),
    )


def _reasons(record: RunRecord, failed: set[str]) -> tuple[tuple[str, str], ...]:
    first: dict[str, str] = {}
    for outcome in record.outcomes:
        if outcome.check_id in failed and outcome.status in ("failed", "error"):
            first.setdefault(outcome.check_id, f"{outcome.subject}: {outcome.message}")
    return tuple(sorted(first.items()))


def _kill_note(trial: Trial) -> str:
    kill = f"first failure after {trial.seconds_to_kill:.1f} s" if trial.seconds_to_kill else ""
    return f"{kill}, run {trial.wall_seconds:.1f} s; failed: {', '.join(trial.failed_checks)}"


@dataclass(frozen=True)
class Variant:
    """What one trial runs: the server suite against the emulator with a fault, or the SDK
    suite against the reference client with a bug (`name` None: unmodified)."""

    suite: Literal["server", "sdk"]
    name: str | None
    seed: int
    only: tuple[str, ...] = ()
    """The unmodified variant's checks (server) or scenarios (sdk) when a self-test is
    narrowed to some faults or bugs: those that catch them (empty: all)."""


def variants(
    seed: int, only_faults: list[str] | None = None, only_bugs: list[str] | None = None
) -> list[Variant]:
    """Every trial of a self-test, in the one order `--shard` divides, costliest first so
    that shards and workers share the cost: the unmodified emulator; each fault whose check
    is judged once every step has run (it may then wait, as JOB-ENDS and RESPONSE-TIME do),
    then each whose check is judged on every answer (every step runs), then the others; the
    unmodified client; each bug. Narrowed to some faults (bugs), the unmodified emulator
    (client) is judged on what catches them."""
    after_every_step = {judge.check.id for judge in units.at_end()}
    after_every_step |= {judge.check.id for judge in units.at_run_end()}
    ambient = set(units.ambient())

    def cost(fault: str) -> int:
        check = FAULTS_BY_NAME[fault].caught_by
        return 0 if check in after_every_step else 1 if check in ambient else 2

    faults = sorted(FAULTS_BY_NAME if only_faults is None else only_faults, key=cost)
    bugs = BUGS if only_bugs is None else only_bugs
    checks = {FAULTS_BY_NAME[fault].caught_by for fault in only_faults or ()}
    scenarios = {scenario for bug in only_bugs or () for scenario in caught_by()[bug]}
    return [
        Variant("server", None, seed, tuple(sorted(checks))),
        *(Variant("server", fault, seed) for fault in faults),
        Variant("sdk", None, seed, tuple(sorted(scenarios))),
        *(Variant("sdk", bug, seed) for bug in bugs),
    ]


def run_trial(variant: Variant) -> Trial:
    """Run one variant's suite (in a worker process), then give what it freed back to the
    system."""
    silence_pydicom_warnings()
    try:
        if variant.suite == "server":
            trial = server_trial(variant.name, variant.seed, variant.only)
        else:
            trial = sdk_trial(variant.name, variant.only)
    finally:
        _release_memory()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return replace(trial, peak_rss_mib=round(peak, 1))


def _release_memory() -> None:
    """Collect garbage and, with glibc, return freed heap pages to the system
    (`malloc_trim`): a server run frees much more than it keeps."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _waits(variant: Variant) -> bool:
    """Whether the trial mostly waits: an SDK trial, or a fault of `WAITING_FAULTS`."""
    return variant.suite == "sdk" or variant.name in WAITING_FAULTS


def verdict(variant: Variant, trial: Trial) -> Outcome:
    """The self-test's outcome for one trial."""
    if variant.name is None:
        status = "failed" if trial.failed_checks else "passed"
        return Outcome(
            CLEAN.id,
            trial.variant,
            status,
            _kill_note(trial),
            _why(trial, set()),
            duration=trial.wall_seconds,
        )
    if variant.suite == "server":
        expected = FAULTS_BY_NAME[variant.name].caught_by
        exact = trial.failed_checks == (expected,)
        message = (
            _kill_note(trial)
            if exact
            else f"not caught by {expected} alone: "
            + (_kill_note(trial) if trial.failed_checks else f"--check {expected} passed")
        )
        status = "passed" if exact else "failed"
        return Outcome(
            SERVER_FAULT.id,
            variant.name,
            status,
            message,
            _why(trial, {expected}),
            duration=trial.wall_seconds,
        )
    declared = caught_by()[variant.name]
    failed = set(trial.failed_checks)
    message = (
        _kill_note(trial)
        if failed == declared
        else f"expected exactly {len(declared)} scenarios to fail; not failing: "
        f"{sorted(declared - failed)[:5]}; failing beyond them: "
        f"{sorted(failed - declared)[:5]}"
    )
    status = "passed" if failed == declared else "failed"
    return Outcome(
        SDK_BUG.id,
        variant.name,
        status,
        message,
        _why(trial, declared),
        duration=trial.wall_seconds,
    )


def _why(trial: Trial, declared: Collection[str]) -> list[Evidence]:
    """What the checks a trial failed beyond the declared ones said."""
    return [
        Evidence(note=f"{check} {reason}")
        for check, reason in trial.reasons
        if check not in declared
    ]


def run(
    seed: int = 1,
    workers: int = 3,
    progress: Callable[[str], None] = lambda message: None,
    only_faults: list[str] | None = None,
    only_bugs: list[str] | None = None,
    shard: Shard | None = None,
) -> RunRecord:
    """Every fault and bug (or only those named), and the unmodified variants, judged;
    with `shard`, only that part of the trials."""
    record = RunRecord(
        kind="selftest",
        target={"workers": workers, "onlyFaults": only_faults, "onlyBugs": only_bugs},
        tool={"ahi-contract": __version__},
        seed=seed,
        profile="quick",
        shard=shard,
    )
    chosen = variants(seed, only_faults, only_bugs)
    if shard is not None:
        chosen = shard.pick(chosen)
    waits = [_waits(variant) for variant in chosen]
    progress(
        f"{waits.count(False)} server runs on {workers} processes and {waits.count(True)} "
        f"runs that mostly wait (SDK runs, slow faults) on {workers * SDK_RUNS_PER_WORKER}"
    )
    with (
        RecyclingPool(run_trial, workers, TRIALS_PER_PROCESS) as computing_pool,
        RecyclingPool(run_trial, workers * SDK_RUNS_PER_WORKER, TRIALS_PER_PROCESS) as waiting_pool,
    ):
        computing = iter(computing_pool.map([v for v in chosen if not _waits(v)]))
        waiting = iter(waiting_pool.map([v for v in chosen if _waits(v)]))
        ordered = [next(waiting if w else computing) for w in waits]
        peak = 0.0
        for variant, future in zip(chosen, ordered, strict=True):
            trial = future.result()
            progress(f"{variant.suite} suite vs {trial.variant}")
            record.add(verdict(variant, trial))
            peak = max(peak, trial.peak_rss_mib)
    record.target["workerPeakRssMiB"] = peak
    progress(f"largest trial process: {peak:.0f} MiB resident")
    record.finished_at = time.time()
    return record
