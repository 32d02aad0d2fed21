"""One server run: start the target if needed, set up, run the checks under a deadline."""

from __future__ import annotations

import multiprocessing
import platform
import random
import socket
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from importlib.metadata import version
from urllib.parse import urlsplit

from harness import __version__
from harness.checks import Source, register
from harness.emulator import Emulator, EmulatorConfig, Limits
from harness.model import load_pinned_model
from harness.report.har import Recording
from harness.report.record import Outcome, RunRecord
from harness.server import units
from harness.server.checks import conformance, service
from harness.server.context import PROFILES, SuiteContext, Target
from harness.server.environment import prepare, tear_down
from harness.server.options import ServerOptions
from harness.server.probe import Exchange, Probe
from harness.server.registry import load_checks
from harness.sigv4 import AwsCredentials
from harness.spec.build import build_spec

STEP = register(
    "SUITE-STEP",
    "harness",
    "Each step of the suite runs to its end (the target did not break it off)",
    Source.HARNESS,
    "an exception or the run's deadline stopped a step; its checks were not all judged",
)
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
        )
    finally:
        emulator.stop()


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
    """Run the whole suite; raises TargetUnreachable or SetupError before any check runs.

    With `options.workers` above 1 the units are spread over that many processes,
    each with its own data store and bucket, and their outcomes merged here.
    """
    load_checks()
    profile = PROFILES[options.profile]
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
        shares = units.spread(options.workers)
        if len(shares) == 1:
            results = [
                run_units(
                    target,
                    profile.name,
                    seed,
                    options.request_timeout,
                    shares[0],
                    progress,
                    recording.journal,
                )
            ]
        else:
            progress(f"spreading {len(units.ALL)} units over {len(shares)} worker processes")
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=len(shares), mp_context=context) as pool:
                futures = [
                    pool.submit(
                        run_units,
                        target,
                        profile.name,
                        seed,
                        options.request_timeout,
                        share,
                        None,
                        [] if recording.journal is not None else None,
                    )
                    for share in shares
                ]
                results = [future.result() for future in futures]
            for _, _, exchanges in results:
                recording.keep(exchanges)
        timings: list[float] = []
        for outcomes, elapsed, _ in results:
            for outcome in outcomes:
                record.add(outcome)
            timings += elapsed
        service.latency_of(record, timings)
        record.finished_at = time.time()
        return record


def run_units(
    target: Target,
    profile_name: str,
    seed: int,
    request_timeout: float,
    names: list[str],
    progress: Callable[[str], None] | None = None,
    journal: list[Exchange] | None = None,
) -> tuple[list[Outcome], list[float], list[Exchange] | None]:
    """Set up a data store and bucket of its own, run the named units, tear down.

    Runs in the calling process or in a worker; returns the outcomes, the answer
    times of every request it sent, and `journal` with every exchange of it
    appended (when the run is recorded). SetupError propagates.
    """
    profile = PROFILES[profile_name]
    record = RunRecord(kind="server", target={}, tool={}, seed=seed, profile=profile_name)
    probe = Probe(target.endpoint, target.credentials, target.region, request_timeout)
    probe.journal, probe.step = journal, "set-up"
    context = SuiteContext(target, probe, record, profile, seed)
    run_id = uuid.uuid4().hex[:12]
    context.environment = prepare(context, run_id)
    spec = build_spec(load_pinned_model())
    try:
        for name in names:
            for step_name, action in units.ALL[name](context, spec, run_id):
                if progress is not None:
                    progress(f"checking {step_name}")
                _step(context, step_name, action)
        conformance.validate_successes(context, spec)
    finally:
        probe.step = "tear-down"
        tear_down(context)
    return record.outcomes, [e.elapsed for e in probe.history if e.status is not None], journal


def _step(context: SuiteContext, name: str, action: Callable[[], object]) -> None:
    if context.remaining() <= 0:
        context.record.add(Outcome(STEP.id, name, "error", "the run's deadline passed first"))
        return
    started = time.monotonic()
    context.probe.step = name
    context.record.lap()
    try:
        action()
    except Exception as error:
        context.record.add(
            Outcome(
                STEP.id,
                name,
                "error",
                f"{type(error).__name__}: {error}\n" + traceback.format_exc(limit=5),
                duration=time.monotonic() - started,
            )
        )
        return
    context.record.add(Outcome(STEP.id, name, "passed", duration=time.monotonic() - started))
