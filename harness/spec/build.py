"""Build the OpenAPI 3.1 document from the botocore service model.

Bindings (route, labels, query and header members, the payload, the host
prefix, blob answers and their headers, errors and their statuses) come from
the operation table, `harness.model.operations`; the schemas of shapes come
from the model. Structures become component schemas, every other shape is
written inline where it is used (so each member carries its own bounds).
Decisions where the model and OpenAPI differ are listed in
`harness.spec.remarks.DECISIONS` and recorded in `info`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.model import IN_SCOPE_OPERATIONS, Location, Member, ModelSource, Operation
from harness.model.operations import OperationTable
from harness.model.scope import (
    DATASTORE_OPERATIONS,
    IMAGE_SET_OPERATIONS,
    IMPORT_OPERATIONS,
    TAGGING_OPERATIONS,
)
from harness.spec.doctext import plain_text
from harness.spec.patterns import anchored
from harness.spec.remarks import DECISIONS, OPERATION_REMARKS, THROTTLING

OPENAPI_VERSION = "3.1.0"
JSON = "application/json"
ERROR_TYPE_HEADER = "X-Amzn-Errortype"
SECURITY_SCHEME = "sigv4"
CONTENT_TYPE = "Content-Type"
CONTENT_ENCODING = "Content-Encoding"

BASE64_PATTERN = "(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?"
"""Padded base64 (RFC 4648 section 4), before anchoring."""

_IN = {Location.LABEL: "path", Location.QUERY: "query", Location.HEADER: "header"}
_MEDIA_TYPE = re.compile(r"<code>([a-z]+/[A-Za-z0-9.+-]+)</code>")

BLOB_MEDIA_TYPES: dict[str, tuple[str, ...]] = {"GetImageSetMetadata": (JSON,)}
"""Media types of blob answers where the harness overrides the model (BLOB-RESPONSES)."""
EXTRA_BLOB_MEDIA_TYPES: dict[str, tuple[str, ...]] = {"GetImageFrame": ("image/j2c",)}
"""Media types added to the model's list (JPEG 2000 lossless, BLOB-RESPONSES)."""
CONTENT_ENCODINGS: dict[str, str] = {"GetImageSetMetadata": "gzip"}
"""The Content-Encoding a blob answer carries (BLOB-RESPONSES)."""

LABEL_EXAMPLES: dict[str, str] = {
    "Arn": "arn:aws:medical-imaging:us-east-1:123456789012:datastore/"
    "0123456789abcdef0123456789abcdef",
}
"""Examples for label shapes whose values hold `/` (LABEL-ENCODING), by shape name."""

# Errors AWS services answer that no service model lists (decision COMMON-ERRORS).
COMMON_ERRORS: dict[int, tuple[str, ...]] = {
    400: ("SerializationException",),
    403: (
        "MissingAuthenticationTokenException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "IncompleteSignatureException",
    ),
}
_TAGS: dict[str, tuple[str, ...]] = {
    "import jobs": IMPORT_OPERATIONS,
    "datastores": DATASTORE_OPERATIONS,
    "image sets": IMAGE_SET_OPERATIONS,
    "tagging": TAGGING_OPERATIONS,
}


@dataclass(frozen=True)
class Link:
    """An OpenAPI link from one operation's success response to another operation.

    `parameters` are keyed by the target's wire names; `request_body` is merged
    into the body schemathesis generates; `name` tells two links to one target apart.
    """

    source: str
    target: str
    parameters: dict[str, str]
    request_body: dict[str, Any] | None = None
    name: str = ""

    @property
    def key(self) -> str:
        return self.name or self.target


_SEARCHED = "$response.body#/imageSetsMetadataSummaries/0/imageSetId"
_FOUND = {"datastoreId": "$request.path.datastoreId", "imageSetId": _SEARCHED}
_GOT = {"datastoreId": "$response.body#/datastoreId", "imageSetId": "$response.body#/imageSetId"}
_DATASTORE_ARN = {"resourceArn": "$response.body#/datastoreProperties/datastoreArn"}
_IMAGE_SET_ARN = {"resourceArn": "$response.body#/imageSetArn"}
_SAME_ARN = {"resourceArn": "$request.path.resourceArn"}

LINKS: tuple[Link, ...] = (
    Link(
        "StartDICOMImportJob",
        "GetDICOMImportJob",
        {"datastoreId": "$response.body#/datastoreId", "jobId": "$response.body#/jobId"},
    ),
    Link(
        "ListDICOMImportJobs",
        "GetDICOMImportJob",
        {
            "datastoreId": "$request.path.datastoreId",
            "jobId": "$response.body#/jobSummaries/0/jobId",
        },
    ),
    Link(
        "GetDICOMImportJob",
        "SearchImageSets",
        {"datastoreId": "$response.body#/jobProperties/datastoreId"},
    ),
    Link("CreateDatastore", "GetDatastore", {"datastoreId": "$response.body#/datastoreId"}),
    Link("CreateDatastore", "StartDICOMImportJob", {"datastoreId": "$response.body#/datastoreId"}),
    Link("CreateDatastore", "ListDICOMImportJobs", {"datastoreId": "$response.body#/datastoreId"}),
    Link("CreateDatastore", "SearchImageSets", {"datastoreId": "$response.body#/datastoreId"}),
    Link("CreateDatastore", "DeleteDatastore", {"datastoreId": "$response.body#/datastoreId"}),
    Link(
        "ListDatastores",
        "GetDatastore",
        {"datastoreId": "$response.body#/datastoreSummaries/0/datastoreId"},
    ),
    Link(
        "ListDatastores",
        "SearchImageSets",
        {"datastoreId": "$response.body#/datastoreSummaries/0/datastoreId"},
    ),
    Link(
        "GetDatastore",
        "SearchImageSets",
        {"datastoreId": "$response.body#/datastoreProperties/datastoreId"},
    ),
    Link("GetDatastore", "TagResource", _DATASTORE_ARN),
    Link("GetDatastore", "ListTagsForResource", _DATASTORE_ARN),
    Link("GetDatastore", "UntagResource", _DATASTORE_ARN),
    Link("SearchImageSets", "GetImageSet", _FOUND),
    Link("SearchImageSets", "GetImageSetMetadata", _FOUND),
    Link("SearchImageSets", "ListImageSetVersions", _FOUND),
    Link("SearchImageSets", "UpdateImageSetMetadata", _FOUND),
    Link(
        "SearchImageSets",
        "CopyImageSet",
        {"datastoreId": "$request.path.datastoreId", "sourceImageSetId": _SEARCHED},
    ),
    Link("SearchImageSets", "DeleteImageSet", _FOUND),
    Link("GetImageSet", "GetImageSetMetadata", {**_GOT, "version": "$response.body#/versionId"}),
    Link("GetImageSet", "ListImageSetVersions", _GOT),
    Link(
        "GetImageSet",
        "UpdateImageSetMetadata",
        {**_GOT, "latestVersion": "$response.body#/versionId"},
    ),
    Link(
        "GetImageSet",
        "CopyImageSet",
        {
            "datastoreId": "$response.body#/datastoreId",
            "sourceImageSetId": "$response.body#/imageSetId",
        },
        request_body={"sourceImageSet": {"latestVersionId": "$response.body#/versionId"}},
    ),
    Link("GetImageSet", "TagResource", _IMAGE_SET_ARN),
    Link("GetImageSet", "ListTagsForResource", _IMAGE_SET_ARN),
    Link("GetImageSet", "UntagResource", _IMAGE_SET_ARN),
    Link(
        "ListImageSetVersions",
        "GetImageSet",
        {
            "datastoreId": "$request.path.datastoreId",
            "imageSetId": "$request.path.imageSetId",
            "version": "$response.body#/imageSetPropertiesList/0/versionId",
        },
    ),
    Link(
        "UpdateImageSetMetadata",
        "GetImageSet",
        {**_GOT, "version": "$response.body#/latestVersionId"},
    ),
    Link(
        "CopyImageSet",
        "GetImageSet",
        {
            "datastoreId": "$response.body#/datastoreId",
            "imageSetId": "$response.body#/destinationImageSetProperties/imageSetId",
        },
    ),
    Link("TagResource", "ListTagsForResource", _SAME_ARN),
    Link("TagResource", "UntagResource", _SAME_ARN),
)
"""Links for stateful testing: import -> image sets -> versions, copies, tags.

None leaves UntagResource or DeleteImageSet: nothing useful follows a removal, and
schemathesis reads a 200 from a GET on the path of a successful DELETE as use
after free (`DELETE /tags/{arn}` removes tags, not the resource, so the schema
phase turns that check off for ListTagsForResource). GetImageFrame has no link:
its frame IDs are inside the gzip-compressed metadata document.
"""


@dataclass
class _SchemaWriter:
    """Turns model shapes into JSON Schema, collecting structures as components."""

    source: ModelSource
    components: dict[str, dict[str, Any]] = field(default_factory=dict)

    def member(self, member: dict[str, Any]) -> dict[str, Any]:
        schema = dict(self.shape(member["shape"]))
        description = plain_text(member.get("documentation"))
        if description:
            schema["description"] = description
        if member.get("idempotencyToken"):
            schema["x-aws-idempotency-token"] = True
        return schema

    def shape(self, name: str) -> dict[str, Any]:
        shape = self.source.shape(name)
        kind = shape["type"]
        if kind == "structure":
            if name not in self.components:
                self.components[name] = {}  # placeholder against recursion
                self.components[name] = self.structure(name, shape)
            return {"$ref": f"#/components/schemas/{name}"}
        schema: dict[str, Any]
        if kind == "string":
            schema = self._string(shape)
        elif kind in ("integer", "long"):
            schema = {"type": "integer", "format": "int32" if kind == "integer" else "int64"}
            _copy_bounds(shape, schema, "minimum", "maximum")
        elif kind in ("float", "double"):
            schema = {"type": "number", "format": kind}
            _copy_bounds(shape, schema, "minimum", "maximum")
        elif kind == "boolean":
            schema = {"type": "boolean"}
        elif kind == "timestamp":
            schema = _timestamp(shape)
        elif kind == "blob":
            schema = _base64(shape)
        elif kind == "list":
            schema = {"type": "array", "items": self.member(shape["member"])}
            _copy_bounds(shape, schema, "minItems", "maxItems")
        elif kind == "map":
            schema = {
                "type": "object",
                "propertyNames": self.shape(shape["key"]["shape"]),
                "additionalProperties": self.shape(shape["value"]["shape"]),
            }
            _copy_bounds(shape, schema, "minProperties", "maxProperties")
        else:
            raise ValueError(f"shape {name} has unsupported type {kind!r}")
        schema["x-aws-shape"] = name
        if shape.get("sensitive"):
            schema["x-aws-sensitive"] = True
        return schema

    def _string(self, shape: dict[str, Any]) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        _copy_bounds(shape, schema, "minLength", "maxLength")
        if "pattern" in shape:
            schema["pattern"] = anchored(shape["pattern"])
            schema["x-smithy-pattern"] = shape["pattern"]
        if "enum" in shape:
            schema["enum"] = list(shape["enum"])
        return schema

    def structure(self, name: str, shape: dict[str, Any]) -> dict[str, Any]:
        schema = self.object_schema(shape["members"].items(), shape.get("required", ()))
        if shape.get("union"):
            schema.update(minProperties=1, maxProperties=1, additionalProperties=False)
            schema["x-smithy-union"] = True
        if "error" in shape:
            schema["x-aws-error"] = {
                "httpStatus": shape["error"]["httpStatusCode"],
                "fault": "server" if shape.get("fault") else "client",
            }
        description = plain_text(shape.get("documentation"))
        return {**({"description": description} if description else {}), **schema}

    def object_schema(
        self, members: Iterable[tuple[str, dict[str, Any]]], required: Iterable[str]
    ) -> dict[str, Any]:
        members = list(members)
        names = {member_name for member_name, _ in members}
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {
                member.get("locationName", member_name): self.member(member)
                for member_name, member in members
            },
        }
        required_here = [member_name for member_name in required if member_name in names]
        if required_here:
            schema["required"] = required_here
        return schema


def _copy_bounds(shape: dict[str, Any], schema: dict[str, Any], low: str, high: str) -> None:
    if "min" in shape:
        schema[low] = shape["min"]
    if "max" in shape:
        schema[high] = shape["max"]


def base64_length(size: int) -> int:
    """Characters of padded base64 for `size` bytes."""
    return 4 * math.ceil(size / 3)


def _base64(shape: dict[str, Any]) -> dict[str, Any]:
    """A blob inside JSON: a base64 string bounded like the bytes (BLOB-BASE64)."""
    schema: dict[str, Any] = {
        "type": "string",
        "contentEncoding": "base64",
        "pattern": anchored(BASE64_PATTERN),
    }
    if "min" in shape:
        schema["minLength"] = base64_length(shape["min"])
        schema["x-aws-min-bytes"] = shape["min"]
    if "max" in shape:
        schema["maxLength"] = base64_length(shape["max"])
        schema["x-aws-max-bytes"] = shape["max"]
    return schema


def _timestamp(shape: dict[str, Any]) -> dict[str, Any]:
    timestamp_format = shape.get("timestampFormat", "unixTimestamp")
    if timestamp_format == "iso8601":
        return {"type": "string", "format": "date-time"}
    if timestamp_format == "rfc822":
        return {"type": "string", "x-aws-timestamp-format": "http-date"}
    return {
        "type": "number",
        "description": "Epoch seconds; a fraction may follow (restJson1 default).",
        "x-aws-timestamp-format": "epoch-seconds",
    }


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional request member may be JSON null: servers drop it (NULL-AS-ABSENT)."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    nullable = {**schema, "type": [schema["type"], "null"]}
    if "enum" in schema:
        nullable["enum"] = [*schema["enum"], None]
    return nullable


def _error_type_pattern(error_names: list[str]) -> str:
    names = "|".join(error_names)
    return f"^(?:[A-Za-z0-9_.]+#)?(?:{names})(?::.*)?$"


def _tag(operation_name: str) -> str:
    for tag, names in _TAGS.items():
        if operation_name in names:
            return tag
    return "other"


def _raw_members(source: ModelSource, shape_name: str) -> dict[str, dict[str, Any]]:
    if not shape_name:
        return {}
    members: dict[str, dict[str, Any]] = source.shape(shape_name).get("members", {})
    return members


def blob_media_types(source: ModelSource, operation: Operation) -> tuple[str, ...]:
    """The media types a blob answer may carry: the model's Content-Type doc, or the override."""
    if operation.name in BLOB_MEDIA_TYPES:
        return BLOB_MEDIA_TYPES[operation.name]
    outputs = _raw_members(source, operation.output_shape)
    found: list[str] = []
    for member in operation.output_headers:
        if member.wire_name.lower() == CONTENT_TYPE.lower():
            found.extend(_MEDIA_TYPE.findall(outputs[member.name].get("documentation", "")))
    found.extend(EXTRA_BLOB_MEDIA_TYPES.get(operation.name, ()))
    return tuple(dict.fromkeys(found)) or ("application/octet-stream",)


def _host_server(source: ModelSource, prefix: str) -> dict[str, Any]:
    endpoint = source.document.get("metadata", {}).get("endpointPrefix", "medical-imaging")
    return {
        "url": f"https://{prefix}{endpoint}.{{region}}.amazonaws.com",
        "variables": {"region": {"default": "us-east-1"}},
    }


def _parameter(writer: _SchemaWriter, member: Member, raw: dict[str, Any]) -> dict[str, Any]:
    parameter: dict[str, Any] = {
        "name": member.wire_name,
        "in": _IN[member.location],
        "required": member.location is Location.LABEL or member.required,
        "schema": writer.member(raw),
        "x-aws-member": member.name,
    }
    if member.location is Location.QUERY and member.type == "list":
        parameter.update(style="form", explode=True)
    example = LABEL_EXAMPLES.get(member.shape) if member.location is Location.LABEL else None
    if example is not None:
        parameter["description"] = (
            "One path segment: `:` and `/` are percent-encoded as `%3A` and `%2F` "
            "(harness decision LABEL-ENCODING)."
        )
        parameter["example"] = example
    return parameter


def _request_body(
    writer: _SchemaWriter, operation: Operation, raw: dict[str, dict[str, Any]]
) -> dict[str, Any] | None:
    payload = operation.input_payload
    if payload is not None:
        if payload.type != "structure":
            raise ValueError(f"{operation.name}: unsupported {payload.type} input payload")
        return {
            "required": payload.required,
            "description": f"The `{payload.name}` member is the whole body (PAYLOAD-BODY).",
            "content": {JSON: {"schema": writer.member(raw[payload.name])}},
            "x-aws-member": payload.name,
        }
    members = operation.body_members
    if not members:
        return None
    required = [member.name for member in members if member.required]
    body_schema = writer.object_schema(((m.name, raw[m.name]) for m in members), required)
    body_schema["x-aws-shape"] = operation.input_shape
    for member in members:
        if not member.required:
            name = member.wire_name
            body_schema["properties"][name] = _nullable(body_schema["properties"][name])
    return {"required": bool(required), "content": {JSON: {"schema": body_schema}}}


def _description(operation: Operation, documentation: str | None) -> str:
    parts = [plain_text(documentation), *OPERATION_REMARKS.get(operation.name, ())]
    if operation.host_prefix:
        parts.append(
            f"Served on the `{operation.host_prefix}` host, "
            f"`{operation.host_prefix}medical-imaging.<region>.amazonaws.com` "
            "(model `endpoint.hostPrefix`; harness decision HOST-PREFIX)."
        )
    if operation.name in THROTTLING:
        rate, burst = THROTTLING[operation.name]
        parts.append(
            f"Default throttling limit {rate:g} transactions per second, burst {burst}; beyond it "
            "ThrottlingException (developer guide, 'Throttling limits')."
        )
    return "\n\n".join(part for part in parts if part)


def _operation(writer: _SchemaWriter, operation: Operation, links: list[Link]) -> dict[str, Any]:
    source = writer.source
    model = source.operation(operation.name) or {}
    raw = _raw_members(source, operation.input_shape)
    result: dict[str, Any] = {
        "operationId": operation.name,
        "summary": operation.name,
        "description": _description(operation, model.get("documentation")),
        "tags": [_tag(operation.name)],
    }
    if operation.host_prefix:
        result["servers"] = [_host_server(source, operation.host_prefix)]
        result["x-aws-host-prefix"] = operation.host_prefix
    parameters = [
        _parameter(writer, member, raw[member.name])
        for member in operation.inputs
        if member.location in _IN
    ]
    if parameters:
        result["parameters"] = parameters
    body = _request_body(writer, operation, raw)
    if body is not None:
        result["requestBody"] = body
    result["responses"] = _responses(writer, operation, links)
    if operation.idempotent:
        result["x-aws-idempotent"] = True
    if operation.readonly:
        result["x-aws-readonly"] = True
    return result


def _output_headers(writer: _SchemaWriter, operation: Operation) -> dict[str, Any]:
    """Output members bound to headers, as response headers the harness requires."""
    outputs = _raw_members(writer.source, operation.output_shape)
    encoding = CONTENT_ENCODINGS.get(operation.name)
    headers: dict[str, Any] = {}
    for member in operation.output_headers:
        schema = writer.shape(member.shape)
        if member.wire_name.lower() == CONTENT_ENCODING.lower() and encoding:
            schema = {**schema, "enum": [encoding]}
        text = plain_text(outputs[member.name].get("documentation"))
        if member.wire_name.lower() == CONTENT_TYPE.lower() and operation.name in BLOB_MEDIA_TYPES:
            answered = ", ".join(BLOB_MEDIA_TYPES[operation.name])
            text += f" The service answers {answered} (harness decision BLOB-RESPONSES)."
        headers[member.wire_name] = {
            "required": True,
            "description": text.strip(),
            "schema": schema,
            "x-aws-member": member.name,
        }
    return headers


def _blob_success(writer: _SchemaWriter, operation: Operation) -> dict[str, Any]:
    payload = operation.output_payload
    assert payload is not None
    outputs = _raw_members(writer.source, operation.output_shape)
    description = plain_text(outputs[payload.name].get("documentation"))
    encoding = CONTENT_ENCODINGS.get(operation.name)
    content: dict[str, Any] = {}
    for media_type in blob_media_types(writer.source, operation):
        schema: dict[str, Any] = {"type": "string", "contentMediaType": media_type}
        if encoding:
            schema["x-aws-content-encoding"] = encoding
        schema["x-aws-shape"] = payload.shape
        schema["x-aws-member"] = payload.name
        if description:
            schema["description"] = description
        content[media_type] = {"schema": schema}
    return {
        "description": "Success: the bytes of the blob payload (BLOB-RESPONSES).",
        "headers": _output_headers(writer, operation),
        "content": content,
        "x-aws-blob-payload": payload.name,
    }


def _json_success(writer: _SchemaWriter, operation: Operation) -> dict[str, Any]:
    success: dict[str, Any] = {"description": "Success."}
    if not operation.output_shape:
        return success
    if not operation.output_headers:
        success["content"] = {JSON: {"schema": writer.shape(operation.output_shape)}}
        return success
    outputs = _raw_members(writer.source, operation.output_shape)
    shape = writer.source.shape(operation.output_shape)
    body = [
        (member.name, outputs[member.name])
        for member in operation.outputs
        if member.location is Location.BODY
    ]
    schema = writer.object_schema(body, shape.get("required", ()))
    schema["x-aws-shape"] = operation.output_shape
    success["headers"] = _output_headers(writer, operation)
    success["content"] = {JSON: {"schema": schema}}
    return success


def _responses(writer: _SchemaWriter, operation: Operation, links: list[Link]) -> dict[str, Any]:
    if operation.blob_output:
        success = _blob_success(writer, operation)
    else:
        success = _json_success(writer, operation)
    if links:
        success["links"] = {link.key: _link(link) for link in links}
    responses: dict[str, Any] = {str(operation.success_status): success}

    by_status: dict[int, list[str]] = {}
    for error in operation.errors:
        by_status.setdefault(error.status, []).append(error.name)
    for status in sorted(by_status):
        names = by_status[status]
        common = list(COMMON_ERRORS.get(status, ()))
        refs = [writer.shape(error_name) for error_name in names]
        response: dict[str, Any] = {
            "description": " or ".join(names),
            "headers": {
                ERROR_TYPE_HEADER: {
                    "required": True,
                    "description": "The error's type (Smithy restJson1 error identification).",
                    "schema": {"type": "string", "pattern": _error_type_pattern(names + common)},
                }
            },
            "content": {JSON: {"schema": refs[0] if len(refs) == 1 else {"anyOf": refs}}},
            "x-aws-errors": names,
        }
        if common:
            response["x-aws-common-errors"] = common
        responses[str(status)] = response
    return responses


def _link(link: Link) -> dict[str, Any]:
    result: dict[str, Any] = {"operationId": link.target, "parameters": dict(link.parameters)}
    if link.request_body is not None:
        result["requestBody"] = link.request_body
    return result


def build_spec(
    source: ModelSource, operations: Iterable[str] = IN_SCOPE_OPERATIONS
) -> dict[str, Any]:
    """The OpenAPI document for `operations`; operations the model lacks are left out."""
    writer = _SchemaWriter(source)
    table = OperationTable.from_model(source, tuple(operations))
    paths: dict[str, dict[str, Any]] = {}
    for operation in table.values():
        links = [link for link in LINKS if link.source == operation.name and link.target in table]
        method = operation.method.lower()
        paths.setdefault(operation.uri, {})[method] = _operation(writer, operation, links)

    metadata = source.document.get("metadata", {})
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": metadata.get("serviceFullName", "AWS HealthImaging"),
            "version": source.api_version,
            "description": (
                "Generated by `ahi-contract spec build` from the botocore service model; "
                "do not edit by hand. `ahi-contract spec check` fails when this file and the "
                "generator disagree."
            ),
            "x-source-model": {
                "origin": source.origin,
                "apiVersion": source.api_version,
                "protocol": metadata.get("protocol"),
                "signingName": metadata.get("signingName"),
                "sha256OfUncompressedJson": source.sha256,
            },
            "x-harness-decisions": dict(DECISIONS),
        },
        "servers": [_host_server(source, "")],
        "security": [{SECURITY_SCHEME: []}],
        "tags": [{"name": tag} for tag in _TAGS],
        "paths": paths,
        "components": {
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": (
                        "AWS Signature Version 4 for service "
                        f"`{metadata.get('signingName', 'medical-imaging')}`."
                    ),
                    "x-amazon-apigateway-authtype": "awsSigv4",
                    "x-aws-signing-name": metadata.get("signingName", "medical-imaging"),
                }
            },
            "schemas": dict(sorted(writer.components.items())),
        },
    }
