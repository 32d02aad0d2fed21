"""Build the OpenAPI 3.1 document from the botocore service model.

Each model construct has one rule here: structures become component schemas,
every other shape is written inline where it is used (so each member carries
its own bounds), members bound to the URI or query string become parameters,
the rest form the JSON body. Decisions where the model and OpenAPI differ are
listed in `harness.spec.remarks.DECISIONS` and recorded in `info`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.model import IN_SCOPE_OPERATIONS, ModelSource
from harness.spec.doctext import plain_text
from harness.spec.patterns import anchored
from harness.spec.remarks import DECISIONS, OPERATION_REMARKS

OPENAPI_VERSION = "3.1.0"
JSON = "application/json"
ERROR_TYPE_HEADER = "X-Amzn-Errortype"
SECURITY_SCHEME = "sigv4"

_LOCATIONS = {"uri": "path", "querystring": "query", "header": "header"}

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
_TAGS = {"DICOMImportJob": "import jobs", "Datastore": "datastores"}


@dataclass(frozen=True)
class Link:
    """An OpenAPI link from one operation's success response to another operation."""

    source: str
    target: str
    parameters: dict[str, str]


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
    Link("CreateDatastore", "GetDatastore", {"datastoreId": "$response.body#/datastoreId"}),
    Link("CreateDatastore", "StartDICOMImportJob", {"datastoreId": "$response.body#/datastoreId"}),
    Link("CreateDatastore", "ListDICOMImportJobs", {"datastoreId": "$response.body#/datastoreId"}),
    Link("CreateDatastore", "DeleteDatastore", {"datastoreId": "$response.body#/datastoreId"}),
    Link(
        "ListDatastores",
        "GetDatastore",
        {"datastoreId": "$response.body#/datastoreSummaries/0/datastoreId"},
    ),
)


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
            schema = {"type": "string", "contentEncoding": "base64"}
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
    return {**schema, "type": [schema["type"], "null"]}


def _error_type_pattern(error_names: list[str]) -> str:
    names = "|".join(error_names)
    return f"^(?:[A-Za-z0-9_.]+#)?(?:{names})(?::.*)?$"


def _tag(operation_name: str) -> str:
    for marker, tag in _TAGS.items():
        if marker in operation_name:
            return tag
    return "other"


def _operation(
    writer: _SchemaWriter, name: str, operation: dict[str, Any], links: list[Link]
) -> dict[str, Any]:
    input_shape = writer.source.shape(operation["input"]["shape"]) if "input" in operation else {}
    required = set(input_shape.get("required", ()))
    parameters: list[dict[str, Any]] = []
    body_members: list[tuple[str, dict[str, Any]]] = []
    for member_name, member in input_shape.get("members", {}).items():
        location = member.get("location")
        if location is None:
            body_members.append((member_name, member))
            continue
        if location not in _LOCATIONS:
            raise ValueError(f"{name}.{member_name}: unsupported location {location!r}")
        parameters.append(
            {
                "name": member.get("locationName", member_name),
                "in": _LOCATIONS[location],
                "required": location == "uri" or member_name in required,
                "schema": writer.member(member),
                "x-aws-member": member_name,
            }
        )

    description_parts = [plain_text(operation.get("documentation"))]
    description_parts.extend(OPERATION_REMARKS.get(name, ()))
    result: dict[str, Any] = {
        "operationId": name,
        "summary": name,
        "description": "\n\n".join(part for part in description_parts if part),
        "tags": [_tag(name)],
    }
    if parameters:
        result["parameters"] = parameters
    if body_members:
        body_schema = writer.object_schema(body_members, input_shape.get("required", ()))
        body_schema["x-aws-shape"] = operation["input"]["shape"]
        for member_name, member_schema in body_schema["properties"].items():
            if member_name not in required:
                body_schema["properties"][member_name] = _nullable(member_schema)
        result["requestBody"] = {
            "required": "required" in body_schema,
            "content": {JSON: {"schema": body_schema}},
        }
    result["responses"] = _responses(writer, operation, links)
    for trait in ("idempotent", "readonly"):
        if operation.get(trait):
            result[f"x-aws-{trait}"] = True
    return result


def _responses(
    writer: _SchemaWriter, operation: dict[str, Any], links: list[Link]
) -> dict[str, Any]:
    success: dict[str, Any] = {"description": "Success."}
    if "output" in operation:
        success["content"] = {JSON: {"schema": writer.shape(operation["output"]["shape"])}}
    if links:
        success["links"] = {
            link.target: {"operationId": link.target, "parameters": dict(link.parameters)}
            for link in links
        }
    responses: dict[str, Any] = {str(operation["http"].get("responseCode", 200)): success}

    by_status: dict[int, list[str]] = {}
    for error in operation.get("errors", ()):
        error_name = error["shape"]
        status = writer.source.shape(error_name)["error"]["httpStatusCode"]
        by_status.setdefault(status, []).append(error_name)
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
            "content": {JSON: {"schema": refs[0] if len(refs) == 1 else {"oneOf": refs}}},
            "x-aws-errors": names,
        }
        if common:
            response["x-aws-common-errors"] = common
        responses[str(status)] = response
    return responses


def build_spec(
    source: ModelSource, operations: Iterable[str] = IN_SCOPE_OPERATIONS
) -> dict[str, Any]:
    """The OpenAPI document for `operations`; operations the model lacks are left out."""
    writer = _SchemaWriter(source)
    present = [name for name in operations if source.operation(name) is not None]
    paths: dict[str, dict[str, Any]] = {}
    for name in present:
        operation = source.operation(name)
        assert operation is not None
        links = [link for link in LINKS if link.source == name and link.target in present]
        path = operation["http"]["requestUri"]
        method = operation["http"]["method"].lower()
        paths.setdefault(path, {})[method] = _operation(writer, name, operation, links)

    metadata = source.document.get("metadata", {})
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{metadata.get('serviceFullName', 'AWS HealthImaging')}: DICOM import jobs",
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
        "servers": [
            {
                "url": "https://medical-imaging.{region}.amazonaws.com",
                "variables": {"region": {"default": "us-east-1"}},
            }
        ],
        "security": [{SECURITY_SCHEME: []}],
        "tags": [{"name": tag} for tag in _TAGS.values()],
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
