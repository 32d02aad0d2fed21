"""Data stores: what CREATING and DELETING announce follows; one that holds image sets cannot
be deleted."""

from __future__ import annotations

import time
import uuid

from harness.checks import Check, Source
from harness.server.context import SuiteContext
from harness.server.expect import expect_error
from harness.server.probe import Exchange
from harness.server.registry import Unit, server_check
from harness.server.run_model import NOT_FOUND
from harness.server.scenes.imaging import (
    scene_of,
    subject_ok,
)


@server_check(
    "DATASTORE-DELETE-GUARD",
    "lifecycle",
    "A data store that holds image sets cannot be deleted (409 ConflictException)",
    Source.SERVICE_DOCS,
    "developer guide 'Deleting a data store'",
    unit=Unit.DELETION_GUARD,
)
def delete_guard(context: SuiteContext, check: Check) -> None:
    """Once every job the suite started has ended, the data store still cannot be deleted.

    Waiting first matters: a data store with running jobs may be refused for that
    reason alone, which would hide a service that deletes image sets.
    """
    scene = scene_of(context)
    if not context.env.owns_datastore or not subject_ok(context, check, scene):
        return  # never try to delete a user's data store
    deadline = time.monotonic() + context.profile.job_timeout_seconds
    for job_id in sorted(context.model.jobs_in(context.env.datastore_id)):
        while time.monotonic() < deadline:
            body = context.get_job(context.env.datastore_id, job_id).json() or {}
            if body.get("jobProperties", {}).get("jobStatus") in ("COMPLETED", "FAILED", None):
                break
            time.sleep(0.2)
    expect_error(
        context,
        check.id,
        "DeleteDatastore",
        context.delete_datastore(context.env.datastore_id),
        409,
        ("ConflictException",),
        "every job has ended; the data store holds the image sets of the suite's import",
    )


def _follow(
    context: SuiteContext, datastore_id: str, through: str, bound: float
) -> tuple[list[str], list[Exchange]]:
    """GetDatastore polled while it answers `through`, up to `bound` seconds: the statuses
    seen in order (a 404 reads as NOT FOUND) and the exchange that first showed each."""
    seen: list[str] = []
    exchanges: list[Exchange] = []
    for status, exchange in context.poll_datastore(datastore_id, (through,), bound):
        if not seen or seen[-1] != str(status):
            seen.append(str(status))
            exchanges.append(exchange)
    return seen, exchanges


def _transition(
    context: SuiteContext,
    check: Check,
    subject: str,
    announced: Exchange,
    datastore_id: str,
    through: str,
    ends: tuple[str, ...],
) -> bool:
    """Judge that the data store moves from `through` to one of `ends` within the bound."""
    bound = min(context.profile.job_timeout_seconds, context.remaining())
    seen, exchanges = _follow(context, datastore_id, through, bound)
    ok = seen[-1:] in [[end] for end in ends] and set(seen) <= {through, *ends}
    context.verdict(
        check.id,
        subject,
        ok,
        f"after {through} the data store was seen {' -> '.join(seen)} within {bound:.0f} s",
        announced,
        *exchanges[-2:],
    )
    return ok


@server_check(
    "DATASTORE-STATUS-FOLLOWS",
    "lifecycle",
    "What a data store's status announces follows within the bound: CREATING becomes ACTIVE, "
    "DELETING becomes DELETED or not found, and no status moves back",
    Source.SERVICE_DOCS,
    "API reference DatastoreStatus (CREATING, CREATE_FAILED, ACTIVE, DELETING, DELETED); "
    "bound: decision EFFECT-BOUND (the profile's job timeout: 30 s quick, 300 s full)",
    unit=Unit.DELETION_GUARD,
)
def status_follows(context: SuiteContext, check: Check) -> None:
    created = context.create_datastore(
        datastoreName=f"ahi-contract-lifecycle-{uuid.uuid4().hex[:8]}",
        clientToken=uuid.uuid4().hex,
    )
    body = created.json() if created.status == 200 else None
    datastore_id = (body or {}).get("datastoreId") if isinstance(body, dict) else None
    if not isinstance(datastore_id, str):
        context.error(check.id, "CreateDatastore", "a data store could not be created", created)
        return
    if not _transition(
        context, check, "CreateDatastore", created, datastore_id, "CREATING", ("ACTIVE",)
    ):
        return
    deleted = context.delete_datastore(datastore_id)
    if deleted.status != 200:
        context.error(check.id, "DeleteDatastore", "the new data store was not deleted", deleted)
        return
    _transition(
        context,
        check,
        "DeleteDatastore",
        deleted,
        datastore_id,
        "DELETING",
        ("DELETED", NOT_FOUND),
    )
