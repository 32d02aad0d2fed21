"""What the operation table implies for each operation, read by the derived rules.

A rule derived from the model applies to every operation with the feature it is
about, so a new operation gets it without a line of check code: the paginated
operations and what identifies their items, the status filters of a list, the
status members of a write's answer and the state the documentation gives its
first answer. Each derived rule states what it covers in each operation
(`Covered`, given to `server_check(covers=...)`); the documentation's listing and a
test read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from harness.model import operations, pinned_model
from harness.model.operations import Operation


@dataclass(frozen=True)
class Listing:
    """A paginated operation: its paginator's members and what identifies an item."""

    operation: str
    result_key: str
    limit_key: str
    input_token: str
    output_token: str
    identity: tuple[str, ...]
    """The item's required members named `...Id`, in model order: together they name it."""
    kind: str
    """The member of the identity that names what is listed, not what it is listed under
    (not an input member): jobId, datastoreId, imageSetId, versionId."""
    maximum: int
    """The largest page size the model allows."""


@dataclass(frozen=True)
class StatusFilter:
    """A list input member that filters by a status its items carry."""

    operation: str
    member: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class StatusMember:
    """A status or state member of a write's answer (`path` into nested structures)."""

    operation: str
    path: tuple[str, ...]
    values: tuple[str, ...]

    @property
    def name(self) -> str:
        return ".".join(self.path)


FIRST_STATUS: dict[tuple[str, str], str] = {
    ("CreateDatastore", "datastoreStatus"): "CREATING",
    ("DeleteDatastore", "datastoreStatus"): "DELETING",
    ("StartDICOMImportJob", "jobStatus"): "SUBMITTED",
    ("UpdateImageSetMetadata", "imageSetState"): "LOCKED",
    ("UpdateImageSetMetadata", "imageSetWorkflowStatus"): "UPDATING",
    ("CopyImageSet", "sourceImageSetProperties.imageSetState"): "LOCKED",
    (
        "CopyImageSet",
        "sourceImageSetProperties.imageSetWorkflowStatus",
    ): "COPYING_WITH_READ_ONLY_ACCESS",
    ("CopyImageSet", "destinationImageSetProperties.imageSetState"): "LOCKED",
    ("CopyImageSet", "destinationImageSetProperties.imageSetWorkflowStatus"): "COPYING",
    ("DeleteImageSet", "imageSetState"): "LOCKED",
    ("DeleteImageSet", "imageSetWorkflowStatus"): "DELETING",
}
"""The status a write's immediate answer holds, by (operation, member path): the
transitional state the work runs under (AWS CLI reference examples of create-datastore,
delete-datastore, start-dicom-import-job, update-image-set-metadata, copy-image-set and
delete-image-set; developer guide: the work runs asynchronously under LOCKED)."""

FIRST_STATUS_SOURCE = (
    "AWS CLI reference examples (create-datastore, delete-datastore, "
    "start-dicom-import-job, update-image-set-metadata, copy-image-set, delete-image-set); "
    "developer guide: copies, updates and deletes run asynchronously under LOCKED"
)


def _shape(name: str) -> dict[str, object]:
    found: dict[str, object] = pinned_model().shape(name)
    return found


def _enum(shape_name: str) -> tuple[str, ...]:
    values = _shape(shape_name).get("enum")
    return tuple(str(value) for value in values) if isinstance(values, list) else ()


def _members(shape_name: str) -> dict[str, str]:
    """A structure's members: name -> shape name."""
    members = _shape(shape_name).get("members")
    if not isinstance(members, dict):
        return {}
    return {name: str(ref["shape"]) for name, ref in members.items()}


def _item_shape(operation: Operation, result_key: str) -> str:
    list_shape = _members(operation.output_shape)[result_key]
    member = _shape(list_shape)["member"]
    assert isinstance(member, dict)
    return str(member["shape"])


@cache
def listings() -> tuple[Listing, ...]:
    """Every operation with a paginator, in table order."""
    found = []
    for operation in operations().values():
        paginator = operation.paginator
        if paginator is None:
            continue
        item = _item_shape(operation, paginator.result_key)
        required = _shape(item).get("required")
        identity = tuple(
            name
            for name in _members(item)
            if name.endswith("Id") and isinstance(required, list) and name in required
        )
        inputs = {member.name for member in operation.inputs}
        limit = _shape(operation.input(paginator.limit_key).shape).get("max")
        found.append(
            Listing(
                operation.name,
                paginator.result_key,
                paginator.limit_key,
                paginator.input_token,
                paginator.output_token,
                identity,
                next(name for name in identity if name not in inputs),
                int(limit) if isinstance(limit, int) else 50,
            )
        )
    return tuple(found)


def listing(operation: str) -> Listing:
    """The listing of a paginated operation."""
    return next(found for found in listings() if found.operation == operation)


@cache
def status_filters() -> tuple[StatusFilter, ...]:
    """Every list input member whose values are a status its items carry under the same
    name (ListDatastores datastoreStatus, ListDICOMImportJobs jobStatus)."""
    found = []
    for listed in listings():
        operation = operations()[listed.operation]
        item = _members(_item_shape(operation, listed.result_key))
        for member in operation.query:
            values = _enum(member.shape)
            if values and member.name in item and _enum(item[member.name]) == values:
                found.append(StatusFilter(listed.operation, member.name, values))
    return tuple(found)


def _status_paths(shape_name: str, prefix: tuple[str, ...]) -> list[tuple[tuple[str, ...], str]]:
    paths = []
    for name, shape in _members(shape_name).items():
        if _enum(shape) and name.endswith(("Status", "State")):
            paths.append(((*prefix, name), shape))
        elif _shape(shape).get("type") == "structure" and not prefix:
            paths += _status_paths(shape, (name,))
    return paths


@cache
def status_members() -> tuple[StatusMember, ...]:
    """Every status or state member of a write's answer (an operation the model does not
    mark read-only), nested structures one level deep included."""
    return tuple(
        StatusMember(operation.name, path, _enum(shape))
        for operation in operations().values()
        if not operation.readonly and operation.output_shape
        for path, shape in _status_paths(operation.output_shape, ())
    )


def first_status(member: StatusMember) -> str | None:
    """The status the documentation gives a write's immediate answer, if it gives one."""
    return FIRST_STATUS.get((member.operation, member.name))


@dataclass(frozen=True)
class SearchMember:
    """A member SearchImageSets filters on, and the operator its type takes: EQUAL for a
    value (a string, a boolean), BETWEEN for a moment (a timestamp, a study date and time)."""

    name: str
    operator: str
    type: str
    parts: tuple[str, ...] = ()
    """A structure's members (DICOMStudyDate, DICOMStudyTime), read from an item's tags."""


OPERATOR_BY_TYPE = {
    "string": "EQUAL",
    "boolean": "EQUAL",
    "timestamp": "BETWEEN",
    "structure": "BETWEEN",
}
"""EQUAL on values, BETWEEN on moments (API reference SearchFilter: BETWEEN is for
`imageSetDateTime`; developer guide 'Searching image sets': its examples range over
updatedAt, createdAt and DICOMStudyDateAndTime and match ids with EQUAL)."""


@cache
def search_members() -> tuple[SearchMember, ...]:
    """Every member of SearchByAttributeValue, with the operator its type takes."""
    found = []
    for name, shape in _members("SearchByAttributeValue").items():
        kind = str(_shape(shape)["type"])
        if kind not in OPERATOR_BY_TYPE:
            raise ValueError(f"SearchByAttributeValue.{name}: no operator for type {kind}")
        parts = tuple(_members(shape)) if kind == "structure" else ()
        found.append(SearchMember(name, OPERATOR_BY_TYPE[kind], kind, parts))
    return tuple(found)


@cache
def sort_orders() -> tuple[tuple[str, str], ...]:
    """Every (sortField, sortOrder) SearchImageSets takes."""
    sort = _members("Sort")
    return tuple(
        (field_name, order)
        for field_name in _enum(sort["sortField"])
        for order in _enum(sort["sortOrder"])
    )


@dataclass(frozen=True)
class Covered:
    """What a derived rule judges in one operation, and the subject its outcome carries in
    a run (the operation, or the document it judges)."""

    operation: str
    what: str
    subject: str = ""

    @property
    def judged_as(self) -> str:
        return self.subject or self.operation


EVERY_ANSWER = "every answer"


def every_operation() -> list[Covered]:
    """The coverage of a rule on every answer of every operation alike."""
    return [Covered(operation, EVERY_ANSWER) for operation in operations()]


def markdown(rows: list[tuple[str, Covered]]) -> str:
    """Coverage, (rule, covered) pairs, as the documentation's table: one line per
    operation and rule; the rules on every answer of every operation named once beneath."""
    alike = sorted({rule for rule, row in rows if row.what == EVERY_ANSWER})
    grouped: dict[tuple[str, str], list[str]] = {}
    for rule, row in rows:
        if rule not in alike:
            grouped.setdefault((row.operation, rule), []).append(row.what)
    order = list(operations())
    lines = ["| operation | rule | what it judges there |", "|---|---|---|"]
    for (operation, rule), what in sorted(
        grouped.items(), key=lambda item: (order.index(item[0][0]), item[0][1])
    ):
        lines.append(f"| {operation} | {rule} | {'; '.join(dict.fromkeys(what))} |")
    lines += ["", f"Every operation, on every answer: {', '.join(alike)}."]
    return "\n".join(lines) + "\n"
