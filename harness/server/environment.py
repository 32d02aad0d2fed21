"""Set-up and tear-down around a server run: a data store, input objects, an output prefix."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.checks import Check
from harness.dicom_samples import upload
from harness.emulator.s3 import S3Settings
from harness.model import load_pinned_model
from harness.server.checks.datastores import status_follows
from harness.server.context import Environment, SuiteContext
from harness.server.probe import Exchange
from harness.server.schema_phase import BUILTIN_CHECKS


class SetupError(Exception):
    """The target or its S3 could not be prepared; the run cannot start."""


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
        exchange = context.create_datastore(
            datastoreName=f"ahi-contract-{run_id}", clientToken=uuid.uuid4().hex
        )
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
        s3.create_bucket(Bucket=bucket)
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

    Data stores that hold image sets stay.
    """
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
