"""The spec against the model and the operation table it is built from, member by member."""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from harness.imaging.frames import CONTENT_TYPES
from harness.model import (
    IN_SCOPE_OPERATIONS,
    Location,
    ModelSource,
    Operation,
    OperationTable,
    load_pinned_model,
)
from harness.model.scope import IMAGE_SET_OPERATIONS, TAGGING_OPERATIONS
from harness.spec.build import (
    BASE64_PATTERN,
    LINKS,
    base64_length,
    blob_media_types,
    build_spec,
)
from harness.spec.patterns import anchored, full_match
from harness.spec.remarks import DECISIONS, OPERATION_REMARKS

_BOUND_KEYS = {
    "string": ("minLength", "maxLength"),
    "integer": ("minimum", "maximum"),
    "long": ("minimum", "maximum"),
    "list": ("minItems", "maxItems"),
    "map": ("minProperties", "maxProperties"),
}
_TYPES = {
    "string": "string",
    "integer": "integer",
    "long": "integer",
    "boolean": "boolean",
    "timestamp": "number",
    "blob": "string",
    "list": "array",
    "map": "object",
    "structure": "object",
}
_IN = {Location.LABEL: "path", Location.QUERY: "query", Location.HEADER: "header"}


@pytest.fixture(scope="module")
def source() -> ModelSource:
    return load_pinned_model()


@pytest.fixture(scope="module")
def table(source: ModelSource) -> OperationTable:
    return OperationTable.from_model(source)


@pytest.fixture(scope="module")
def spec(source: ModelSource) -> dict[str, Any]:
    return build_spec(source)


def _operations(spec: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    found = {}
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            found[operation["operationId"]] = (path, method, operation)
    return found


def _operation(spec: dict[str, Any], name: str) -> dict[str, Any]:
    return _operations(spec)[name][2]


class _Walker:
    """Compares a model shape with a spec schema and counts each constraint it checks."""

    def __init__(self, source: ModelSource, spec: dict[str, Any]) -> None:
        self.source = source
        self.schemas = spec["components"]["schemas"]
        self.checked: dict[str, int] = {}

    def count(self, what: str) -> None:
        self.checked[what] = self.checked.get(what, 0) + 1

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in schema:
            return dict(self.schemas[schema["$ref"].rsplit("/", 1)[-1]])
        return schema

    def shape(self, shape_name: str, schema: dict[str, Any], where: str) -> None:
        shape = self.source.shape(shape_name)
        schema = self.resolve(schema)
        kind = shape["type"]
        assert schema.get("type") == _TYPES[kind], where
        self.count("type")
        if kind == "timestamp":
            assert "format" not in schema, f"{where}: timestamps are epoch numbers, not date-time"
            self.count("timestamp")
        if kind == "blob":
            self.blob(shape, schema, where)
        for model_key, spec_key in zip(("min", "max"), _BOUND_KEYS.get(kind, ()), strict=False):
            if model_key in shape:
                assert schema.get(spec_key) == shape[model_key], f"{where}: {spec_key}"
                self.count(spec_key)
            else:
                assert spec_key not in schema, f"{where}: {spec_key} not in the model"
        if "pattern" in shape:
            assert schema["pattern"] == anchored(shape["pattern"]), where
            assert schema["x-smithy-pattern"] == shape["pattern"], where
            self.count("pattern")
        if "enum" in shape:
            assert schema["enum"] == shape["enum"], where
            self.count("enum")
        if kind == "list":
            self.shape(shape["member"]["shape"], schema["items"], f"{where}[]")
        elif kind == "map":
            self.shape(shape["key"]["shape"], schema["propertyNames"], f"{where}{{key}}")
            self.shape(shape["value"]["shape"], schema["additionalProperties"], f"{where}{{}}")
        elif kind == "structure":
            self.structure(shape, schema, where)

    def blob(self, shape: dict[str, Any], schema: dict[str, Any], where: str) -> None:
        """A blob inside JSON is a base64 string bounded like its bytes (BLOB-BASE64)."""
        assert not shape.get("streaming"), f"{where}: a streaming blob inside JSON"
        assert schema["contentEncoding"] == "base64", where
        assert schema["pattern"] == anchored(BASE64_PATTERN), where
        for model_key, length_key, bytes_key in (
            ("min", "minLength", "x-aws-min-bytes"),
            ("max", "maxLength", "x-aws-max-bytes"),
        ):
            if model_key in shape:
                assert schema[bytes_key] == shape[model_key], f"{where}: {bytes_key}"
                assert schema[length_key] == base64_length(shape[model_key]), where
            else:
                assert length_key not in schema, where
        self.count("blob-base64")

    def structure(
        self,
        shape: dict[str, Any],
        schema: dict[str, Any],
        where: str,
        nullable_optional: bool = False,
    ) -> None:
        members = {
            name: member for name, member in shape["members"].items() if "location" not in member
        }
        if "payload" in shape:
            members = {shape["payload"]: members[shape["payload"]]}
        assert set(schema.get("properties", {})) == set(members), where
        required = [name for name in shape.get("required", ()) if name in members]
        assert sorted(schema.get("required", [])) == sorted(required), f"{where}: required"
        self.count("required-list")
        if shape.get("union"):
            assert (schema["minProperties"], schema["maxProperties"]) == (1, 1), where
            assert schema["additionalProperties"] is False, where
            self.count("union")
        for name, member in members.items():
            member_schema = schema["properties"][name]
            if nullable_optional and name not in required:
                member_schema = self.non_null(member_schema, f"{where}.{name}")
            self.member(member, member_schema, f"{where}.{name}")

    def non_null(self, schema: dict[str, Any], where: str) -> dict[str, Any]:
        """An optional request member accepts null (NULL-AS-ABSENT); the rest is the shape."""
        self.count("nullable")
        if "anyOf" in schema:
            assert schema["anyOf"][1] == {"type": "null"}, where
            return dict(schema["anyOf"][0])
        assert schema["type"][1] == "null", where
        assert Draft202012Validator(schema).is_valid(None), f"{where}: null is refused"
        stripped = {**schema, "type": schema["type"][0]}
        if "enum" in schema:
            stripped["enum"] = [value for value in schema["enum"] if value is not None]
        return stripped

    def member(self, member: dict[str, Any], schema: dict[str, Any], where: str) -> None:
        if member.get("idempotencyToken"):
            assert schema.get("x-aws-idempotency-token") is True, where
            self.count("idempotency-token")
        else:
            assert "x-aws-idempotency-token" not in schema, where
        self.shape(member["shape"], schema, where)

    def request(self, route: Operation, operation: dict[str, Any]) -> None:
        raw = self.source.shape(route.input_shape)["members"]
        parameters = {p["name"]: p for p in operation.get("parameters", [])}
        for member in route.inputs:
            if member.location not in _IN:
                continue
            parameter = parameters.pop(member.wire_name)
            assert parameter["in"] == _IN[member.location]
            assert parameter["x-aws-member"] == member.name
            assert parameter["required"] == (member.location is Location.LABEL or member.required)
            if member.type == "list":
                assert (parameter["style"], parameter["explode"]) == ("form", True)
                self.count("list-query")
            self.count("binding")
            self.member(raw[member.name], parameter["schema"], f"{route.name}.{member.name}")
        assert not parameters, f"{route.name}: parameters the model does not have: {parameters}"
        payload = route.input_payload
        if payload is not None:
            body = operation["requestBody"]
            assert body["x-aws-member"] == payload.name
            assert body["required"] is payload.required
            schema = body["content"]["application/json"]["schema"]
            self.member(raw[payload.name], schema, f"{route.name} payload")
            self.count("payload")
        elif route.body_members:
            body = operation["requestBody"]["content"]["application/json"]["schema"]
            input_shape = self.source.shape(route.input_shape)
            self.structure(input_shape, body, f"{route.name} request", nullable_optional=True)
        else:
            assert "requestBody" not in operation

    def response(self, route: Operation, operation: dict[str, Any]) -> None:
        success = operation["responses"][str(route.success_status)]
        if not route.blob_output:
            schema = success["content"]["application/json"]["schema"]
            self.shape(route.output_shape, schema, f"{route.name} response")
            assert "headers" not in success
            return
        payload = route.output_payload
        assert payload is not None and payload.streaming
        assert success["x-aws-blob-payload"] == payload.name
        assert list(success["content"]) == list(blob_media_types(self.source, route))
        for media_type, content in success["content"].items():
            assert content["schema"]["type"] == "string"
            assert content["schema"]["contentMediaType"] == media_type
            assert content["schema"]["x-aws-member"] == payload.name
            assert "contentEncoding" not in content["schema"], "raw bytes, not base64"
        outputs = self.source.shape(route.output_shape)["members"]
        assert {h["x-aws-member"] for h in success["headers"].values()} == {
            m.name for m in route.output_headers
        }
        for member in route.output_headers:
            header = success["headers"][member.wire_name]
            assert header["required"] is True, "the harness requires blob headers"
            self.member(outputs[member.name], header["schema"], f"{route.name} {member.wire_name}")
            self.count("blob-header")
        self.count("blob-response")

    def errors(self, route: Operation, operation: dict[str, Any]) -> None:
        by_status: dict[int, list[str]] = {}
        for error in route.errors:
            by_status.setdefault(error.status, []).append(error.name)
        for status, names in by_status.items():
            response = operation["responses"][str(status)]
            assert response["x-aws-errors"] == names
            header = response["headers"]["X-Amzn-Errortype"]
            assert header["required"] is True
            body = response["content"]["application/json"]["schema"]
            bodies = body["anyOf"] if len(names) > 1 else [body]
            for name, schema in zip(names, bodies, strict=True):
                assert re.search(f"[:|]{name}[|)]", header["schema"]["pattern"]), name
                self.shape(name, schema, f"{route.name} {name}")
                self.count("error-response")
        expected = {str(route.success_status)} | {str(status) for status in by_status}
        assert set(operation["responses"]) == expected


def test_every_member_constraint_of_the_model_is_in_the_spec(
    source: ModelSource, table: OperationTable, spec: dict[str, Any]
) -> None:
    walker = _Walker(source, spec)
    operations = _operations(spec)
    assert set(operations) == set(IN_SCOPE_OPERATIONS) == set(table)
    for name, route in table.items():
        path, method, operation = operations[name]
        assert (path, method) == (route.uri, route.method.lower())
        walker.request(route, operation)
        walker.response(route, operation)
        walker.errors(route, operation)

    # Every kind of constraint the in-scope model has was met at least once.
    for kind in ("pattern", "enum", "minLength", "maxLength", "minimum", "maximum", "minItems"):
        assert walker.checked.get(kind, 0) > 0, kind
    assert walker.checked["idempotency-token"] == 2  # StartDICOMImportJob, CreateDatastore
    assert walker.checked["payload"] == 4  # Search, GetImageFrame, Update, Copy
    assert walker.checked["list-query"] == 1  # UntagResource tagKeys
    assert walker.checked["blob-response"] == 2  # GetImageFrame, GetImageSetMetadata
    assert walker.checked["blob-header"] == 3  # Content-Type twice, Content-Encoding
    assert walker.checked["blob-base64"] > 0  # the update documents
    assert walker.checked["union"] > 0
    assert walker.checked["error-response"] == sum(len(route.errors) for route in table.values())


def test_blob_answers_are_binary_under_the_media_types_the_service_answers(
    spec: dict[str, Any],
) -> None:
    frame = _operation(spec, "GetImageFrame")["responses"]["200"]
    # The model's list per stored syntax, plus image/j2c for .4.90: what the imaging package serves.
    assert set(frame["content"]) == set(CONTENT_TYPES.values())
    assert "application/json" not in frame["content"]
    assert set(frame["headers"]) == {"Content-Type"}

    metadata = _operation(spec, "GetImageSetMetadata")["responses"]["200"]
    assert list(metadata["content"]) == ["application/json"]
    schema = metadata["content"]["application/json"]["schema"]
    assert (schema["type"], schema["x-aws-content-encoding"]) == ("string", "gzip")
    assert metadata["headers"]["Content-Encoding"]["schema"]["enum"] == ["gzip"]
    assert "application/json" in metadata["headers"]["Content-Type"]["description"]
    assert "BLOB-RESPONSES" in spec["info"]["x-harness-decisions"]


def test_payload_members_are_the_whole_body(spec: dict[str, Any]) -> None:
    expected = {
        "SearchImageSets": ("searchCriteria", False, "SearchCriteria"),
        "GetImageFrame": ("imageFrameInformation", True, "ImageFrameInformation"),
        "UpdateImageSetMetadata": ("updateImageSetMetadataUpdates", True, "MetadataUpdates"),
        "CopyImageSet": ("copyImageSetInformation", True, "CopyImageSetInformation"),
    }
    for name, (member, required, shape) in expected.items():
        body = _operation(spec, name)["requestBody"]
        assert (body["x-aws-member"], body["required"]) == (member, required), name
        schema = body["content"]["application/json"]["schema"]
        assert schema["$ref"] == f"#/components/schemas/{shape}", name
    union = spec["components"]["schemas"]["MetadataUpdates"]
    assert set(union["properties"]) == {"DICOMUpdates", "revertToVersionId"}
    blob = spec["components"]["schemas"]["DICOMUpdates"]["properties"]["updatableAttributes"]
    assert blob["contentEncoding"] == "base64"
    assert (blob["x-aws-min-bytes"], blob["x-aws-max-bytes"]) == (1, 30000)
    assert full_match(blob["pattern"], "eyJTY2hlbWFWZXJzaW9uIjoxLjF9")
    assert not full_match(blob["pattern"], "not base64!")
    copiable = spec["components"]["schemas"]["MetadataCopies"]["properties"]["copiableAttributes"]
    assert copiable["type"] == "string" and "contentEncoding" not in copiable


def test_query_members_lists_booleans_and_required_versions(spec: dict[str, Any]) -> None:
    def parameters(name: str) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in _operation(spec, name)["parameters"]}

    tag_keys = parameters("UntagResource")["tagKeys"]
    assert (tag_keys["in"], tag_keys["required"]) == ("query", True)
    assert (tag_keys["style"], tag_keys["explode"], tag_keys["schema"]["type"]) == (
        "form",
        True,
        "array",
    )
    update = parameters("UpdateImageSetMetadata")
    assert update["latestVersion"]["required"] is True
    assert update["latestVersion"]["x-aws-member"] == "latestVersionId"
    for name, flag in (
        ("UpdateImageSetMetadata", "force"),
        ("UpdateImageSetMetadata", "includeStudyImageSets"),
        ("CopyImageSet", "force"),
        ("CopyImageSet", "promoteToPrimary"),
    ):
        assert parameters(name)[flag]["schema"]["type"] == "boolean"
        assert parameters(name)[flag]["required"] is False
    assert parameters("GetImageSet")["version"]["x-aws-member"] == "versionId"


def test_runtime_operations_carry_their_host_prefix(
    table: OperationTable, spec: dict[str, Any]
) -> None:
    for name, route in table.items():
        operation = _operation(spec, name)
        if name in IMAGE_SET_OPERATIONS:
            assert route.host_prefix == "runtime-"
            assert operation["x-aws-host-prefix"] == "runtime-"
            url = operation["servers"][0]["url"]
            assert url == "https://runtime-medical-imaging.{region}.amazonaws.com"
            assert "HOST-PREFIX" in operation["description"]
        else:
            assert "x-aws-host-prefix" not in operation and "servers" not in operation
    assert spec["servers"][0]["url"] == "https://medical-imaging.{region}.amazonaws.com"
    assert "HOST-PREFIX" in spec["info"]["x-harness-decisions"]


def test_arn_labels_are_one_encoded_segment_with_an_example(spec: dict[str, Any]) -> None:
    for name in TAGGING_OPERATIONS:
        (label,) = [p for p in _operation(spec, name)["parameters"] if p["in"] == "path"]
        assert label["name"] == "resourceArn"
        pattern = label["schema"]["pattern"]
        assert pattern.startswith("^(?:arn:aws") and pattern.endswith(")$")
        assert "/" in label["example"] and full_match(pattern, label["example"])
        image_set_arn = label["example"] + "/imageset/" + "a" * 32
        assert full_match(pattern, image_set_arn)
        assert not full_match(pattern, "x" + label["example"])
        assert "LABEL-ENCODING" in label["description"]


def _pointer_resolves(source: ModelSource, shape_name: str, pointer: str) -> bool:
    """Whether a JSON pointer into an answer names members of the model's output shape."""
    shape = source.shape(shape_name)
    for token in pointer.strip("/").split("/"):
        if shape["type"] == "list" and token.isdigit():
            shape = source.shape(shape["member"]["shape"])
            continue
        if shape["type"] != "structure":
            return False
        by_wire = {m.get("locationName", n): m for n, m in shape["members"].items()}
        if token not in by_wire or "location" in by_wire[token]:
            return False
        shape = source.shape(by_wire[token]["shape"])
    return shape["type"] == "string"


def _expression_resolves(
    source: ModelSource, route: Operation, operation: dict[str, Any], expression: str
) -> bool:
    if expression.startswith("$response.body#"):
        return _pointer_resolves(source, route.output_shape, expression.split("#", 1)[1])
    if expression.startswith("$request.path."):
        name = expression.removeprefix("$request.path.")
        return any(p["name"] == name and p["in"] == "path" for p in operation["parameters"])
    return False


def _body_resolves(source: ModelSource, shape_name: str, body: dict[str, Any]) -> bool:
    members = source.shape(shape_name)["members"]
    for key, value in body.items():
        if key not in members:
            return False
        if isinstance(value, dict) and not _body_resolves(source, members[key]["shape"], value):
            return False
    return True


def _link_values(body: dict[str, Any]) -> list[str]:
    values: list[str] = []
    for value in body.values():
        values.extend(_link_values(value) if isinstance(value, dict) else [value])
    return values


def test_every_link_parameter_resolves_to_real_members(
    source: ModelSource, table: OperationTable, spec: dict[str, Any]
) -> None:
    operations = _operations(spec)
    found = 0
    for name, (_, _, operation) in operations.items():
        for key, link in operation["responses"]["200"].get("links", {}).items():
            target = operations[link["operationId"]][2]
            target_route = table[link["operationId"]]
            target_parameters = {p["name"] for p in target.get("parameters", [])}
            for parameter, expression in link["parameters"].items():
                assert parameter in target_parameters, f"{name} -> {key}: {parameter}"
                assert _expression_resolves(source, table[name], operation, expression), (
                    f"{name} -> {key}: {expression}"
                )
            if "requestBody" in link:
                payload = target_route.input_payload
                assert payload is not None
                assert _body_resolves(source, payload.shape, link["requestBody"])
                for expression in _link_values(link["requestBody"]):
                    assert _expression_resolves(source, table[name], operation, expression)
            found += 1
    assert found == len(LINKS)


def test_links_follow_import_to_image_sets_versions_copies_and_tags(spec: dict[str, Any]) -> None:
    def links(name: str) -> dict[str, Any]:
        result: dict[str, Any] = _operation(spec, name)["responses"]["200"].get("links", {})
        return result

    start = links("StartDICOMImportJob")["GetDICOMImportJob"]
    assert start["parameters"] == {
        "datastoreId": "$response.body#/datastoreId",
        "jobId": "$response.body#/jobId",
    }
    assert set(links("CreateDatastore")) >= {
        "GetDatastore",
        "StartDICOMImportJob",
        "DeleteDatastore",
        "SearchImageSets",
    }
    listed = links("ListDICOMImportJobs")["GetDICOMImportJob"]["parameters"]
    assert listed["jobId"] == "$response.body#/jobSummaries/0/jobId"
    assert "SearchImageSets" in links("GetDICOMImportJob")
    searched = links("SearchImageSets")
    assert set(searched) == {
        "GetImageSet",
        "GetImageSetMetadata",
        "ListImageSetVersions",
        "UpdateImageSetMetadata",
        "CopyImageSet",
        "DeleteImageSet",
    }
    first = "$response.body#/imageSetsMetadataSummaries/0/imageSetId"
    assert searched["GetImageSet"]["parameters"]["imageSetId"] == first
    assert searched["CopyImageSet"]["parameters"]["sourceImageSetId"] == first
    got = links("GetImageSet")
    assert got["TagResource"]["parameters"] == {"resourceArn": "$response.body#/imageSetArn"}
    assert got["UpdateImageSetMetadata"]["parameters"]["latestVersion"] == (
        "$response.body#/versionId"
    )
    assert got["CopyImageSet"]["requestBody"] == {
        "sourceImageSet": {"latestVersionId": "$response.body#/versionId"}
    }
    datastore = links("GetDatastore")["TagResource"]["parameters"]
    assert datastore == {"resourceArn": "$response.body#/datastoreProperties/datastoreArn"}
    updated = links("UpdateImageSetMetadata")["GetImageSet"]["parameters"]
    assert updated["version"] == "$response.body#/latestVersionId"
    copied = links("CopyImageSet")["GetImageSet"]["parameters"]
    assert copied["imageSetId"] == "$response.body#/destinationImageSetProperties/imageSetId"
    # A GET after a successful DELETE on its path reads as use after free to schemathesis.
    assert not links("UntagResource") and not links("DeleteImageSet")


def _all_schemas(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found.extend(_all_schemas(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_all_schemas(value))
    return found


def test_no_timestamp_is_a_date_time_string(spec: dict[str, Any]) -> None:
    timestamps = [n for n in _all_schemas(spec) if n.get("x-aws-shape") == "Date"]
    assert timestamps
    for node in timestamps:
        assert node["type"] == "number"
        assert node["x-aws-timestamp-format"] == "epoch-seconds"
    assert not [n for n in _all_schemas(spec) if n.get("format") == "date-time"]


def test_every_pattern_is_anchored(spec: dict[str, Any]) -> None:
    patterns = [n["pattern"] for n in _all_schemas(spec) if isinstance(n.get("pattern"), str)]
    assert len(patterns) > 10
    for pattern in patterns:
        assert pattern.startswith("^") and pattern.endswith("$"), pattern
    assert "PATTERN-FULL-MATCH" in spec["info"]["x-harness-decisions"]


def test_info_records_the_model_it_was_built_from(
    source: ModelSource, spec: dict[str, Any]
) -> None:
    recorded = spec["info"]["x-source-model"]
    assert recorded["sha256OfUncompressedJson"] == source.sha256
    assert recorded["apiVersion"] == spec["info"]["version"] == "2023-07-19"
    assert recorded["origin"] == source.origin
    assert spec["info"]["x-harness-decisions"] == DECISIONS


def test_sigv4_security_scheme(spec: dict[str, Any]) -> None:
    scheme = spec["components"]["securitySchemes"]["sigv4"]
    assert scheme["x-aws-signing-name"] == "medical-imaging"
    assert spec["security"] == [{"sigv4": []}]


_SOURCES = (
    "developer guide",
    "model",
    "AWS CLI",
    "API reference",
    "botocore",
    "AWS samples",
    "AWS SDK examples",
)


def test_every_operation_text_carries_the_model_and_sourced_remarks(
    source: ModelSource, spec: dict[str, Any]
) -> None:
    get_job = _operation(spec, "GetDICOMImportJob")["description"]
    assert "manifests" in get_job
    assert "COMPLETED" in get_job
    start = _operation(spec, "StartDICOMImportJob")["description"]
    assert "Start importing bulk data" in start  # the model's own text
    assert "<p>" not in start
    assert set(IMAGE_SET_OPERATIONS + TAGGING_OPERATIONS) <= set(OPERATION_REMARKS)
    for name, remarks in OPERATION_REMARKS.items():
        for remark in remarks:
            assert any(marker in remark for marker in _SOURCES), f"{name}: {remark}"
            for decision in re.findall(r"harness decision ([A-Z0-9-]+)", remark):
                assert decision in DECISIONS, f"{name}: {decision}"
        assert all(remark in _operation(spec, name)["description"] for remark in remarks)
    for name in IN_SCOPE_OPERATIONS:
        assert "Throttling limits" in _operation(spec, name)["description"], name


def test_spec_validates_and_loads_in_schemathesis(spec: dict[str, Any]) -> None:
    validate(spec)  # type: ignore[arg-type]
    schema = schemathesis.openapi.from_dict(spec)
    loaded = {result.ok().label for result in schema.get_all_operations()}
    assert len(loaded) == len(IN_SCOPE_OPERATIONS)


def test_operations_the_model_lacks_are_left_out(source: ModelSource) -> None:
    spec = build_spec(source, operations=("GetDatastore", "NoSuchOperation", "GetImageSet"))
    assert list(_operations(spec)) == ["GetDatastore", "GetImageSet"]
    # Links to operations left out are dropped with them.
    assert "links" not in _operation(spec, "GetImageSet")["responses"]["200"]
    assert "links" not in _operation(spec, "GetDatastore")["responses"]["200"]


def test_errors_sharing_a_status_accept_either_body(spec: dict[str, Any]) -> None:
    from jsonschema import Draft202012Validator

    response = _operation(spec, "GetImageFrame")["responses"]["400"]
    schema = {**response["content"]["application/json"]["schema"], "components": spec["components"]}
    assert Draft202012Validator(schema).is_valid({"message": "bad frame id"})
    assert not Draft202012Validator(schema).is_valid({"reason": "no message"})
