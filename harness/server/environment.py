"""Set-up and tear-down around a server run: a data store, input objects, an output prefix.

Tear-down removes everything the run made (`harness.server.cleanup`); `plan` lists
what a run will create and remove. `AHI_CONTRACT_KEEP=1` (the CLI's `--keep`)
keeps it all for inspection.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.checks import Check
from harness.emulator.storage.s3 import S3Settings
from harness.imaging.known_set import sample_set, upload
from harness.model import pinned_model
from harness.server.checks.datastores import status_follows
from harness.server.cleanup import (
    Leftover,
    Sweeper,
    imported_image_sets,
    keep_requested,
    remove_bucket,
)
from harness.server.context import Environment, SuiteContext, Target
from harness.server.probe import Exchange, Probe
from harness.server.schema_phase import BUILTIN_CHECKS

# S3's documented exception: a bucket in us-east-1 takes no LocationConstraint
# (S3 API Reference, CreateBucket, CreateBucketConfiguration).
S3_DEFAULT_REGION = "us-east-1"


INPUT_PREFIX, OUTPUT_PREFIX = "input/", "output/"
"""Where in the run's bucket set-up puts the known set, and where imports write results."""
CLOCK_MARGIN_SECONDS = 1.0
"""How far the target's clock offset may be off: it is read from `Date` headers of
whole seconds."""

THROTTLED_RETRIES = (0.2, 0.5, 1.0)
"""Pauses before retrying a throttled (429) set-up request; THROTTLE-WITHIN-LIMITS judges
throttling itself."""


class SetupError(Exception):
    """The target or its S3 could not be prepared; the run cannot start."""


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
    return tuple(pinned_model().shape("DatastoreStatus")["enum"])


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


def run_name(run_id: str) -> str:
    """The name of the data store and of the bucket a run's set-up creates."""
    return f"ahi-contract-{run_id}"


def _unanswered_create(context: SuiteContext) -> list[str]:
    """The data store of a set-up's CreateDatastore whose answer was lost (an interrupt or
    a timeout while it was in flight): the request sent again with its clientToken names
    it once it is made, however late the target makes it (a replay with the same token
    makes nothing new), or makes it now, for tear-down to remove."""
    if context.creating is None or context.model.datastores:
        return []
    name, token = context.creating
    exchange = context.create_datastore(datastoreName=name, clientToken=token)
    body = exchange.json() if exchange.status == 200 else None
    made = body.get("datastoreId") if isinstance(body, dict) else None
    return [made] if isinstance(made, str) else []


def prepare(context: SuiteContext, run_id: str, timeout: float = 120.0) -> Environment:
    """Create (or adopt) an ACTIVE data store and upload the known DICOM set to a new
    bucket. What it made before a failure is removed at tear-down."""
    datastore_id = context.target.datastore_id
    owns = datastore_id is None
    if datastore_id is None:
        name, token = context.creating = run_name(run_id), uuid.uuid4().hex
        for pause in (0.0, *THROTTLED_RETRIES):
            time.sleep(pause)  # after a 429: retried with the same token, as an SDK would
            with context.making():
                exchange = context.create_datastore(datastoreName=name, clientToken=token)
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

    s3 = context.s3 = s3_client(context)
    bucket = run_name(run_id)
    try:
        _create_run_bucket(context, s3, bucket)
        samples = upload(s3, bucket, INPUT_PREFIX)
    except (ClientError, BotoCoreError) as error:
        raise SetupError(_s3_problem(context, error)) from error

    return Environment(
        datastore_id=datastore_id,
        owns_datastore=owns,
        input_bucket=bucket,
        input_prefix=INPUT_PREFIX,
        output_bucket=bucket,
        output_prefix=OUTPUT_PREFIX,
        samples=samples,
    )


def _s3_problem(context: SuiteContext, error: Exception) -> str:
    """Why set-up could not prepare its S3 input, with what to do about it."""
    where = context.target.s3_endpoint
    if where is None:
        return (
            f"cannot prepare S3 input in AWS S3 ({error}); the target imports DICOM files "
            "from S3: pass the S3 endpoint it reads with --s3-endpoint (or "
            "AWS_ENDPOINT_URL_S3), e.g. the `s3:` URL `ahi-contract emulator` prints"
        )
    return f"cannot prepare S3 input at {where}: {error}"


def _create_run_bucket(context: SuiteContext, s3: Any, bucket: str) -> None:
    """Create the run's bucket and make it the run's to remove, unless S3 refused it: one
    whose answer was lost (an interrupt, a timeout) is removed too, if it is there."""
    try:
        create_bucket(s3, bucket, context.target.region)
    except ClientError:
        raise
    except BaseException:
        context.bucket = bucket
        raise
    context.bucket = bucket


def tear_down(context: SuiteContext, lent_to: Path | None = None) -> list[Leftover]:
    """Remove everything the run made (see `harness.server.cleanup`); what is left, with
    the reason. Nothing is removed with `AHI_CONTRACT_KEEP=1`; from a disposable target
    only the bucket (its S3 may live on in this process: moto keeps one state for all).
    With `lent_to` (a worker among others sharing a lent data store), the image sets to
    delete there are written to a file in that folder for `remove_lent` once every worker
    has ended. Clean-up that breaks is named as a leftover, never raised."""
    if keep_requested():
        return []
    left: list[Leftover] = []
    if not context.target.disposable:
        context.probe.deadline = None  # clean-up has a bound of its own, past the deadline
        sweeper = Sweeper(context.call)
        lent = context.target.datastore_id
        if lent is not None:
            _lent_image_sets(context, sweeper, lent, lent_to)
        made = [*context.model.datastores, *context.unobserved.datastores]
        if context.environment is None and lent is None and context.run_id:
            made += _unanswered_create(context)
            made += sweeper.named(run_name(context.run_id))
        for datastore_id in dict.fromkeys(made):
            if datastore_id != lent:
                _guarded(sweeper, f"data store {datastore_id}", sweeper.sweep, [datastore_id])
        left = sweeper.left
    if context.bucket is not None and context.s3 is not None:
        problem = remove_bucket(context.s3, context.bucket)
        if problem is not None:
            left.append(problem)
    return left


def _guarded(sweeper: Sweeper, what: str, step: Callable[..., object], *args: Any) -> None:
    """One stage of clean-up; an exception names `what` as left, and the next stage runs."""
    try:
        step(*args)
    except Exception as error:
        sweeper.leave(what, f"clean-up broke: {type(error).__name__}: {error}")


def _lent_image_sets(
    context: SuiteContext, sweeper: Sweeper, lent: str, lent_to: Path | None
) -> None:
    """Delete (or, with `lent_to`, write down) the image sets the run's imports and copies
    made in the lent data store, once the run's imports there have ended."""
    what = f"image sets the run made in data store {lent}"
    jobs = [made for made in context.model.jobs.values() if made.datastore_id == lent]
    copies = [
        made
        for model in (context.model, context.unobserved)
        for made in model.copies.values()
        if made.datastore_id == lent
    ]
    _guarded(sweeper, what, sweeper.wait_for_jobs, lent, [made.id for made in jobs])
    candidates = {made.id for made in copies}
    if context.bucket is not None and context.s3 is not None:
        try:
            candidates |= imported_image_sets(context.s3, context.bucket, OUTPUT_PREFIX, lent)
        except (ClientError, BotoCoreError) as error:
            sweeper.leave(what, f"their import results could not be read: {error}")
    # What the run made there is no older than the first request that could make it.
    starts = [
        seen.exchange.started_at
        for model in (context.model, context.unobserved)
        for seen in model.observations
        if seen.operation in ("StartDICOMImportJob", "CopyImageSet")
        and seen.labels.get("datastoreId") == lent
        and seen.exchange.started_at > 0
    ]
    since = min(starts, default=context.started) + context.model.offset - CLOCK_MARGIN_SECONDS
    if lent_to is None:
        _guarded(sweeper, what, sweeper.delete_new_image_sets, lent, candidates, since)
        return
    share = {"datastoreId": lent, "since": since, "imageSets": sorted(candidates)}
    (lent_to / f"{uuid.uuid4().hex}.json").write_text(json.dumps(share), encoding="utf-8")


def remove_lent(target: Target, probe_timeout: float, folder: Path) -> list[Leftover]:
    """Delete the image sets that workers sharing a lent data store wrote down (`tear_down`
    with `lent_to`): what is left, with the reason."""
    shares = [json.loads(path.read_text(encoding="utf-8")) for path in folder.glob("*.json")]
    if not shares or keep_requested():
        return []
    probe = Probe(target.endpoint, target.credentials, target.region, probe_timeout)
    sweeper = Sweeper(probe.call)
    candidates = {image_set for share in shares for image_set in share["imageSets"]}
    since = min(float(share["since"]) for share in shares)
    what = f"image sets the run made in data store {shares[0]['datastoreId']}"
    _guarded(
        sweeper, what, sweeper.delete_new_image_sets, shares[0]["datastoreId"], candidates, since
    )
    return sweeper.left


def plan(
    endpoint: str | None,
    region: str,
    workers: int,
    datastore_id: str | None,
    job_quota: int | None,
    units: int,
) -> list[str]:
    """What a server run will create on its target, and what it removes at the end."""
    processes = max(1, min(workers, units))
    keep = keep_requested()
    where = endpoint or "the embedded emulator, whose state and S3 vanish when the run ends"
    gone = "kept (--keep)" if keep else "deleted at the end"
    lines = [f"target: {where}; region {region}; {processes} worker process(es), each makes:"]
    lines.append(
        f"  S3 bucket ahi-contract-<run id> in {region}: input/ ({len(sample_set())} objects), "
        f"output/ (import results); {'kept (--keep)' if keep else 'emptied and deleted at the end'}"
    )
    if datastore_id is None:
        lines.append(
            f"  data store ahi-contract-<run id>, for the known DICOM set's imports; {gone}"
        )
    else:
        lines.append(
            f"  nothing in data store {datastore_id} (yours, never deleted) but import jobs "
            "and the image sets they and the suite's copies make: those image sets "
            f"{'are kept (--keep)' if keep else 'are deleted at the end'}; the new versions "
            "an import adds to image sets that were there before cannot be undone"
        )
    lines += [
        f"  data store ahi-contract-model-<run id>, for the import state machine; {gone}",
        f"  data stores ahi-contract-scope and ahi-contract-token (empty); {gone}",
        f"  data stores from schemathesis's valid CreateDatastore cases; {gone}",
    ]
    if job_quota is not None:
        lines.append(
            f"  data store ahi-contract-quota-<id> with {job_quota} import jobs of an empty "
            f"prefix; {gone}"
        )
    lines.append(
        "  import jobs (they cannot be deleted; the service lists them for 90 days), image set "
        f"versions, copies and tags inside those data stores; image sets {gone}"
    )
    if not keep and endpoint is not None:
        lines.append(
            "at the end every image set the run made is deleted, then every data store it "
            "made, then the bucket; what cannot be removed is printed with the reason"
        )
    return lines
