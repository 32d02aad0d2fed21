"""What the image-set checks share: one import of the known DICOM set and what it produced.

The scene takes the run's one import of the known set (`scenes.imports`), reads
`success.ndjson` to learn which image set each good file went to, and reads each of those image
sets' metadata (gunzipped). Checks take what they need from it and judge.
"""

from __future__ import annotations

import gzip
import io
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import pydicom
from pydicom.dataset import Dataset

from harness.checks import Check
from harness.imaging.known_set import SampleFile
from harness.server.context import Shared, SuiteContext
from harness.server.probe import Exchange
from harness.server.registry import Unit
from harness.server.scenes.imports import imports, results

SECOND_DATASTORE: Shared[str | None] = Shared("an empty data store for scope checks")

SCENE: Shared[Scene] = Shared("the known set, imported, with its image sets")

UNIT = Unit.IMAGE_SETS
SETTLE_SECONDS = 30.0


@dataclass
class ImportedFile:
    """A known-good input file, parsed, and the image set the import says it went to."""

    sample: SampleFile
    dataset: Dataset
    image_set_id: str | None = None

    @property
    def sop_uid(self) -> str:
        return str(self.dataset.SOPInstanceUID)

    @property
    def study_uid(self) -> str:
        return str(self.dataset.StudyInstanceUID)

    @property
    def series_uid(self) -> str:
        return str(self.dataset.SeriesInstanceUID)


@dataclass
class MetadataRead:
    """One GetImageSetMetadata answer and its document, when it gunzipped to JSON."""

    exchange: Exchange
    document: dict[str, Any] | None
    problem: str = ""


@dataclass
class Scene:
    """One import of the known set and the image sets it made."""

    job_id: str | None = None
    job_exchange: Exchange | None = None
    status: str | None = None
    files: list[ImportedFile] = field(default_factory=list)
    metadata: dict[str, MetadataRead] = field(default_factory=dict)
    problem: str = ""

    @property
    def image_set_ids(self) -> list[str]:
        return sorted({f.image_set_id for f in self.files if f.image_set_id})

    def instance(self, imported: ImportedFile) -> dict[str, Any] | None:
        """The instance object of `imported` in its image set's metadata, if there."""
        read = self.metadata.get(imported.image_set_id or "")
        if read is None or read.document is None:
            return None
        series = read.document.get("Study", {}).get("Series", {}).get(imported.series_uid, {})
        found = (
            series.get("Instances", {}).get(imported.sop_uid) if isinstance(series, dict) else None
        )
        return found if isinstance(found, dict) else None


def decode_metadata(exchange: Exchange) -> MetadataRead:
    """Gunzip and parse a GetImageSetMetadata answer's bytes as they travelled."""
    if exchange.status != 200:
        return MetadataRead(exchange, None, f"HTTP {exchange.status}")
    raw = exchange.wire_body
    try:
        raw = gzip.decompress(raw)
    except (OSError, EOFError):
        return MetadataRead(exchange, None, "the body is not gzip data")
    try:
        document = json.loads(raw)
    except ValueError:
        return MetadataRead(exchange, None, "the gunzipped body is not JSON")
    if not isinstance(document, dict):
        return MetadataRead(exchange, None, "the gunzipped body is not a JSON object")
    return MetadataRead(exchange, document)


def read_metadata(
    context: SuiteContext, datastore_id: str, image_set_id: str, version: str | None = None
) -> MetadataRead:
    """GetImageSetMetadata, decoded."""
    exchange = context.call(
        "GetImageSetMetadata", datastoreId=datastore_id, imageSetId=image_set_id, versionId=version
    )
    return decode_metadata(exchange)


def wait_for_image_set(
    context: SuiteContext, datastore_id: str, image_set_id: str, timeout: float = SETTLE_SECONDS
) -> tuple[dict[str, Any] | None, Exchange]:
    """Poll GetImageSet until the set is no longer LOCKED (or not found, or `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        exchange = context.call("GetImageSet", datastoreId=datastore_id, imageSetId=image_set_id)
        body = exchange.json() if exchange.status == 200 else None
        if not isinstance(body, dict) or body.get("imageSetState") != "LOCKED":
            return body if isinstance(body, dict) else None, exchange
        if time.monotonic() > deadline:
            return body, exchange
        time.sleep(0.1)


def import_scene(context: SuiteContext) -> Scene:
    """The known set's import (the run's one, `scenes.imports`): each good file mapped to
    its image set by success.ndjson, and those image sets' metadata read."""
    env = context.env
    scene = Scene()
    scene.files = [
        ImportedFile(sample, pydicom.dcmread(io.BytesIO(sample.data)))
        for sample in env.samples
        if sample.importable
    ]
    main = imports(context).main
    scene.job_id = main.job_id
    scene.job_exchange = main.broken or (main.last[0] if main.last else main.started)
    scene.status = main.last[1].get("jobStatus") if main.last else None
    if main.job_id is None:
        status = main.started.status if main.started else None
        scene.problem = f"StartDICOMImportJob answered HTTP {status}"
        return scene
    if scene.status != "COMPLETED":
        scene.problem = f"the import ended {scene.status}"
        return scene
    found = results(context)
    by_key = {
        str(line.get("inputFile", "")): line.get("importResponse", {})
        for line in (found.successes if found else [])
    }
    for imported in scene.files:
        for key, response in by_key.items():
            if key.endswith(imported.sample.key) and isinstance(response, dict):
                image_set_id = response.get("imageSetId")
                imported.image_set_id = image_set_id if isinstance(image_set_id, str) else None
    for image_set_id in scene.image_set_ids:
        scene.metadata[image_set_id] = read_metadata(context, env.datastore_id, image_set_id)
    return scene


def scene_of(context: SuiteContext) -> Scene:
    """The run's scene, imported on first use."""
    return context.shared(SCENE, lambda: import_scene(context))


def subject_ok(context: SuiteContext, check: Check, scene: Scene) -> bool:
    """False, with the check recorded as an error, when the shared import did not complete."""
    if scene.status == "COMPLETED" and scene.image_set_ids:
        return True
    exchanges = [scene.job_exchange] if scene.job_exchange else []
    context.error(
        check.id, "StartDICOMImportJob", f"no image sets to judge: {scene.problem}", *exchanges
    )
    return False


def second_datastore(context: SuiteContext) -> str | None:
    """An empty data store of the suite's own, for scope checks."""

    def create() -> str | None:
        with context.making():
            exchange = context.create_datastore(
                datastoreName="ahi-contract-scope", clientToken=uuid.uuid4().hex
            )
        body = exchange.json() if exchange.status == 200 else None
        if not isinstance(body, dict) or not isinstance(body.get("datastoreId"), str):
            return None
        datastore_id = body["datastoreId"]
        status, _ = context.wait_for_datastore(datastore_id)
        return datastore_id if status == "ACTIVE" else None

    return context.shared(SECOND_DATASTORE, create)
