"""The suite in independent units: each sets nothing up that another unit needs.

A unit is a list of named steps on one context. Run serially, every unit
shares one data store; with `--workers`, units are spread over processes that
each prepare their own. The job scenario group stays one unit because its
steps build on each other (the listing checks count the jobs it started).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.server.checks import jobs, listing, machine
from harness.server.context import SuiteContext
from harness.server.registry import ServerCheck, checks_in
from harness.server.schema_phase import run_schema_phase

Step = tuple[str, Callable[[], object]]
Unit = Callable[[SuiteContext, dict[str, Any], str], list[Step]]


def jobs_unit(context: SuiteContext, spec: dict[str, Any], run_id: str) -> list[Step]:
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

    return [
        ("import of the DICOM set", start_main),
        ("import of a missing bucket", start_failing),
        ("idempotency", lambda: jobs.idempotency(context)),
        ("lifecycle and manifests", follow_main),
        ("failed import", follow_failing),
        ("listing", lambda: listing.run(context)),
        ("deletion guard", lambda: jobs.delete_guard(context)),
    ]


def machine_unit(context: SuiteContext, spec: dict[str, Any], run_id: str) -> list[Step]:
    return [("state machine", lambda: machine.run(context, run_id))]


def quota_unit(context: SuiteContext, spec: dict[str, Any], run_id: str) -> list[Step]:
    return [("quota", lambda: jobs.quota(context, run_id))]


def schema_unit(context: SuiteContext, spec: dict[str, Any], run_id: str) -> list[Step]:
    return [("schemathesis", lambda: run_schema_phase(context, spec))]


def _step(context: SuiteContext, check: ServerCheck) -> Step:
    return (check.check.id, lambda: check(context))


def registered(name: str) -> Unit:
    """A unit made of the checks filed under `name`, in definition order."""

    def unit(context: SuiteContext, spec: dict[str, Any], run_id: str) -> list[Step]:
        return [_step(context, check) for check in checks_in(name)]

    return unit


ALL: dict[str, Unit] = {
    "schemathesis": schema_unit,
    "jobs": jobs_unit,
    "image sets": registered("image sets"),
    "state machine": machine_unit,
    "protocol": registered("protocol"),
    "quota": quota_unit,
}


def spread(workers: int) -> list[list[str]]:
    """The unit names for each worker, costliest units first, round robin."""
    count = max(1, min(workers, len(ALL)))
    shares: list[list[str]] = [[] for _ in range(count)]
    for index, name in enumerate(ALL):
        shares[index % count].append(name)
    return shares
