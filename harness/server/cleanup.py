"""A run removes what it made on its target (decision LEAVE-NOTHING).

When a run ends (passed, failed or interrupted) every image set it made is
deleted, a LOCKED one retried until its write is over; then every data store it
made, whichever step made it (schemathesis's valid CreateDatastore cases
included), once its imports have ended; then its S3 bucket. In a data store the
user lent (`--datastore-id`) only the image sets the run's own imports and
copies created are deleted (those its imports only added a version to stay, as
do the import jobs and versions); the data store stays. What cannot be removed within the bound is
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
from harness.server.scenes.imports import TERMINAL, job_status
from harness.server.scenes.outputs import SUCCESS, WARNING, job_folder, ndjson_objects

KEEP_VARIABLE = "AHI_CONTRACT_KEEP"
"""Set (not to 0) by `--keep`: nothing the run made is removed."""
PAUSE_SECONDS = 0.5
"""The pause before asking again while something is LOCKED, CREATING or throttled."""
BOUND_SECONDS = 300.0
"""How long clean-up may take (plus one request's timeout) before it names what is left."""
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

    def leave(self, what: str, reason: str) -> None:
        """Name something that could not be removed (once, with the latest reason)."""
        self.left = [leftover for leftover in self.left if leftover.what != what]
        self.left.append(Leftover(what, reason))

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
        tokens: set[str] = set()
        while status == "ACTIVE" and time.monotonic() < self.deadline:
            params: dict[str, Any] = {"datastoreId": datastore_id, "maxResults": 50}
            if token is not None:
                params["nextToken"] = token
            exchange = self._send("SearchImageSets", **params)
            body = exchange.json() if exchange.status == 200 else None
            if not isinstance(body, dict):
                break
            for summary in body.get("imageSetsMetadataSummaries") or ():
                if isinstance(summary, dict) and isinstance(summary.get("imageSetId"), str):
                    found.add(summary["imageSetId"])
            following = body.get("nextToken")
            if not isinstance(following, str) or not following:
                return found
            if following in tokens:
                self.leave(f"image sets of data store {datastore_id}", "nextToken repeats")
                return None
            tokens.add(token := following)
        reason = _why(exchange) if status != "ACTIVE" or exchange.status != 200 else ""
        self.leave(
            f"image sets of data store {datastore_id}",
            reason or f"the listing did not end within {BOUND_SECONDS:.0f} s",
        )
        return None

    def named(self, name: str) -> list[str]:
        """The data stores called `name` that are not going or gone, from ListDatastores:
        what a set-up made whose answer never came (an interrupt or a timeout)."""
        found: list[str] = []
        token: str | None = None
        while time.monotonic() < self.deadline:
            params: dict[str, Any] = {"maxResults": 50}
            if token is not None:
                params["nextToken"] = token
            exchange = self._send("ListDatastores", **params)
            body = exchange.json() if exchange.status == 200 else None
            if not isinstance(body, dict):
                self.leave(f"a data store called {name}", f"not listed: {_why(exchange)}")
                break
            for summary in body.get("datastoreSummaries") or ():
                if (
                    isinstance(summary, dict)
                    and summary.get("datastoreName") == name
                    and summary.get("datastoreStatus") not in GONE
                    and isinstance(summary.get("datastoreId"), str)
                ):
                    found.append(summary["datastoreId"])
            following = body.get("nextToken")
            if not isinstance(following, str) or not following or following == token:
                break
            token = following
        return found

    def delete_image_set(self, datastore_id: str, image_set_id: str) -> None:
        """Delete one image set, waiting out LOCKED (a write not over yet)."""
        while True:
            exchange = self._send(
                "DeleteImageSet", datastoreId=datastore_id, imageSetId=image_set_id
            )
            if exchange.status in (200, 404):
                return
            if exchange.status != 409 or time.monotonic() > self.deadline:
                self.leave(f"image set {image_set_id}", _why(exchange))
                return
            time.sleep(PAUSE_SECONDS)

    def delete_image_sets(self, datastore_id: str) -> None:
        """Delete every image set of a data store the run made."""
        for image_set_id in sorted(self.image_sets(datastore_id) or ()):
            self.delete_image_set(datastore_id, image_set_id)

    def delete_new_image_sets(
        self, datastore_id: str, candidates: Iterable[str], since: float
    ) -> None:
        """Delete those of `candidates` (image sets the run's imports and copies named in a
        data store it did not make) that GetImageSet says were created at `since` or later
        (epoch seconds on the target's clock): an older one was there before the run, which
        only added a version to it."""
        for image_set_id in sorted(set(candidates)):
            exchange = self._send("GetImageSet", datastoreId=datastore_id, imageSetId=image_set_id)
            body = exchange.json() if exchange.status == 200 else None
            created = body.get("createdAt") if isinstance(body, dict) else None
            if exchange.status == 404:
                continue
            if not isinstance(created, (int, float)):
                self.leave(f"image set {image_set_id}", _why(exchange))
            elif created >= since:
                self.delete_image_set(datastore_id, image_set_id)

    def wait_for_jobs(self, datastore_id: str, job_ids: Iterable[str]) -> None:
        """Return once each import job has ended (COMPLETED or FAILED, or unknown), naming
        those still running at the deadline: the image sets they make are not removed."""
        for job_id in job_ids:
            while True:
                exchange = self._send("GetDICOMImportJob", datastoreId=datastore_id, jobId=job_id)
                status = job_status(exchange)
                if exchange.status == 404 or status in TERMINAL:
                    break
                if time.monotonic() > self.deadline:
                    self.leave(f"what import job {job_id} makes", f"the job is {status}")
                    break
                time.sleep(PAUSE_SECONDS)

    def delete_datastore(self, datastore_id: str) -> bool:
        """Delete the data store once it is no longer CREATING; after a 409 (an import or
        image set deletion not over, or image sets an import made since they were listed)
        its image sets are deleted again and it is asked again, until the deadline.
        Whether it is going or gone."""
        while True:
            status, exchange = self.status(datastore_id)
            if status in GONE:
                return True
            exchange = self._send("DeleteDatastore", datastoreId=datastore_id)
            if exchange.status in (200, 404):
                self.left = [
                    leftover for leftover in self.left if datastore_id not in leftover.what
                ]
                return True
            if exchange.status != 409 or time.monotonic() > self.deadline:
                self.leave(f"data store {datastore_id}", _why(exchange))
                return False
            time.sleep(PAUSE_SECONDS)
            self.delete_image_sets(datastore_id)

    def wait_gone(self, datastore_ids: Iterable[str]) -> None:
        """Return once each data store is DELETED or unknown, or the deadline has passed."""
        for datastore_id in datastore_ids:
            while self.status(datastore_id)[0] not in (NOT_FOUND, "DELETED"):
                if time.monotonic() > self.deadline:
                    return
                time.sleep(PAUSE_SECONDS)

    def sweep(self, made: Iterable[str], until_gone: bool = False) -> None:
        """Delete the data stores the run made, their image sets first; with `until_gone`,
        wait until they no longer count against the quota."""
        made = list(dict.fromkeys(made))
        for datastore_id in made:
            self.delete_image_sets(datastore_id)
        going = [datastore_id for datastore_id in made if self.delete_datastore(datastore_id)]
        if until_gone:
            self.wait_gone(going)


def imported_image_sets(s3: Any, bucket: str, prefix: str, datastore_id: str) -> set[str]:
    """The image sets named by the success and warning lines of every import into
    `datastore_id` whose results are in the bucket under `prefix`."""
    found: set[str] = set()
    paginator = s3.get_paginator("list_objects_v2")
    folders = job_folder(prefix, datastore_id, "")
    for page in paginator.paginate(Bucket=bucket, Prefix=folders.rstrip("/")):
        for item in page.get("Contents", ()):
            if item["Key"].endswith(("/" + SUCCESS, "/" + WARNING)):
                raw = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                for line in ndjson_objects(raw):
                    response = line.get("importResponse")
                    if isinstance(response, dict) and isinstance(response.get("imageSetId"), str):
                        found.add(response["imageSetId"])
    return found


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
