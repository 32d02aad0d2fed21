"""SearchImageSets: filters, sort and pages over a data store's image sets.

Documented (API reference, developer guide 'Searching image sets', CLI examples):
EQUAL and BETWEEN operators; ranges are (lowerBound, upperBound); default sort
updatedAt DESC; the data store must be ACTIVE; one BETWEEN on updatedAt may
combine with an EQUAL on DICOMSeriesInstanceUID and a sort.

Harness decisions where that material is silent (each refusal is a 400
ValidationException naming the filter):
- SEARCH-EQUAL-FIELDS: EQUAL takes exactly one value, on DICOMPatientId,
  DICOMAccessionNumber, DICOMStudyId, DICOMStudyInstanceUID,
  DICOMSeriesInstanceUID or isPrimary; it matches the whole value, case-sensitively.
- SEARCH-RANGE-FIELDS: BETWEEN takes exactly two values of one member, on
  createdAt, updatedAt or DICOMStudyDateAndTime, and matches both bounds
  inclusively; a lower bound above the upper bound is refused.
- SEARCH-STUDY-DATE: DICOMStudyDate is yyyyMMdd (8 digits, as the examples write
  it); DICOMStudyTime is HH[MM[SS[.ffffff]]] and defaults to 000000 on both bounds.
  Image sets without a Study Date never match a study date range.
- SEARCH-COMBINATIONS: two filters must name different members, and at most one
  of them is a BETWEEN; isPrimary combines with anything.
- SEARCH-PRIMARY-DEFAULT: without an isPrimary filter, primary and non-primary
  image sets are both found.
- SEARCH-SORT: any sort field with any filters; ties are broken by creation
  order in the same direction; sets without a study date sort as the earliest.
  The answer echoes the sort used (the default one when none was asked for).
- SEARCH-DATASTORE-STATE: a data store that is not ACTIVE is a 409 ConflictException.
- SEARCH-PAGES: a `nextToken` resumes after the last item's sort position, so
  pages neither repeat nor skip sets that do not change meanwhile.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from harness.emulator.exceptions import ConflictException, ValidationException
from harness.emulator.faults import Switch
from harness.emulator.handlers import handler
from harness.emulator.imagesets.lifecycle import ImageSets
from harness.emulator.imagesets.reads import STORAGE_TIER
from harness.emulator.pagination import DEFAULT_PAGE_SIZE
from harness.emulator.records import ImageSet

EQUAL_FIELDS = frozenset(
    {
        "DICOMPatientId",
        "DICOMAccessionNumber",
        "DICOMStudyId",
        "DICOMStudyInstanceUID",
        "DICOMSeriesInstanceUID",
        "isPrimary",
    }
)
RANGE_FIELDS = frozenset({"createdAt", "updatedAt", "DICOMStudyDateAndTime"})
DEFAULT_SORT = {"sortField": "updatedAt", "sortOrder": "DESC"}
_DATE = re.compile(r"^\d{8}$")
_TIME = re.compile(r"^(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,6}))?$")


def study_moment(date: str | None, time: str | None) -> str | None:
    """A sortable yyyyMMddHHMMSSffffff key; None when the date is not yyyyMMdd."""
    if not date or not _DATE.match(date.strip()):
        return None
    found = _TIME.match((time or "").strip())
    if found is None:
        return date.strip() + "0" * 12
    hours, minutes, seconds, fraction = found.groups()
    return (
        date.strip()
        + hours
        + (minutes or "00")
        + (seconds or "00")
        + (fraction or "").ljust(6, "0")
    )


def _bound(field: str, value: Any, where: str) -> Any:
    if field != "DICOMStudyDateAndTime":
        return float(value)
    date = str(value.get("DICOMStudyDate", ""))
    time = value.get("DICOMStudyTime")
    if not _DATE.match(date):
        raise ValidationException(f"{where}: DICOMStudyDate must be yyyyMMdd, not {date!r}")
    if time not in (None, "") and not _TIME.match(str(time)):
        raise ValidationException(
            f"{where}: DICOMStudyTime must be HH[MM[SS[.ffffff]]], not {time!r}"
        )
    moment = study_moment(date, str(time or ""))
    assert moment is not None
    return moment


@dataclass(frozen=True)
class Filter:
    """One filter: a member and either an exact value or inclusive bounds."""

    field: str
    equal: Any = None
    low: Any = None
    high: Any = None

    def matches(self, image_set: ImageSet) -> bool:
        value = _field_value(image_set, self.field)
        if self.low is None:
            return value is not None and value == self.equal
        return value is not None and self.low <= value <= self.high


def _field_value(image_set: ImageSet, field: str) -> Any:
    if field == "isPrimary":
        return image_set.is_primary
    if field == "createdAt":
        return image_set.created_at
    if field == "updatedAt":
        return image_set.updated_at
    tags = image_set.dicom_tags
    if field == "DICOMStudyDateAndTime":
        return study_moment(tags.get("DICOMStudyDate"), tags.get("DICOMStudyTime"))
    return tags.get(field)


def _filter(index: int, raw: dict[str, Any]) -> Filter:
    where = f"searchCriteria.filters[{index}]"
    operator = raw["operator"]
    values: list[dict[str, Any]] = raw["values"]
    fields = {name for value in values for name in value if value.get(name) is not None}
    if len(fields) != 1:
        raise ValidationException(f"{where}: all values must set the same one member")
    field = fields.pop()
    items = [value[field] for value in values]
    if operator == "EQUAL":
        if field not in EQUAL_FIELDS:
            raise ValidationException(
                f"{where}: EQUAL is not supported on {field}; use BETWEEN for {field}"
                if field in RANGE_FIELDS
                else f"{where}: EQUAL is not supported on {field}"
            )
        if len(items) != 1:
            raise ValidationException(f"{where}: EQUAL takes exactly one value")
        return Filter(field, equal=items[0])
    if field not in RANGE_FIELDS:
        raise ValidationException(f"{where}: BETWEEN is not supported on {field}")
    if len(items) != 2:
        raise ValidationException(f"{where}: BETWEEN takes exactly two values (lower, upper)")
    low, high = (_bound(field, item, where) for item in items)
    if low > high:
        raise ValidationException(f"{where}: the lower bound is above the upper bound")
    return Filter(field, low=low, high=high)


@dataclass(frozen=True)
class SearchQuery:
    """Validated search criteria."""

    filters: tuple[Filter, ...]
    sort_field: str
    descending: bool

    @classmethod
    def parse(cls, criteria: dict[str, Any] | None) -> SearchQuery:
        """The query for `criteria`, or ValidationException for a refused combination."""
        criteria = criteria or {}
        filters = tuple(
            _filter(index, raw) for index, raw in enumerate(criteria.get("filters") or ())
        )
        names = [item.field for item in filters]
        if len(set(names)) != len(names):
            raise ValidationException("searchCriteria.filters: two filters on the same member")
        if sum(item.low is not None for item in filters) > 1:
            raise ValidationException("searchCriteria.filters: at most one BETWEEN filter")
        sort = criteria.get("sort") or DEFAULT_SORT
        return cls(filters, sort["sortField"], sort["sortOrder"] == "DESC")

    @property
    def sort(self) -> dict[str, str]:
        return {"sortField": self.sort_field, "sortOrder": "DESC" if self.descending else "ASC"}

    def matches(self, image_set: ImageSet) -> bool:
        return all(item.matches(image_set) for item in self.filters)

    def position(self, image_set: ImageSet) -> list[Any]:
        """The set's place in the sort order: [sort value, creation order]."""
        value = _field_value(image_set, self.sort_field)
        if self.sort_field == "DICOMStudyDateAndTime":
            value = value or ""
        return [value, image_set.seq]


class Search:
    """The SearchImageSets operation."""

    def __init__(self, image_sets: ImageSets) -> None:
        self.image_sets = image_sets
        self.faults = image_sets.faults

    def _candidates(self, datastore_id: str, now: float) -> list[ImageSet]:
        scope = None if self.faults.on(Switch.SEARCH_LEAKS_DATASTORES) else datastore_id
        readable_gone = self.faults.on(Switch.DELETED_IMAGE_SET_READABLE)
        return [
            image_set
            for image_set in self.image_sets.tables.in_datastore(scope)
            if image_set.latest_version and (readable_gone or not image_set.gone(now))
        ]

    @handler
    def search_image_sets(self, request: dict[str, Any]) -> dict[str, Any]:
        datastore_id = request["datastoreId"]
        datastore = self.image_sets.datastore(datastore_id)
        if datastore.datastore_status != "ACTIVE":
            raise ConflictException(
                f"Datastore {datastore_id} is {datastore.datastore_status}, not ACTIVE"
            )
        criteria = request.get("searchCriteria")
        query = SearchQuery.parse(criteria)
        if self.faults.on(Switch.SEARCH_SORT_IGNORED):
            query = replace(query, sort_field="updatedAt", descending=True)
        if self.faults.on(Switch.SEARCH_STUDY_ID_AS_UID):
            query = replace(
                query,
                filters=tuple(
                    replace(item, field="DICOMStudyInstanceUID")
                    if item.field == "DICOMStudyId"
                    else item
                    for item in query.filters
                ),
            )
        scope = {"op": "SearchImageSets", "datastoreId": datastore_id, "criteria": criteria or {}}
        cursor = (
            self.image_sets.tokens.read_cursor(request["nextToken"], scope)
            if "nextToken" in request
            else None
        )
        now = self.image_sets.clock()
        keep: Callable[[ImageSet], bool] = (
            (lambda _: True) if self.faults.on(Switch.SEARCH_FILTER_IGNORED) else query.matches
        )
        found = sorted(
            (s for s in self._candidates(datastore_id, now) if keep(s)),
            key=query.position,
            reverse=query.descending,
        )
        if cursor is not None:
            found = [s for s in found if _after(query.position(s), cursor, query.descending)]
        limit = request.get("maxResults", DEFAULT_PAGE_SIZE)
        if self.faults.on(Switch.SEARCH_PAGE_SIZE_IGNORED):
            limit = DEFAULT_PAGE_SIZE
        page = found[:limit]
        result: dict[str, Any] = {
            "imageSetsMetadataSummaries": [self._summary(image_set) for image_set in page],
            "sort": query.sort,
        }
        if page and len(found) > limit:
            result["nextToken"] = self.image_sets.tokens.issue(query.position(page[-1]), scope)
        return result

    def _summary(self, image_set: ImageSet) -> dict[str, Any]:
        return {
            "imageSetId": image_set.image_set_id,
            "version": image_set.latest_version,
            "createdAt": image_set.created_at,
            "updatedAt": image_set.updated_at,
            "lastAccessedAt": image_set.updated_at,
            "storageTier": STORAGE_TIER,
            "DICOMTags": dict(image_set.dicom_tags),
            "isPrimary": image_set.is_primary,
        }


def _after(position: list[Any], cursor: list[Any], descending: bool) -> bool:
    try:
        key, mark = (position[0], position[1]), (cursor[0], cursor[1])
        return key < mark if descending else key > mark
    except (TypeError, IndexError):
        raise ValidationException(
            "Invalid nextToken: it was not issued for this request."
        ) from None
