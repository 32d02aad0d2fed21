"""Data stores: one that holds image sets cannot be deleted."""

from __future__ import annotations

import time

from harness.checks import Check, Source
from harness.server.checks.expect import expect_error
from harness.server.context import SuiteContext
from harness.server.imaging_scene import (
    scene_of,
    subject_ok,
)
from harness.server.registry import server_check


@server_check(
    "DATASTORE-DELETE-GUARD",
    "lifecycle",
    "A data store that holds image sets cannot be deleted (409 ConflictException)",
    Source.SERVICE_DOCS,
    "developer guide 'Deleting a data store'",
    unit="deletion guard",
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
    for job_id in context.created_jobs:
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
