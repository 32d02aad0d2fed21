"""One update of the scene's first image set, with what was read before and after,
made once per run for the checks that judge versions and copies."""

from __future__ import annotations

import json
from typing import Any

from harness.server.context import Shared, SuiteContext
from harness.server.probe import Exchange
from harness.server.scenes.imaging import Scene, read_metadata, scene_of, wait_for_image_set

UPDATE: Shared[UpdateRun] = Shared("one update of the scene's first image set")


def _attributes_blob(document: dict[str, Any]) -> bytes:
    return json.dumps({"SchemaVersion": 1.1, **document}).encode()


def update(
    context: SuiteContext,
    image_set_id: str,
    latest: str,
    patient_name: str,
    removed: dict[str, Any] | None = None,
) -> Exchange:
    """Set PatientName and remove the `removed` Patient attributes (with their values)."""
    named = {"Patient": {"DICOM": {"PatientName": patient_name}}}
    dicom = {"updatableAttributes": _attributes_blob(named)}
    if removed:
        dicom["removableAttributes"] = _attributes_blob({"Patient": {"DICOM": removed}})
    return context.call(
        "UpdateImageSetMetadata",
        datastoreId=context.env.datastore_id,
        imageSetId=image_set_id,
        latestVersionId=latest,
        updateImageSetMetadataUpdates={"DICOMUpdates": dicom},
    )


REMOVED = ("PatientSex",)
"""Patient attributes the update removes, when the image set holds them (the oracle's
ECHO-SENT judges that the new version lacks them)."""


class UpdateRun:
    """One update of the scene's first image set, with what was read before and after."""

    def __init__(self, context: SuiteContext, scene: Scene) -> None:
        env = context.env
        self.image_set_id = scene.image_set_ids[0]
        before, self.before_exchange = wait_for_image_set(
            context, env.datastore_id, self.image_set_id
        )
        self.version_before = str((before or {}).get("versionId"))
        self.metadata_before = read_metadata(
            context, env.datastore_id, self.image_set_id, self.version_before
        )
        self.new_name = "AHI^CONTRACT^UPDATED"
        patient = ((self.metadata_before.document or {}).get("Patient") or {}).get("DICOM") or {}
        removed = {name: patient[name] for name in REMOVED if name in patient}
        self.exchange = update(
            context, self.image_set_id, self.version_before, self.new_name, removed
        )
        answer = self.exchange.json() if self.exchange.status == 200 else None
        self.answer: dict[str, Any] = answer if isinstance(answer, dict) else {}
        self.second_write = update(
            context, self.image_set_id, str(self.answer.get("latestVersionId")), "AHI^SECOND"
        )
        after, self.after_exchange = wait_for_image_set(
            context, env.datastore_id, self.image_set_id
        )
        self.after: dict[str, Any] = after or {}


def update_run(context: SuiteContext) -> UpdateRun | None:
    scene = scene_of(context)
    if not scene.image_set_ids:
        return None
    return context.shared(UPDATE, lambda: UpdateRun(context, scene))
