"""One server run: start the target if needed, set up, run the checks under a deadline."""

from __future__ import annotations

import platform
import random
import socket
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any
from urllib.parse import urlsplit

from harness import __version__
from harness.checks import Source, register
from harness.emulator import Emulator, EmulatorConfig, Limits
from harness.model import load_pinned_model
from harness.report.record import Outcome, RunRecord
from harness.server.checks import auth, conformance, errors, jobs, listing, machine, service
from harness.server.context import PROFILES, SuiteContext, Target
from harness.server.environment import prepare, tear_down
from harness.server.probe import Probe
from harness.server.schema_phase import run_schema_phase
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
EMBEDDED_ROLE = "arn:aws:iam::123456789012:role/AhiContractImportRole"


class TargetUnreachable(Exception):
    """The target does not answer at all: the run cannot start."""


@dataclass
class ServerOptions:
    """What `ahi-contract server` was asked to do."""

    endpoint: str | None = None
    region: str = "us-east-1"
    credentials: AwsCredentials = field(default_factory=lambda: AwsCredentials("test", "test"))
    s3_endpoint: str | None = None
    s3_credentials: AwsCredentials | None = None
    role_arn: str = EMBEDDED_ROLE
    datastore_id: str | None = None
    job_quota: int | None = None
    profile: str = "quick"
    seed: int | None = None
    request_timeout: float = 15.0
    faults: tuple[str, ...] = ()


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
    exchange = probe.send("GET", "/datastore", query={"maxResults": 1})
    if exchange.status is None:
        raise TargetUnreachable(f"{probe.endpoint} did not answer: {exchange.error}")


def execute(
    options: ServerOptions, progress: Callable[[str], None] = lambda message: None
) -> RunRecord:
    """Run the whole suite; raises TargetUnreachable or SetupError before any check runs."""
    profile = PROFILES[options.profile]
    seed = options.seed if options.seed is not None else random.randrange(2**31)
    source = load_pinned_model()
    start_target = _given_target if options.endpoint else _embedded_target
    with start_target(options) as target:
        record = RunRecord(
            kind="server",
            target={
                "endpoint": target.endpoint,
                "embedded": options.endpoint is None,
                "faults": list(options.faults),
                "region": target.region,
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
        probe = Probe(target.endpoint, target.credentials, target.region, options.request_timeout)
        context = SuiteContext(target, probe, record, profile, seed)
        progress(f"target {target.endpoint} (profile {profile.name}, seed {seed})")
        preflight(probe)
        run_id = uuid.uuid4().hex[:12]
        context.environment = prepare(context, run_id)
        try:
            _run_checks(context, build_spec(source), run_id, progress)
        finally:
            tear_down(context)
        record.finished_at = time.time()
        return record


def _step(context: SuiteContext, name: str, action: Callable[[], object]) -> None:
    if context.remaining() <= 0:
        context.record.add(Outcome(STEP.id, name, "error", "the run's deadline passed first"))
        return
    started = time.monotonic()
    try:
        action()
    except Exception as error:
        context.record.add(
            Outcome(
                STEP.id,
                name,
                "error",
                f"{type(error).__name__}: {error}",
                duration=time.monotonic() - started,
            )
        )
        context.record.outcomes[-1].message += "\n" + traceback.format_exc(limit=5)
        return
    context.record.add(Outcome(STEP.id, name, "passed", duration=time.monotonic() - started))


def _run_checks(
    context: SuiteContext, spec: dict[str, Any], run_id: str, progress: Callable[[str], None]
) -> None:
    main_job: list[str] = []
    failing_job: list[str] = []

    def start_main() -> None:
        job = jobs.start(context, jobs.COMPLETES.id, "the import of the known DICOM set")
        if job:
            main_job.append(job)

    def start_failing() -> None:
        job = jobs.unreadable_input(context, run_id)
        if job:
            failing_job.append(job)

    def follow_main() -> None:
        if main_job:
            jobs.lifecycle_and_manifests(context, main_job[0])

    def follow_failing() -> None:
        if failing_job:
            jobs.check_failed_job(context, failing_job[0])

    steps: list[tuple[str, Callable[[], object]]] = [
        ("authentication", lambda: auth.run(context)),
        ("import of the DICOM set", start_main),
        ("import of a missing bucket", start_failing),
        ("errors and validation", lambda: errors.run(context)),
        ("idempotency", lambda: jobs.idempotency(context)),
        ("lifecycle and manifests", follow_main),
        ("failed import", follow_failing),
        ("listing", lambda: listing.run(context)),
        ("state machine", lambda: machine.run(context, run_id)),
        ("throttling", lambda: service.throttling(context)),
        ("quota", lambda: jobs.quota(context, run_id)),
        ("deletion guard", lambda: jobs.delete_guard(context)),
    ]
    for name, action in steps:
        progress(f"checking {name}")
        _step(context, name, action)
    progress("running schemathesis (examples, coverage, fuzzing, stateful)")
    _step(context, "schemathesis", lambda: run_schema_phase(context, spec))
    conformance.validate_successes(context, spec)
    service.latency(context, list(context.probe.history))
