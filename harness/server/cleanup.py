"""A run removes what it made on its target (decision LEAVE-NOTHING).

When a run ends (passed, failed or interrupted) every image set it made is
deleted, a LOCKED one retried until its write is over; then every data store it
made, whichever step made it (schemathesis's valid CreateDatastore cases
included), once its imports have ended; then its S3 bucket. In a data store the
user lent (`--datastore-id`) only the image sets that appeared during the run
are deleted; the data store stays. What cannot be removed within the bound is
named with the reason. `--keep` (`AHI_CONTRACT_KEEP=1`) keeps everything.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.server.probe import Exchange
from harness.server.run_model import NOT_FOUND, datastore_status

KEEP_VARIABLE = "AHI_CONTRACT_KEEP"
"""Set (not to 0) by `--keep`: nothing the run made is removed."""
PAUSE_SECONDS = 0.5
"""The pause before asking again while something is LOCKED, CREATING or throttled."""
BOUND_SECONDS = 300.0
"""How long clean-up may take in all before it names what is left and gives up."""
GONE = ("DELETING", "DELETED", NOT_FOUND)


def keep_requested() -> bool:
    """Whether the user asked to keep what tear-down would remove."""
    return os.environ.get(KEEP_VARIABLE, "") not in ("", "0")


@dataclass(frozen=True)
class Leftover:
    """Something the run made that is still on the target, and why."""

    what: str
    reason: str

    def __str__(self) -> str:
        return f"{self.what}: {self.reason}"


def _why(exchange: Exchange) -> str:
    if exchange.status is None:
        return f"no answer ({exchange.error})"
    body = exchange.body.decode("utf-8", "replace").replace("\n", " ")[:200]
    return f"HTTP {exchange.status} {body}".strip()


class Sweeper:
    """Sends the deleting requests through a context's probe, within one deadline."""

    def __init__(self, call: Callable[..., Exchange], bound: float = BOUND_SECONDS) -> None:
        self._call = call
        self.deadline = time.monotonic() + bound
        self.left: list[Leftover] = []

    def _send(self, operation: str, **params: Any) -> Exchange:
        """One call, repeated while it is throttled (429) and time remains."""
        while True:
            exchange = self._call(operation, **params)
            if exchange.status != 429 or time.monotonic() > self.deadline:
                return exchange
            time.sleep(PAUSE_SECONDS)

    def status(self, datastore_id: str) -> tuple[str | None, Exchange]:
        """The data store's status once it is no longer CREATING (or the deadline passed):
        `NOT_FOUND` for a 404, None when the answer holds none; with the last answer."""
        while True:
            exchange = self._send("GetDatastore", datastoreId=datastore_id)
            status = datastore_status(exchange)
            if status != "CREATING" or time.monotonic() > self.deadline:
                return status, exchange
            time.sleep(PAUSE_SECONDS)

    def image_sets(self, datastore_id: str) -> set[str] | None:
        """Every image set SearchImageSets finds in the ACTIVE data store (none in one that
        is gone or going), or None (with the reason kept) when it cannot list them."""
        status, exchange = self.status(datastore_id)
        if status in GONE:
            return set()
        found: set[str] = set()
        token: str | None = None
        while status == "ACTIVE":
            params: dict[str, Any] = {"datastoreId": datastore_id, "maxResults": 50}
            if token:
                params["nextToken"] = token
            exchange = self._send("SearchImageSets", **params)
            body = exchange.json() if exchange.status == 200 else None
            if not isinstance(body, dict):
                break
            for summary in body.get("imageSetsMetadataSummaries") or ():
                if isinstance(summary, dict) and isinstance(summary.get("imageSetId"), str):
                    found.add(summary["imageSetId"])
            token = body.get("nextToken")
            if not isinstance(token, str) or not token:
                return found
        self.left.append(Leftover(f"image sets of data store {datastore_id}", _why(exchange)))
        return None

    def delete_image_sets(self, datastore_id: str, spare: Iterable[str] = ()) -> None:
        """Delete every image set of the data store but those in `spare`, waiting out LOCKED."""
        found = self.image_sets(datastore_id)
        for image_set_id in sorted((found or set()) - set(spare)):
            while True:
                exchange = self._send(
                    "DeleteImageSet", datastoreId=datastore_id, imageSetId=image_set_id
                )
                if exchange.status in (200, 404):
                    break
                if exchange.status != 409 or time.monotonic() > self.deadline:
                    self.left.append(Leftover(f"image set {image_set_id}", _why(exchange)))
                    break
                time.sleep(PAUSE_SECONDS)  # LOCKED by a write that is not over yet

    def delete_datastore(self, datastore_id: str) -> bool:
        """Delete the data store once it is no longer CREATING; a 409 (imports or image set
        deletions not over) is asked again until the deadline. Whether it is going or gone."""
        while True:
            status, exchange = self.status(datastore_id)
            if status in GONE:
                return True
            exchange = self._send("DeleteDatastore", datastoreId=datastore_id)
            if exchange.status in (200, 404):
                return True
            if exchange.status != 409 or time.monotonic() > self.deadline:
                self.left.append(Leftover(f"data store {datastore_id}", _why(exchange)))
                return False
            time.sleep(PAUSE_SECONDS)

    def wait_gone(self, datastore_ids: Iterable[str]) -> None:
        """Return once each data store is DELETED or unknown, or the deadline has passed."""
        for datastore_id in datastore_ids:
            while self.status(datastore_id)[0] not in (NOT_FOUND, "DELETED"):
                if time.monotonic() > self.deadline:
                    return
                time.sleep(PAUSE_SECONDS)

    def sweep(
        self, made: Iterable[str], lent: str | None, spare: Iterable[str], until_gone: bool = False
    ) -> None:
        """Image sets first (in the data stores made, and the new ones in the lent one),
        then the data stores made; with `until_gone`, wait until they no longer count."""
        made = list(dict.fromkeys(made))
        for datastore_id in made:
            self.delete_image_sets(datastore_id)
        if lent is not None:
            self.delete_image_sets(lent, spare)
        going = [datastore_id for datastore_id in made if self.delete_datastore(datastore_id)]
        if until_gone:
            self.wait_gone(going)


def remove_bucket(s3: Any, bucket: str) -> Leftover | None:
    """Empty and delete an S3 bucket; what is left, with the reason, when S3 refuses."""
    try:
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", ())]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
        s3.delete_bucket(Bucket=bucket)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchBucket":
            return None
        return Leftover(f"S3 bucket {bucket}", str(error))
    except BotoCoreError as error:
        return Leftover(f"S3 bucket {bucket}", str(error))
    return None
