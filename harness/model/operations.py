"""One table of operations, derived from the model once and read by every layer.

Each `Operation` holds what the restJson1 binding of one operation says:
method, URI template and its labels, query members (lists included), header
members, the input payload member or the body members, the host prefix, the
output's blob payload and the headers bound beside it, the modelled errors
with their statuses, and the paginator. The reference client, the emulator's
router, the server suite's request helpers and auth checks, the spec builder
and the SDK catalogue all read this table; none writes a path by hand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from harness.model.scope import IN_SCOPE_OPERATIONS
from harness.model.source import (
    API_VERSION,
    SERVICE_NAME,
    ModelSource,
    load_pinned_model,
)

_LABEL = re.compile(r"\{(\w+)\+?\}")


class Location(StrEnum):
    """Where a member travels on the wire (restJson1 HTTP bindings)."""

    LABEL = "label"
    QUERY = "query"
    HEADER = "header"
    BODY = "body"
    PAYLOAD = "payload"


@dataclass(frozen=True)
class Member:
    """One input or output member and its binding."""

    name: str
    wire_name: str
    location: Location
    shape: str
    type: str
    required: bool = False
    idempotency_token: bool = False
    streaming: bool = False
    list_member_type: str | None = None


@dataclass(frozen=True)
class ErrorRef:
    """A modelled error and the status the model gives it."""

    name: str
    status: int


@dataclass(frozen=True)
class Paginator:
    """botocore's paginator entry for an operation."""

    input_token: str
    output_token: str
    limit_key: str
    result_key: str


@dataclass(frozen=True)
class Operation:
    """The binding of one operation."""

    name: str
    method: str
    uri: str
    success_status: int
    host_prefix: str
    input_shape: str
    output_shape: str
    inputs: tuple[Member, ...]
    outputs: tuple[Member, ...]
    errors: tuple[ErrorRef, ...]
    paginator: Paginator | None
    idempotent: bool
    readonly: bool

    def _where(self, members: tuple[Member, ...], location: Location) -> tuple[Member, ...]:
        return tuple(member for member in members if member.location is location)

    @property
    def labels(self) -> tuple[Member, ...]:
        return self._where(self.inputs, Location.LABEL)

    @property
    def query(self) -> tuple[Member, ...]:
        return self._where(self.inputs, Location.QUERY)

    @property
    def body_members(self) -> tuple[Member, ...]:
        return self._where(self.inputs, Location.BODY)

    @property
    def input_payload(self) -> Member | None:
        found = self._where(self.inputs, Location.PAYLOAD)
        return found[0] if found else None

    @property
    def output_payload(self) -> Member | None:
        found = self._where(self.outputs, Location.PAYLOAD)
        return found[0] if found else None

    @property
    def output_headers(self) -> tuple[Member, ...]:
        return self._where(self.outputs, Location.HEADER)

    @property
    def blob_output(self) -> bool:
        """The answer's body is raw bytes (a streaming blob payload), not JSON."""
        payload = self.output_payload
        return payload is not None and payload.type == "blob"

    @property
    def has_request_body(self) -> bool:
        """Whether the binding leaves room for a body (a payload or body members)."""
        return self.input_payload is not None or bool(self.body_members)

    @property
    def idempotency_tokens(self) -> tuple[Member, ...]:
        return tuple(member for member in self.inputs if member.idempotency_token)

    def input(self, name: str) -> Member:
        for member in self.inputs:
            if member.name == name:
                return member
        raise KeyError(f"{self.name} has no input member {name}")

    def path(self, labels: Mapping[str, str], encode: Callable[[str], str] | None = None) -> str:
        """The request path with every label filled in and percent-encoded."""
        path = self.uri
        for member in self.labels:
            value = (encode or encode_label)(str(labels[member.name]))
            path = path.replace("{" + member.wire_name + "}", value)
        return path


def encode_label(value: str) -> str:
    """Percent-encode everything outside RFC 3986 unreserved (Smithy httpLabel)."""
    return quote(value, safe="-._~")


def _member(
    source: ModelSource, name: str, ref: dict[str, Any], required: bool, payload: str | None
) -> Member:
    shape = source.shape(ref["shape"])
    location_name = ref.get("location")
    if name == payload:
        location = Location.PAYLOAD
    elif location_name == "uri":
        location = Location.LABEL
    elif location_name == "querystring":
        location = Location.QUERY
    elif location_name == "header":
        location = Location.HEADER
    else:
        location = Location.BODY
    list_type = None
    if shape["type"] == "list":
        list_type = source.shape(shape["member"]["shape"])["type"]
    return Member(
        name=name,
        wire_name=ref.get("locationName", name),
        location=location,
        shape=ref["shape"],
        type=shape["type"],
        required=required,
        idempotency_token=bool(ref.get("idempotencyToken")),
        streaming=bool(shape.get("streaming")),
        list_member_type=list_type,
    )


def _members(source: ModelSource, shape_name: str) -> tuple[Member, ...]:
    shape = source.shape(shape_name)
    required = set(shape.get("required", ()))
    payload = shape.get("payload")
    return tuple(
        _member(source, name, ref, name in required, payload)
        for name, ref in shape.get("members", {}).items()
    )


def _labels_in(uri: str) -> list[str]:
    return _LABEL.findall(uri)


def build_operation(
    source: ModelSource, name: str, paginators: Mapping[str, Any] | None = None
) -> Operation:
    """One operation's binding, read from `source`."""
    model = source.operation(name)
    if model is None:
        raise KeyError(f"the model has no operation {name}")
    http = model["http"]
    output_shape = model.get("output", {}).get("shape", "")
    paging = (paginators or {}).get(name)
    return Operation(
        name=name,
        method=http["method"],
        uri=http["requestUri"],
        success_status=int(http.get("responseCode", 200)),
        host_prefix=model.get("endpoint", {}).get("hostPrefix", ""),
        input_shape=model["input"]["shape"],
        output_shape=output_shape,
        inputs=_members(source, model["input"]["shape"]),
        outputs=_members(source, output_shape) if output_shape else (),
        errors=tuple(
            ErrorRef(
                error["shape"],
                int(source.shape(error["shape"]).get("error", {}).get("httpStatusCode", 400)),
            )
            for error in model.get("errors", ())
        ),
        paginator=Paginator(
            paging["input_token"],
            paging["output_token"],
            paging["limit_key"],
            paging["result_key"],
        )
        if paging
        else None,
        idempotent=bool(model.get("idempotent")),
        readonly=bool(model.get("readonly")),
    )


class OperationTable(Mapping[str, Operation]):
    """The operations in scope, by name, in scope order."""

    def __init__(self, operations: list[Operation]) -> None:
        self._operations = {operation.name: operation for operation in operations}

    def __getitem__(self, name: str) -> Operation:
        return self._operations[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._operations)

    def __len__(self) -> int:
        return len(self._operations)

    @classmethod
    def from_model(
        cls,
        source: ModelSource,
        names: tuple[str, ...] = IN_SCOPE_OPERATIONS,
        paginators: Mapping[str, Any] | None = None,
    ) -> OperationTable:
        """The table for `names`, skipping any the model lacks."""
        return cls(
            [
                build_operation(source, name, paginators)
                for name in names
                if source.operation(name) is not None
            ]
        )


def pinned_paginators() -> dict[str, Any]:
    """botocore's `paginators-1.json` for the pinned model."""
    import botocore

    path = Path(botocore.__file__).parent / f"data/{SERVICE_NAME}/{API_VERSION}/paginators-1.json"
    if not path.exists():
        return {}
    pagination: dict[str, Any] = json.loads(path.read_text()).get("pagination", {})
    return pagination


@cache
def operations() -> OperationTable:
    """The table of the pinned model's operations in scope."""
    return OperationTable.from_model(load_pinned_model(), paginators=pinned_paginators())
