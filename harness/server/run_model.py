"""The model of what a run made, fed live by every exchange the probe completes.

One place holds what the suite knows the target should hold: the data stores,
import jobs and image sets the run made (each with its data store, what was
sent to make it and when), which idempotency token made what, and the statuses
seen of each job and data store. The probe hands it every exchange as it
completes (`Probe.observers`), whichever check, state machine or set-up step
sent it. Checks read their expectations here (the jobs a listing must hold,
what a replayed token must answer, the status a job had before), and the oracle
judges every answer against it.
"""

from __future__ import annotations

import base64
import binascii
import json
import statistics
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from harness.server.observation import Observation, date_offset, observe
from harness.server.probe import Exchange

TOLERANCE_SECONDS = 5.0
"""Decision CLOCK-TOLERANCE: how far a timestamp may lie outside the request that made it."""
NOT_FOUND = "NOT FOUND"
"""The status a GetDatastore answered with 404 is recorded as."""


def datastore_status(exchange: Exchange) -> str | None:
    """What a GetDatastore answer says of the data store: its status (None when a success
    holds none), `NOT_FOUND` for a 404, "HTTP <status>" for another failure, or "no answer"."""
    if exchange.status is None:
        return "no answer"
    if exchange.status == 404:
        return NOT_FOUND
    if exchange.status != 200:
        return f"HTTP {exchange.status}"
    body = exchange.json()
    properties = body.get("datastoreProperties") if isinstance(body, dict) else None
    status = properties.get("datastoreStatus") if isinstance(properties, dict) else None
    return status if isinstance(status, str) else None


@dataclass(frozen=True)
class Update:
    """The attribute documents an accepted UpdateImageSetMetadata sent (empty when none)."""

    updatable: dict[str, Any]
    removable: dict[str, Any]


def _attributes(value: Any) -> dict[str, Any]:
    """A base64 attributes blob sent in a JSON body, as the JSON object it encodes."""
    try:
        document = json.loads(base64.b64decode(str(value), validate=True))
    except (ValueError, binascii.Error):
        return {}
    return document if isinstance(document, dict) else {}


@dataclass(frozen=True)
class Made:
    """A resource the run made: its id, its data store, what was sent to make it, and when."""

    id: str
    datastore_id: str
    sent: dict[str, Any]
    window: tuple[float, float] | None


class RunModel:
    """What the run made, learned from the answers in the order they came (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.observations: list[Observation] = []
        self.datastores: dict[str, Made] = {}
        self.jobs: dict[str, Made] = {}
        self.image_sets: dict[str, str] = {}
        """Image set id -> the data store it was first answered under."""
        self.copies: dict[str, Made] = {}
        """Each destination image set a CopyImageSet answer named, by id."""
        self.tokens: dict[tuple[str, str], Made] = {}
        """(operation, clientToken) -> what the first call with that token made."""
        self.updates: dict[tuple[str, str], Update] = {}
        """(image set id, version id) -> the update that made that version."""
        self._versions: dict[str, set[str]] = {}
        self._settled: dict[str, str] = {}
        self._read_versions: dict[int, str] = {}  # by id() of the exchange, kept alive here
        self._statuses: dict[str, list[tuple[str, Exchange]]] = {}
        self._offsets: list[tuple[float, float]] = []

    @classmethod
    def of(cls, history: Iterable[Exchange]) -> RunModel:
        """A model fed with `history`, in order."""
        model = cls()
        for exchange in history:
            model.observe(exchange)
        return model

    def observe(self, exchange: Exchange) -> None:
        """Learn from one completed exchange (a probe observer)."""
        seen = observe(exchange)
        if seen is None:
            return
        with self._lock:
            self.observations.append(seen)
            offset = date_offset(seen)
            if offset is not None:
                self._offsets.append(offset)
            self._learn(seen)

    @property
    def offset(self) -> float:
        """The target's clock minus ours: the middle of the bounds every `Date` header so far
        allows (the quickest answers bound it tightest; an answer held in a queue widens
        only its own bounds), or, when they disagree (the clock jumped), the median of
        their middles."""
        if not self._offsets:
            return 0.0
        low = max(bound[0] for bound in self._offsets)
        high = min(bound[1] for bound in self._offsets)
        if low <= high:
            return (low + high) / 2
        return statistics.median((a + b) / 2 for a, b in self._offsets)

    def on_target_clock(self, window: tuple[float, float] | None) -> tuple[float, float] | None:
        """A request's local window as the target's clock saw it, widened by the tolerance."""
        if window is None:
            return None
        low, high = window
        offset = self.offset
        return (low + offset - TOLERANCE_SECONDS, high + offset + TOLERANCE_SECONDS)

    def jobs_in(self, datastore_id: str) -> set[str]:
        """The ids of every job the run started on `datastore_id` that the target accepted."""
        with self._lock:
            return {job.id for job in self.jobs.values() if job.datastore_id == datastore_id}

    def made_with(self, operation: str, token: str) -> Made | None:
        """What the first accepted `operation` call with clientToken `token` made."""
        with self._lock:
            return self.tokens.get((operation, token))

    def status(self, resource_id: str) -> str | None:
        """The last status seen of a job or data store the run made."""
        with self._lock:
            seen = self._statuses.get(resource_id)
            return seen[-1][0] if seen else None

    def statuses(self, resource_id: str) -> list[tuple[str, Exchange]]:
        """Each status a job or data store was seen in, in order, with the exchange that first
        showed it (answers to the call that made it, Get and Delete; not List summaries,
        which the service may serve from an older view)."""
        with self._lock:
            return list(self._statuses.get(resource_id, []))

    def versions(self, image_set_id: str) -> set[str]:
        """The versions of an image set the run saw made: by the copy that made the set, and
        by every accepted update or revert since."""
        with self._lock:
            return set(self._versions.get(image_set_id, ()))

    def read_version(self, seen: Observation) -> str | None:
        """The version a GetImageSetMetadata read: the one it names, or for a read of the
        latest, the version GetImageSet last answered ACTIVE with no update accepted since."""
        if "version" in seen.query:
            return seen.query["version"]
        with self._lock:
            return self._read_versions.get(id(seen.exchange))

    def _made_version(self, image_set_id: str, version: Any) -> None:
        if isinstance(version, str):
            self._versions.setdefault(image_set_id, set()).add(version)

    def _saw(self, resource_id: str, status: Any, exchange: Exchange) -> None:
        if not isinstance(status, str):
            return
        seen = self._statuses.setdefault(resource_id, [])
        if not seen or seen[-1][0] != status:
            seen.append((status, exchange))

    def _keep(self, seen: Observation, kind: dict[str, Made], made: Made) -> None:
        """Keep what a call made, and its status, unless an earlier call made it (a replay
        answers what the first call answered, status included)."""
        if made.id in kind:
            return
        kind[made.id] = made
        token = seen.sent.get("clientToken")
        if isinstance(token, str):
            self.tokens.setdefault((seen.operation, token), made)
        answer = seen.answer or {}
        self._saw(made.id, answer.get("datastoreStatus", answer.get("jobStatus")), seen.exchange)

    def _learn(self, seen: Observation) -> None:
        """What one answer tells about what the run made."""
        answer, operation, exchange = seen.answer, seen.operation, seen.exchange
        datastore_id = seen.labels.get("datastoreId")
        if answer is None:
            found = operation == "GetDatastore" and exchange.status == 404
            if found and datastore_id in self.datastores:
                self._saw(str(datastore_id), NOT_FOUND, exchange)
            return
        if operation == "CreateDatastore" and isinstance(answer.get("datastoreId"), str):
            made = Made(answer["datastoreId"], answer["datastoreId"], seen.sent, seen.window)
            self._keep(seen, self.datastores, made)
        elif operation == "StartDICOMImportJob" and isinstance(answer.get("jobId"), str):
            made = Made(answer["jobId"], str(datastore_id), seen.sent, seen.window)
            self._keep(seen, self.jobs, made)
        elif operation == "GetDICOMImportJob" and seen.labels.get("jobId") in self.jobs:
            properties = _object(answer.get("jobProperties"))
            self._saw(seen.labels["jobId"], properties.get("jobStatus"), exchange)
        elif operation in ("GetDatastore", "DeleteDatastore") and datastore_id in self.datastores:
            properties = _object(answer.get("datastoreProperties")) or answer
            self._saw(str(datastore_id), properties.get("datastoreStatus"), exchange)
        elif operation == "GetImageSet" and answer.get("imageSetState") == "ACTIVE":
            self._settled[str(seen.labels.get("imageSetId"))] = str(answer.get("versionId"))
        elif operation == "GetImageSetMetadata" and "version" not in seen.query:
            settled = self._settled.get(str(seen.labels.get("imageSetId")))
            if settled is not None:
                self._read_versions[id(exchange)] = settled
        elif operation == "UpdateImageSetMetadata":
            image_set_id = str(seen.labels.get("imageSetId"))
            self._settled.pop(image_set_id, None)
            self._made_version(image_set_id, answer.get("latestVersionId"))
            dicom = seen.sent.get("DICOMUpdates")
            if isinstance(dicom, dict):
                self.updates.setdefault(
                    (image_set_id, str(answer.get("latestVersionId"))),
                    Update(
                        _attributes(dicom.get("updatableAttributes")),
                        _attributes(dicom.get("removableAttributes")),
                    ),
                )
        elif operation == "CopyImageSet":
            destination = answer.get("destinationImageSetProperties")
            if isinstance(destination, dict) and "imageSetId" in destination:
                self.image_sets.setdefault(str(destination["imageSetId"]), str(datastore_id))
                copy = str(destination["imageSetId"])
                self.copies[copy] = Made(copy, str(datastore_id), seen.sent, seen.window)
                self._made_version(
                    str(destination["imageSetId"]), destination.get("latestVersionId")
                )
        for image_set_id in _image_sets_served(seen):
            if datastore_id is not None:
                self.image_sets.setdefault(image_set_id, datastore_id)


def _object(value: Any) -> dict[str, Any]:
    """A member that should hold an object, or an empty one when it holds something else."""
    return value if isinstance(value, dict) else {}


def _image_sets_served(seen: Observation) -> list[str]:
    """The image sets an answer holds or serves."""
    answer = seen.answer or {}
    if seen.operation == "SearchImageSets":
        summaries = answer.get("imageSetsMetadataSummaries")
        return [
            str(item.get("imageSetId"))
            for item in (summaries if isinstance(summaries, list) else [])
            if isinstance(item, dict)
        ]
    if seen.operation in ("GetImageSet", "GetImageSetMetadata", "ListImageSetVersions"):
        return [str(seen.labels.get("imageSetId"))]
    return []
