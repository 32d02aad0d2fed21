"""One server run: start the target if needed, set up, run the checks under a deadline."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import platform
import random
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from importlib.metadata import version
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from harness import __version__
from harness.aws.sigv4 import AwsCredentials
from harness.emulator import Emulator, EmulatorConfig, Limits
from harness.imaging.known_set import silence_pydicom_warnings
from harness.model import load_pinned_model
from harness.report.har import Recording
from harness.report.record import Outcome, RunRecord
from harness.server import units
from harness.server.cleanup import Leftover, keep_requested
from harness.server.context import DEADLINE_PASSED, PROFILES, Profile, SuiteContext, Target
from harness.server.environment import (
    SetupError,
    TargetBroke,
    prepare,
    remove_lent,
    tear_down,
)
from harness.server.options import ServerOptions
from harness.server.probe import Exchange, Probe
from harness.server.registry import SUITE_STEP, Answered, RunTotals, answered
from harness.server.selection import Selection, UnknownCheck
from harness.spec.build import build_spec

EMBEDDED_JOB_QUOTA = 8


class TargetUnreachable(Exception):
    """The target does not answer at all: the run cannot start."""


@contextmanager
def _embedded_target(options: ServerOptions) -> Iterator[Target]:
    emulator = Emulator(
        EmulatorConfig(
            faults=options.faults,
            limits=Limits(
                concurrent_jobs_per_datastore=EMBEDDED_JOB_QUOTA,
                datastores=1_000_000,
                datastore_transition_seconds=0.2,
                job_start_delay_seconds=0.2,
            ),
        )
    ).start()
    try:
        yield Target(
            endpoint=emulator.url,
            region=options.region,
            credentials=AwsCredentials("test", "test"),
            s3_endpoint=emulator.s3_url,
            s3_credentials=AwsCredentials("test", "test"),
            role_arn=options.role_arn,
            datastore_id=options.datastore_id,
            job_quota=EMBEDDED_JOB_QUOTA,
            disposable=True,
        )
    finally:
        emulator.stop()


AWS_DOMAINS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")
"""Where the service and S3 live; a target elsewhere needs the S3 endpoint it imports from."""


@contextmanager
def _given_target(options: ServerOptions) -> Iterator[Target]:
    assert options.endpoint is not None
    yield Target(
        endpoint=options.endpoint,
        region=options.region,
        credentials=options.credentials,
        s3_endpoint=options.s3_endpoint,
        s3_credentials=options.s3_credentials or options.credentials,
        role_arn=options.role_arn,
        datastore_id=options.datastore_id,
        job_quota=options.job_quota,
    )


def _require_s3(target: Target) -> None:
    """Refuse a target outside AWS whose S3 was not given: it cannot be AWS S3."""
    host = urlsplit(target.endpoint).hostname or ""
    if target.s3_endpoint is None and not host.endswith(AWS_DOMAINS):
        raise SetupError(
            f"{target.endpoint} is not an AWS endpoint, so it imports DICOM files from an S3 "
            "of its own: pass that S3 endpoint with --s3-endpoint (or AWS_ENDPOINT_URL_S3); "
            "`ahi-contract emulator` prints it as `s3:`"
        )


def preflight(probe: Probe) -> None:
    """Fail fast, with one clear reason, when the target cannot be reached."""
    parts = urlsplit(probe.endpoint)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as error:
        raise TargetUnreachable(f"cannot connect to {host}:{port}: {error}") from None
    exchange = probe.call("ListDatastores", maxResults=1)
    if exchange.status is None:
        raise TargetUnreachable(f"{probe.endpoint} did not answer: {exchange.error}")


def execute(
    options: ServerOptions, progress: Callable[[str], None] = lambda message: None
) -> RunRecord:
    """Run the whole suite; raises UnknownCheck, TargetUnreachable or SetupError before any
    check runs.

    With `options.workers` above 1 the units are spread over that many processes,
    each with its own data store and bucket, and their outcomes merged here.
    """
    unknown = options.selection.unmatched(units.load_checks())
    if unknown:
        raise UnknownCheck(f"no check ID or family matches {', '.join(unknown)}")
    profile = PROFILES[options.profile]
    if options.max_examples is not None:
        profile = replace(
            profile, max_examples=options.max_examples, machine_examples=options.max_examples
        )
    seed = options.seed if options.seed is not None else random.randrange(2**31)
    source = load_pinned_model()
    start_target = _given_target if options.endpoint else _embedded_target
    with start_target(options) as target, Recording(options.record) as recording:
        for keys in (target.credentials, target.s3_credentials):
            recording.secrets += [keys.secret_key, keys.session_token]
        record = recording.record = RunRecord(
            kind="server",
            target={
                "endpoint": target.endpoint,
                "embedded": options.endpoint is None,
                "faults": list(options.faults),
                "selection": options.selection.as_json(),
                "region": target.region,
                "workers": options.workers,
                "s3Endpoint": options.s3_endpoint,
                "jobQuota": target.job_quota,
            },
            tool={
                "ahi-contract": __version__,
                "schemathesis": version("schemathesis"),
                "botocore": version("botocore"),
                "python": platform.python_version(),
                "modelSha256": source.sha256,
                "modelApiVersion": source.api_version,
            },
            seed=seed,
            profile=profile.name,
        )
        progress(f"target {target.endpoint} (profile {profile.name}, seed {seed})")
        first = Probe(target.endpoint, target.credentials, target.region, 10.0)
        first.journal, first.step = recording.journal, "preflight"
        preflight(first)
        if not target.disposable:
            _require_s3(target)
        record.shard = options.shard
        plan = Plan(profile, seed, options.request_timeout, options.selection)
        chosen = units.judging(plan.selection)
        if options.shard is not None:
            chosen = options.shard.pick(chosen)
            progress(f"shard {options.shard}: units {', '.join(chosen) or '(none)'}")
        shares = units.spread(options.workers, chosen)
        lent_left: list[Leftover] = []
        if len(shares) == 1:
            results = [run_units(target, plan, shares[0], progress, recording.journal)]
        else:
            progress(f"spreading {len(chosen)} units over {len(shares)} worker processes")
            with tempfile.TemporaryDirectory(prefix="ahi-contract-lent-") as folder:
                if target.datastore_id is not None and not target.disposable:
                    plan = replace(plan, lent_to=folder)
                try:
                    results = _in_workers(target, plan, shares, recording.journal is not None)
                except BaseException:
                    _name_left(_remove_lent(target, plan))
                    raise
                lent_left = _remove_lent(target, plan)
            for result in results:
                recording.keep(result.journal)
        answers: list[Answered] = []
        left: list[str] = [str(leftover) for leftover in lent_left]
        for result in results:
            for outcome in result.outcomes:
                record.add(outcome)
            answers += result.answers
            left += [str(leftover) for leftover in result.left]
        record.target["leftBehind"] = left
        totals = RunTotals(record, answers)
        for filed in units.at_run_end():
            if plan.selection.selects(filed.check):
                filed(totals)
        record.finished_at = time.time()
        return record


def _in_workers(target: Target, plan: Plan, shares: list[list[str]], journal: bool) -> list[Units]:
    """Run each share of the units in a process of its own. Workers ignore the terminal's
    SIGINT; on SIGINT or SIGTERM here each worker is told once (SIGUSR1) to stop its units
    and remove what it made, and the pool waits for that before the run ends."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=len(shares), mp_context=context, initializer=_worker_start
    ) as pool:
        try:
            with _spawning_workers():
                futures = [
                    pool.submit(_run_share, target, plan, share, [] if journal else None)
                    for share in shares
                ]
            return [future.result() for future in futures]
        except KeyboardInterrupt:
            for process in list(getattr(pool, "_processes", {}).values()):
                with contextlib.suppress(OSError):
                    os.kill(process.pid, signal.SIGUSR1)
            raise


@contextmanager
def _spawning_workers() -> Iterator[None]:
    """While workers are spawned, SIGINT is ignored (they keep that across exec) and SIGUSR1
    blocked (they keep the mask; `_worker_start` unblocks it once its handler is in)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})
        signal.signal(signal.SIGINT, previous)


_worker = {"phase": "idle", "stop": False}
"""A worker's state: its phase (idle, running a share, cleaning up) and whether the parent
asked it to stop before its share began."""


def _worker_start() -> None:
    """A worker's start: the terminal's SIGINT is the parent's to handle; SIGUSR1 from the
    parent stops the share it runs, once, and never its clean-up."""
    silence_pydicom_warnings()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGUSR1, _stop_share)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})


def _stop_share(signum: int, frame: object) -> None:
    if _worker["phase"] == "running":
        _worker["phase"] = "stopping"
        raise KeyboardInterrupt
    if _worker["phase"] in ("idle", "making"):
        _worker["stop"] = True


@contextmanager
def _making() -> Iterator[None]:
    """Around a request that makes something (`SuiteContext.making`): a stop (the parent's
    SIGUSR1 in a worker, a first SIGINT or SIGTERM in the main thread) waits until its
    answer is read, so that what it made is known and removed at tear-down."""
    running = _worker["phase"] == "running"
    if running:
        _worker["phase"] = "making"
    try:
        with _sheltered():
            yield
    finally:
        if running:
            _worker["phase"] = "running"
            if _worker["stop"]:
                _worker["stop"] = False
                _worker["phase"] = "stopping"
                raise KeyboardInterrupt


def _cleaning_up() -> None:
    """From here on a worker's SIGUSR1 no longer interrupts: what the run made is removed."""
    if _worker["phase"] != "idle":
        _worker["phase"] = "cleaning"


def _run_share(
    target: Target, plan: Plan, names: list[str], journal: list[Exchange] | None
) -> Units:
    """`run_units` in a worker, stopped by SIGUSR1 until its clean-up begins."""
    if _worker["stop"]:
        raise KeyboardInterrupt
    _worker["phase"] = "running"
    try:
        return run_units(target, plan, names, None, journal)
    finally:
        _worker["phase"] = "idle"


@dataclass(frozen=True)
class Units:
    """What a share of the units gives back: the selected checks' outcomes, every request
    answered, the exchanges when the run is recorded, and what tear-down could not
    remove."""

    outcomes: list[Outcome]
    answers: list[Answered]
    journal: list[Exchange] | None
    left: list[Leftover]


@dataclass(frozen=True)
class Plan:
    """What every unit of a run shares, in whichever process it runs."""

    profile: Profile
    seed: int
    request_timeout: float
    selection: Selection
    lent_to: str | None = None
    """Where workers sharing a lent data store write down the image sets they made there,
    for the parent to delete once every worker has ended (`environment.remove_lent`)."""


def run_units(
    target: Target,
    plan: Plan,
    names: list[str],
    progress: Callable[[str], None] | None = None,
    journal: list[Exchange] | None = None,
) -> Units:
    """Set up a data store and bucket of its own, run the named units, tear down.

    Runs in the calling process or in a worker. Only steps that judge a selected check
    run (every step, when an ambient check is selected). A set-up stopped by an answer
    that broke a rule is that check's failure, whatever the selection; other set-up
    errors (SetupError) propagate, after tear-down. Tear-down runs however the units
    end, an interrupt included.
    """
    record = RunRecord(kind="server", target={}, tool={}, seed=plan.seed, profile=plan.profile.name)
    probe = Probe(target.endpoint, target.credentials, target.region, plan.request_timeout)
    probe.journal, probe.step = journal, "set-up"
    context = SuiteContext(target, probe, record, plan.profile, plan.seed)
    context.run_id = uuid.uuid4().hex[:12]
    context.making = _making
    try:
        context.environment = prepare(context, context.run_id)
    except TargetBroke as broke:
        context.verdict(broke.check.id, broke.subject, False, broke.message, *broke.exchanges)
        return Units(record.outcomes, [], journal, _tear_down(context, plan))
    except BaseException:
        _name_left(_tear_down(context, plan))
        raise
    selection = plan.selection
    try:
        # A stop that lands while the spec is built (modules imported, dataclasses made)
        # must not skip tear-down either.
        context.spec = build_spec(load_pinned_model())
        every_step = selection.selects_any(units.ambient())
        for name in names:
            for step in units.steps(name, context):
                if not every_step and not selection.selects_any(step.judges):
                    continue
                if progress is not None:
                    progress(f"checking {step.name}")
                _step(context, step)
        for judged in units.at_end():
            if selection.selects(judged.check):
                judged(context)
        _cleaning_up()  # a worker's stop from here on no longer skips the tear-down below
    except BaseException:
        _name_left(_tear_down(context, plan))
        raise
    if progress is not None and not target.disposable and not keep_requested():
        progress("removing what the run made")
    left = _tear_down(context, plan)
    outcomes = [
        outcome
        for outcome in record.outcomes
        if outcome.check_id == SUITE_STEP.id or selection.selects(outcome.check)
    ]
    return Units(outcomes, answered(context.model), journal, left)


def _tear_down(context: SuiteContext, plan: Plan) -> list[Leftover]:
    """`tear_down`, which neither a worker's stop nor a first SIGINT or SIGTERM interrupts."""
    _cleaning_up()
    context.probe.step = "tear-down"
    with _sheltered():
        return tear_down(context, Path(plan.lent_to) if plan.lent_to else None)


def _remove_lent(target: Target, plan: Plan) -> list[Leftover]:
    """The parent's share of clean-up in a lent data store, once every worker has ended."""
    if plan.lent_to is None:
        return []
    with _sheltered():
        return remove_lent(target, plan.request_timeout, Path(plan.lent_to))


@contextmanager
def _sheltered() -> Iterator[None]:
    """In the main thread, a first SIGINT or SIGTERM while the block runs is noted and its
    handler run once the block is over; a second runs it at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before: dict[int, Any] = {
        number: signal.getsignal(number)
        for number in (signal.SIGINT, signal.SIGTERM)
        if callable(signal.getsignal(number))
    }
    noted: list[int] = []

    def note(number: int, frame: FrameType | None) -> None:
        if noted:
            before[number](number, frame)
        noted.append(number)
        print(
            "removing what the run made; send the signal again to stop at once",
            file=sys.stderr,
            flush=True,
        )

    for number in before:
        signal.signal(number, note)
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
    if noted:
        before[noted[0]](noted[0], None)


def _name_left(left: list[Leftover]) -> None:
    """Name on stderr what a run that did not finish left on its target (a finished run's
    report holds it)."""
    for leftover in left:
        print(f"left on the target: {leftover}", file=sys.stderr, flush=True)


def _step(context: SuiteContext, step: units.Step) -> None:
    if context.remaining() <= 0:
        context.record.add(Outcome(SUITE_STEP.id, step.name, "error", DEADLINE_PASSED))
        return
    started = time.monotonic()
    before = len(context.record.outcomes)
    context.probe.step = step.name
    context.record.lap()
    try:
        step.action()
    except Exception as error:
        context.record.add(
            Outcome(
                SUITE_STEP.id,
                step.name,
                "error",
                f"{type(error).__name__}: {error}\n" + traceback.format_exc(limit=5),
                duration=time.monotonic() - started,
            )
        )
        return
    undeclared = sorted(
        {o.check_id for o in context.record.outcomes[before:]}
        - {*step.judges, *units.ambient(), SUITE_STEP.id}
    )
    context.record.add(
        Outcome(
            SUITE_STEP.id,
            step.name,
            "error" if undeclared else "passed",
            f"the step judged checks it does not declare (--check would skip it): {undeclared}"
            if undeclared
            else "",
            duration=time.monotonic() - started,
        )
    )
