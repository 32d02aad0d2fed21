"""Set-up and tear-down around a server run: a data store, input objects, an output prefix.

Also what a run leaves in an account: `plan` lists what a run will create and
what stays, and `datastores` lets a front end name exactly which data stores
appeared during a run. `AHI_CONTRACT_KEEP=1` (the CLI's `--keep`) keeps the
bucket and the suite's empty scope data store for inspection.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.checks import Check
from harness.dicom_samples import sample_set, upload
from harness.emulator.s3 import S3Settings
from harness.model import load_pinned_model
from harness.server.checks.datastores import status_follows
from harness.server.context import Environment, SuiteContext
from harness.server.probe import Exchange, Probe
from harness.server.schema_phase import BUILTIN_CHECKS

KEEP_VARIABLE = "AHI_CONTRACT_KEEP"
# S3's documented exception: a bucket in us-east-1 takes no LocationConstraint
# (S3 API Reference, CreateBucket, CreateBucketConfiguration).
S3_DEFAULT_REGION = "us-east-1"


THROTTLED_RETRIES = (0.2, 0.5, 1.0)
"""Pauses before retrying a throttled (429) set-up request; THROTTLE-WITHIN-LIMITS judges
throttling itself."""


class SetupError(Exception):
    """The target or its S3 could not be prepared; the run cannot start."""


def keep_requested() -> bool:
    """Whether the user asked to keep what tear-down would remove."""
    return os.environ.get(KEEP_VARIABLE, "") not in ("", "0")


def create_bucket(s3: Any, bucket: str, region: str) -> None:
    """Create `bucket` in `region`: outside us-east-1 S3 needs the region as LocationConstraint."""
    if region == S3_DEFAULT_REGION:
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})


class TargetBroke(SetupError):
    """Set-up stopped because an answer broke a rule: reported as that check's failure."""

    def __init__(self, check: Check, subject: str, message: str, *exchanges: Exchange) -> None:
        super().__init__(f"{check.id} [{subject}]: {message}")
        self.check = check
        self.subject = subject
        self.message = message
        self.exchanges = exchanges


def _datastore_statuses() -> tuple[str, ...]:
    return tuple(load_pinned_model().shape("DatastoreStatus")["enum"])


def s3_client(context: SuiteContext) -> Any:
    """A boto3 S3 client for the target's S3 endpoint and credentials."""
    credentials = context.target.s3_credentials
    return S3Settings(
        context.target.s3_endpoint,
        credentials.access_key,
        credentials.secret_key,
        context.target.region,
        credentials.session_token,
    ).client()


def _wait_until_active(context: SuiteContext, datastore_id: str, timeout: float) -> None:
    """Return once the data store is ACTIVE; TargetBroke or SetupError when it is not."""
    status, exchange = context.wait_for_datastore(datastore_id, timeout)
    if status == "ACTIVE":
        return
    if exchange.error:
        raise SetupError(f"GetDatastore was not answered: {exchange.error}")
    if exchange.status != 200:
        raise TargetBroke(
            BUILTIN_CHECKS["positive_data_acceptance"],
            "GetDatastore",
            f"GetDatastore of data store {datastore_id} answered HTTP {exchange.status}",
            exchange,
        )
    if status not in _datastore_statuses():
        raise TargetBroke(
            BUILTIN_CHECKS["response_schema_conformance"],
            "GetDatastore",
            f"datastoreStatus {status!r} is not one of the model's {_datastore_statuses()}",
            exchange,
        )
    raise TargetBroke(
        status_follows.check,
        "CreateDatastore",
        f"data store {datastore_id} was {status} after {timeout:.0f} s, not ACTIVE",
        exchange,
    )


def prepare(context: SuiteContext, run_id: str, timeout: float = 120.0) -> Environment:
    """Create (or adopt) an ACTIVE data store and upload the known DICOM set."""
    datastore_id = context.target.datastore_id
    owns = datastore_id is None
    if datastore_id is None:
        token = uuid.uuid4().hex
        for pause in (0.0, *THROTTLED_RETRIES):
            time.sleep(pause)  # after a 429: retried with the same token, as an SDK would
            exchange = context.create_datastore(
                datastoreName=f"ahi-contract-{run_id}", clientToken=token
            )
            if exchange.status != 429:
                break
        if exchange.error:
            raise SetupError(f"CreateDatastore was not answered: {exchange.error}")
        body = exchange.json() if exchange.status == 200 else None
        if exchange.status != 200:
            raise TargetBroke(
                BUILTIN_CHECKS["positive_data_acceptance"],
                "CreateDatastore",
                f"set-up's valid CreateDatastore was answered HTTP {exchange.status}",
                exchange,
            )
        if not isinstance(body, dict) or not isinstance(body.get("datastoreId"), str):
            raise TargetBroke(
                BUILTIN_CHECKS["response_schema_conformance"],
                "CreateDatastore",
                "the answer holds no datastoreId",
                exchange,
            )
        datastore_id = str(body["datastoreId"])
    _wait_until_active(context, datastore_id, timeout)

    s3 = s3_client(context)
    bucket = f"ahi-contract-{run_id}"
    try:
        create_bucket(s3, bucket, context.target.region)
        samples = upload(s3, bucket, "input/")
    except (ClientError, BotoCoreError) as error:
        raise SetupError(
            f"cannot prepare S3 input at {context.target.s3_endpoint}: {error}"
        ) from error
    context.s3 = s3
    return Environment(
        datastore_id=datastore_id,
        owns_datastore=owns,
        input_bucket=bucket,
        input_prefix="input/",
        output_bucket=bucket,
        output_prefix="output/",
        samples=samples,
    )


def tear_down(context: SuiteContext) -> None:
    """Run the checks' clean-ups, then remove the S3 objects and bucket set-up made.

    Data stores that hold image sets stay. With `AHI_CONTRACT_KEEP=1` nothing is removed.
    """
    if keep_requested():
        return
    for cleanup in reversed(context.cleanups):
        with contextlib.suppress(Exception):  # best effort: a report must not fail on clean-up
            cleanup()
    if context.environment is None or context.s3 is None:
        return
    bucket = context.env.input_bucket
    try:
        paginator = context.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", ())]
            if keys:
                context.s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
        context.s3.delete_bucket(Bucket=bucket)
    except (ClientError, BotoCoreError):
        pass  # best effort: a report must not fail on clean-up


def plan(
    endpoint: str | None,
    region: str,
    workers: int,
    datastore_id: str | None,
    job_quota: int | None,
    units: int,
) -> list[str]:
    """What a server run will create on its target, and what stays afterwards."""
    processes = max(1, min(workers, units))
    keep = keep_requested()
    where = endpoint or "the embedded emulator, whose state and S3 vanish when the run ends"
    lines = [f"target: {where}; region {region}; {processes} worker process(es), each:"]
    if datastore_id is None:
        lines.append(
            "  data store ahi-contract-<run id>: imports the known DICOM set; STAYS "
            "(it holds image sets, and DATASTORE-DELETE-GUARD checks it cannot be deleted)"
        )
    else:
        lines.append(
            f"  data store {datastore_id} (yours): import jobs and image sets are added to it; "
            "it is never deleted"
        )
    bucket_fate = "kept (--keep)" if keep else "emptied and deleted at the end"
    lines += [
        f"  S3 bucket ahi-contract-<run id> in {region}: input/ ({len(sample_set())} objects), "
        f"output/ (import results); {bucket_fate}",
        "  data store ahi-contract-model-<run id> for the import state machine: STAYS "
        "(its imports make image sets)",
        "  data store ahi-contract-scope, empty, for scope checks: "
        + ("kept (--keep)" if keep else "deleted at the end (DELETING, then gone)"),
        "  import jobs, image set updates, copies, deletions and tags inside those data stores",
        "  schemathesis's positive CreateDatastore cases: data stores with generated names; STAY",
    ]
    if job_quota is not None:
        lines.append(
            f"  data store ahi-contract-quota-<id> with {job_quota} import jobs of an empty "
            "prefix: STAYS"
        )
    lines.append(
        "to remove a data store that stays: DeleteImageSet on each of its image sets "
        "(SearchImageSets lists them), then DeleteDatastore; deletion takes minutes"
    )
    return lines


def datastores(probe: Probe) -> dict[str, tuple[str, str]]:
    """Every data store the target lists: id -> (name, status); empty when it cannot list."""
    found: dict[str, tuple[str, str]] = {}
    token: str | None = None
    while True:
        query: dict[str, Any] = {"maxResults": 50}
        if token:
            query["nextToken"] = token
        exchange = probe.call("ListDatastores", **query)
        body = exchange.json() if exchange.status == 200 else None
        if not isinstance(body, dict):
            return found
        for summary in body.get("datastoreSummaries", ()):
            if isinstance(summary, dict) and isinstance(summary.get("datastoreId"), str):
                found[summary["datastoreId"]] = (
                    str(summary.get("datastoreName", "")),
                    str(summary.get("datastoreStatus", "")),
                )
        token = body.get("nextToken")
        if not isinstance(token, str) or not token:
            return found


def left_behind(before: dict[str, tuple[str, str]], after: dict[str, tuple[str, str]]) -> list[str]:
    """Data stores that appeared during the run and are not being deleted, one line each."""
    gone = ("DELETING", "DELETED")
    return [
        f"{datastore_id} {name} {status}"
        for datastore_id, (name, status) in sorted(after.items())
        if datastore_id not in before and status not in gone
    ]
