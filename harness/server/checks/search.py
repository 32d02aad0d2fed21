"""SearchImageSets: every filter member and sort the model gives it, derived from the model
(`harness.server.derived`), finds what was imported in order; nothing crosses data stores."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from pydicom.datadict import keyword_dict

from harness.checks import Check, Source
from harness.server.context import SuiteContext
from harness.server.derived import Covered, SearchMember, search_members, sort_orders
from harness.server.registry import server_check
from harness.server.scenes.imaging import (
    UNIT,
    ImportedFile,
    Scene,
    scene_of,
    second_datastore,
    subject_ok,
)
from harness.server.scenes.search import search_all


def _equal(member: str, value: Any) -> dict[str, Any]:
    return {"filters": [{"operator": "EQUAL", "values": [{member: value}]}]}


@cache
def _keywords() -> dict[str, str]:
    """pydicom's keywords by their lower-case spelling."""
    return {keyword.lower(): keyword for keyword in keyword_dict}


def dicom_keyword(member: str) -> str | None:
    """The DICOM keyword a `DICOM...` member of the model names (DICOMPatientId is
    PatientID), if it names one."""
    if not member.startswith("DICOM"):
        return None
    return _keywords().get(member.removeprefix("DICOM").lower())


def _summary_value(summary: dict[str, Any], name: str) -> Any:
    return summary[name] if name in summary else (summary.get("DICOMTags") or {}).get(name)


def _file_value(imported: ImportedFile, name: str) -> str | None:
    keyword = dicom_keyword(name)
    value = str(getattr(imported.dataset, keyword, "") or "") if keyword else ""
    return value or None


@dataclass
class Probe:
    """A filter on one member: the value the run imported, and the image set holding it.
    A moment is searched within a second either side; a study date and time between itself
    and itself."""

    member: SearchMember
    value: Any
    image_set_id: str

    @property
    def bounds(self) -> tuple[Any, Any]:
        if self.member.type == "timestamp":
            return float(self.value) - 1, float(self.value) + 1
        return self.value, self.value

    @property
    def criteria(self) -> dict[str, Any]:
        name = self.member.name
        if self.member.operator == "EQUAL":
            return _equal(name, self.value)
        low, high = self.bounds
        return {"filters": [{"operator": "BETWEEN", "values": [{name: low}, {name: high}]}]}

    def fits(self, item: dict[str, Any]) -> bool:
        """Whether a result holds the value (a study date and time: its date)."""
        if self.member.parts:
            first = self.member.parts[0]
            return bool(_summary_value(item, first) == self.value[first])
        found = _summary_value(item, self.member.name)
        if self.member.operator == "EQUAL":
            return bool(found == self.value)
        low, high = self.bounds
        return isinstance(found, int | float) and low <= found <= high

    def __str__(self) -> str:
        return f"{self.member.operator} {self.member.name} {self.bounds}"


def _probe(member: SearchMember, scene: Scene, summaries: dict[str, Any]) -> Probe | None:
    """A filter on `member` built from what the run imported: a file's DICOM value where the
    member names DICOM attributes, the image set's search summary otherwise (a moment only
    when the summary holds it as a number)."""
    for imported in scene.files:
        summary = summaries.get(imported.image_set_id or "")
        if imported.image_set_id is None or summary is None:
            continue
        value: Any
        if member.parts:
            found = {part: _file_value(imported, part) for part in member.parts}
            value = {part: item for part, item in found.items() if item}
            if member.parts[0] not in value:
                continue
        elif dicom_keyword(member.name):
            value = _file_value(imported, member.name)
        else:
            value = _summary_value(summary, member.name)
        if member.type == "timestamp" and not _is_number(value):
            continue  # not epoch seconds: RESPONSE-SCHEMA judges the summary's types
        if value is not None and value != "":
            return Probe(member, value, imported.image_set_id)
    return None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@server_check(
    "SEARCH-FILTER",
    "search",
    "SearchImageSets filtered on any member it takes (EQUAL on ids and isPrimary, BETWEEN on "
    "createdAt, updatedAt and the study date and time) finds the imported image set that "
    "holds the value, and every result holds it",
    Source.MODEL,
    "SearchImageSets SearchByAttributeValue (every member) and Operator; developer guide "
    "'Searching image sets'; AWS CLI examples search-image-sets",
    unit=UNIT,
    covers=lambda: [
        Covered("SearchImageSets", f"{member.operator} {member.name}")
        for member in search_members()
    ],
)
def search_filter(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    if not subject_ok(context, check, scene):
        return
    everything, unfiltered = search_all(context, context.env.datastore_id, None)
    summaries = {str(item.get("imageSetId")): item for item in everything}
    unlisted = [image_set for image_set in scene.image_set_ids if image_set not in summaries]
    if unlisted:
        context.verdict(
            check.id,
            "SearchImageSets",
            False,
            f"unfiltered, the search lists {len(everything)} image sets, not the imported "
            f"{unlisted[:3]}: no filter can find them",
            *unfiltered[-1:],
            note="no filter",
        )
    for member in search_members():
        probe = _probe(member, scene, summaries)
        if probe is None:
            continue  # no imported image set holds a value of this member
        results, exchanges = search_all(context, context.env.datastore_id, probe.criteria)
        ids = {item.get("imageSetId") for item in results}
        strays = [item.get("imageSetId") for item in results if not probe.fits(item)]
        context.verdict(
            check.id,
            "SearchImageSets",
            probe.image_set_id in ids and not strays,
            f"{probe}: {len(results)} results; expected image set "
            f"{probe.image_set_id} {'found' if probe.image_set_id in ids else 'missing'}; "
            f"results without that value: {strays[:3]}",
            *exchanges[-1:],
            note=f"filter on {member.name}",
        )


def _sort_key(item: dict[str, Any], field_name: str) -> Any:
    """An item's place by `field_name`; a moment of several parts (a study date and time)
    by its parts, None when it lacks the first."""
    parts = {member.name: member.parts for member in search_members()}.get(field_name)
    if not parts:
        return _summary_value(item, field_name)
    first = _summary_value(item, parts[0])
    if not first:
        return None
    return (str(first), *(str(_summary_value(item, part) or "") for part in parts[1:]))


@server_check(
    "SEARCH-SORT",
    "search",
    "SearchImageSets sorted by any sort field, ascending or descending, lists its results in "
    "that order across every page",
    Source.MODEL,
    "SearchImageSets Sort (sortField updatedAt, createdAt, DICOMStudyDateAndTime; sortOrder "
    "ASC, DESC); API reference: the default sort is updatedAt descending",
    unit=UNIT,
    covers=lambda: [Covered("SearchImageSets", f"{name} {order}") for name, order in sort_orders()],
)
def search_sort(context: SuiteContext, check: Check) -> None:
    scene = scene_of(context)
    if not subject_ok(context, check, scene):
        return
    for field_name, order in sort_orders():
        criteria = {"sort": {"sortField": field_name, "sortOrder": order}}
        results, exchanges = search_all(context, context.env.datastore_id, criteria)
        keys = [key for item in results if (key := _sort_key(item, field_name)) is not None]
        wanted = sorted(keys, reverse=order == "DESC")
        context.verdict(
            check.id,
            "SearchImageSets",
            bool(exchanges) and exchanges[-1].status == 200 and keys == wanted,
            f"sorted by {field_name} {order}: HTTP {exchanges[-1].status if exchanges else None}, "
            f"{len(results)} results in the order {keys[:6]}",
            *exchanges[-1:],
            note=f"sort {field_name} {order}",
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
