"""A hypothesis state machine over one image set's versions, with a model beside the target.

Rules update the set with the current version, try stale versions, revert to
an earlier version, and read every version back; after each step the target's
answers are compared with what it expects: the versions the run's model
(`SuiteContext.model`) saw made, and the PatientName each version holds, which
only the machine predicts (a revert holds what the version reverted to held).
The machine works on its own copy of an imported image set, so that the model
knows every version of it.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from harness.checks import Check, Source
from harness.server.context import SuiteContext
from harness.server.probe import Exchange
from harness.server.registry import Unit, server_check
from harness.server.scenes.imaging import read_metadata, scene_of, wait_for_image_set
from harness.server.stateful import Stop, bound, run_machine

NAMES = st.text(string.ascii_uppercase, min_size=1, max_size=8).map(lambda s: f"AHI^{s}")


@dataclass
class VersionModel:
    """The machine's copy, and the PatientName each of its versions should hold."""

    image_set_id: str
    names: dict[int, Any] = field(default_factory=dict)


def _patient_name(document: dict[str, Any] | None) -> Any:
    return ((document or {}).get("Patient") or {}).get("DICOM", {}).get("PatientName")


def _member(exchange: Exchange, name: str) -> Any:
    body = exchange.json()
    return body.get(name) if isinstance(body, dict) else None


def _updates(name: str) -> dict[str, Any]:
    document = {"SchemaVersion": 1.1, "Patient": {"DICOM": {"PatientName": name}}}
    return {"DICOMUpdates": {"updatableAttributes": json.dumps(document).encode()}}


class ImageSetVersionMachine(RuleBasedStateMachine):
    """Updates, stale updates, reverts and reads of one copied image set against a
    `VersionModel` (run it `stateful.bound` to a context, check and source image set)."""

    context: ClassVar[SuiteContext]
    check: ClassVar[Check]
    source_id: ClassVar[str]
    model: VersionModel

    def judge(self, ok: bool, message: str, *exchanges: Exchange) -> None:
        if not self.context.verdict(self.check.id, "state machine", ok, message, *exchanges):
            raise Stop(message)

    @property
    def versions(self) -> list[int]:
        """The copy's versions the run's model saw made, in order."""
        made = self.context.model.versions(self.model.image_set_id)
        return sorted(int(version) for version in made if version.isdigit())

    @property
    def latest(self) -> int:
        return self.versions[-1]

    def update(self, latest: int, updates: dict[str, Any]) -> Exchange:
        exchange = self.context.call(
            "UpdateImageSetMetadata",
            datastoreId=self.context.env.datastore_id,
            imageSetId=self.model.image_set_id,
            latestVersionId=str(latest),
            updateImageSetMetadataUpdates=updates,
        )
        note(f"update from {latest} -> HTTP {exchange.status}")
        return exchange

    def settled(self, expected: int, *evidence: Exchange) -> None:
        found, exchange = wait_for_image_set(
            self.context, self.context.env.datastore_id, self.model.image_set_id
        )
        self.judge(
            (found or {}).get("versionId") == str(expected)
            and (found or {}).get("imageSetState") == "ACTIVE",
            f"expected version {expected} ACTIVE, GetImageSet says "
            f"{(found or {}).get('versionId')!r} {(found or {}).get('imageSetState')!r}",
            *evidence,
            exchange,
        )

    @initialize()
    def copy_an_imported_set(self) -> None:
        source, _ = wait_for_image_set(self.context, self.context.env.datastore_id, self.source_id)
        exchange = self.context.call(
            "CopyImageSet",
            datastoreId=self.context.env.datastore_id,
            sourceImageSetId=self.source_id,
            copyImageSetInformation={
                "sourceImageSet": {"latestVersionId": str((source or {}).get("versionId"))}
            },
        )
        copy = (_member(exchange, "destinationImageSetProperties") or {}).get("imageSetId")
        self.judge(isinstance(copy, str), "CopyImageSet made no image set", exchange)
        self.model = VersionModel(str(copy))
        self.judge(
            self.versions == [1],
            f"a copy to a new image set made versions {self.versions}, expected [1]",
            exchange,
        )
        wait_for_image_set(self.context, self.context.env.datastore_id, self.source_id)
        self.settled(1, exchange)
        read = read_metadata(
            self.context, self.context.env.datastore_id, self.model.image_set_id, "1"
        )
        self.model.names[1] = _patient_name(read.document)

    @rule(name=NAMES)
    def update_latest(self, name: str) -> None:
        latest = self.latest
        exchange = self.update(latest, _updates(name))
        answered = _member(exchange, "latestVersionId")
        self.judge(
            exchange.status == 200 and answered == str(latest + 1),
            f"update from version {latest}: HTTP {exchange.status}, latestVersionId "
            f"{answered!r}, expected {latest + 1}",
            exchange,
        )
        self.model.names[latest + 1] = name
        self.settled(latest + 1, exchange)

    @rule(name=NAMES, data=st.data())
    def update_stale(self, name: str, data: st.DataObject) -> None:
        if self.latest < 2:
            return
        stale = data.draw(st.integers(1, self.latest - 1))
        exchange = self.update(stale, _updates(name))
        self.judge(
            exchange.status == 409,
            f"update from stale version {stale} (latest {self.latest}) answered "
            f"HTTP {exchange.status}, expected 409",
            exchange,
        )
        self.settled(self.latest, exchange)

    @rule(data=st.data())
    def revert(self, data: st.DataObject) -> None:
        latest = self.latest
        target = data.draw(st.sampled_from(self.versions))
        exchange = self.update(latest, {"revertToVersionId": str(target)})
        self.judge(
            exchange.status == 200,
            f"revert to version {target} from {latest}: HTTP {exchange.status}",
            exchange,
        )
        self.model.names[latest + 1] = self.model.names[target]
        self.settled(latest + 1, exchange)

    @rule(data=st.data())
    def read_a_version(self, data: st.DataObject) -> None:
        version = data.draw(st.sampled_from(self.versions))
        read = read_metadata(
            self.context, self.context.env.datastore_id, self.model.image_set_id, str(version)
        )
        name = _patient_name(read.document)
        self.judge(
            name == self.model.names[version],
            f"version {version} holds PatientName {name!r}, the model "
            f"{self.model.names[version]!r} ({read.problem or 'read'})",
            read.exchange,
        )

    @rule()
    def list_versions(self) -> None:
        exchange = self.context.call(
            "ListImageSetVersions",
            datastoreId=self.context.env.datastore_id,
            imageSetId=self.model.image_set_id,
        )
        items = _member(exchange, "imageSetPropertiesList") or []
        listed = sorted(str(item.get("versionId")) for item in items if isinstance(item, dict))
        expected = sorted(str(version) for version in self.versions)
        self.judge(
            listed == expected,
            f"ListImageSetVersions lists {listed}, the model {expected}",
            exchange,
        )

    def teardown(self) -> None:
        if hasattr(self, "model"):
            self.context.call(
                "DeleteImageSet",
                datastoreId=self.context.env.datastore_id,
                imageSetId=self.model.image_set_id,
            )


@server_check(
    "IMAGESET-VERSIONS-MODEL",
    "versions",
    "Any sequence of updates, stale updates and reverts leaves the image set at the version "
    "a model predicts, every version readable with the metadata it was given, and a revert "
    "adding a version equal to the one reverted to",
    Source.SERVICE_DOCS,
    "developer guide 'Updating image set metadata' (versions, revertToVersionId); AWS CLI "
    "example update-image-set-metadata; stale version refused: decision IMAGE-SET-CONFLICT",
    unit=Unit.IMAGE_SETS,
)
def versions_model(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    if not scene.image_set_ids:
        context.error(check.id, "state machine", f"no image sets to copy: {scene.problem}")
        return
    profile = context.profile
    source_id = scene.image_set_ids[-1]
    with bound(
        ImageSetVersionMachine, context=context, check=check, source_id=source_id
    ) as machine:
        run_machine(
            machine, max(1, profile.machine_examples // 2), max(3, profile.machine_steps // 2)
        )
