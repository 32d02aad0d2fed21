"""Set-up and tear-down around a server run: a data store, input objects, an output prefix."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.dicom_samples import upload
from harness.emulator.s3 import S3Settings
from harness.server.context import Environment, SuiteContext


class SetupError(Exception):
    """The target or its S3 could not be prepared; the run cannot start."""


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


def prepare(context: SuiteContext, run_id: str, timeout: float = 120.0) -> Environment:
    """Create (or adopt) an ACTIVE data store and upload the known DICOM set."""
    datastore_id = context.target.datastore_id
    owns = datastore_id is None
    if datastore_id is None:
        exchange = context.create_datastore(
            datastoreName=f"ahi-contract-{run_id}", clientToken=uuid.uuid4().hex
        )
        body = exchange.json() if exchange.status == 200 else None
        if not isinstance(body, dict) or "datastoreId" not in body:
            raise SetupError(
                "CreateDatastore failed: "
                f"{exchange.error or f'HTTP {exchange.status} {exchange.body[:300]!r}'}"
            )
        datastore_id = str(body["datastoreId"])
    status, exchange = context.wait_for_datastore(datastore_id, timeout)
    if status != "ACTIVE":
        raise SetupError(
            f"data store {datastore_id} is not ACTIVE (last answer: HTTP {exchange.status}, "
            f"{status or exchange.error or exchange.body[:200]!r})"
        )

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
