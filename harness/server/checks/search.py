"""SearchImageSets: filters find what was imported, and nothing crosses data stores."""

from __future__ import annotations

from typing import Any

from harness.checks import Check, Source
from harness.server.context import SuiteContext
from harness.server.registry import server_check
from harness.server.scenes.imaging import (
    UNIT,
    scene_of,
    second_datastore,
    subject_ok,
)
from harness.server.scenes.search import search_all


def _equal(member: str, value: Any) -> dict[str, Any]:
    return {"filters": [{"operator": "EQUAL", "values": [{member: value}]}]}


SEARCH_FIELDS = (
    ("DICOMStudyInstanceUID", "StudyInstanceUID"),
    ("DICOMSeriesInstanceUID", "SeriesInstanceUID"),
    ("DICOMPatientId", "PatientID"),
)


@server_check(
    "SEARCH-FILTER",
    "search",
    "SearchImageSets with EQUAL on a Study UID, Series UID or Patient ID finds the imported "
    "image set, and every result's DICOMTags carry the value searched for",
    Source.MODEL,
    "SearchImageSets SearchByAttributeValue; AWS CLI examples search-image-sets",
    unit=UNIT,
)
def search_filter(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    if not subject_ok(context, check, scene):
        return
    target = next((f for f in scene.files if f.image_set_id), None)
    assert target is not None
    for member, keyword in SEARCH_FIELDS:
        value = str(getattr(target.dataset, keyword, ""))
        results, exchanges = search_all(context, context.env.datastore_id, _equal(member, value))
        ids = {item.get("imageSetId") for item in results}
        strays = [
            item.get("imageSetId")
            for item in results
            if (item.get("DICOMTags") or {}).get(member) != value
        ]
        context.verdict(
            check.id,
            "SearchImageSets",
            target.image_set_id in ids and not strays,
            f"EQUAL {member}={value!r}: {len(results)} results; expected image set "
            f"{target.image_set_id} {'found' if target.image_set_id in ids else 'missing'}; "
            f"results without that value: {strays[:3]}",
            *exchanges[-1:],
        )


@server_check(
    "SEARCH-SCOPE",
    "search",
    "SearchImageSets in another data store does not list the image sets of this one",
    Source.SERVICE_DOCS,
    "API reference SearchImageSets: 'the data store where the image sets reside'",
    unit=UNIT,
)
def search_scope(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    if not subject_ok(context, check, scene):
        return
    other = second_datastore(context)
    if other is None:
        context.error(check.id, "SearchImageSets", "could not create a second data store")
        return
    target = next(f for f in scene.files if f.image_set_id)
    for criteria in (_equal("DICOMStudyInstanceUID", target.study_uid), None):
        results, exchanges = search_all(context, other, criteria)
        leaked = sorted({str(i.get("imageSetId")) for i in results} & set(scene.image_set_ids))
        context.verdict(
            check.id,
            "SearchImageSets",
            not leaked,
            f"a search in data store {other} lists image sets of {context.env.datastore_id}: "
            f"{leaked[:3]}",
            *exchanges[-1:],
        )
