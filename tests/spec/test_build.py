"""The spec against the model it is built from, member by member."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from openapi_spec_validator import validate

from harness.model import IN_SCOPE_OPERATIONS, ModelSource, load_pinned_model
from harness.spec.build import build_spec
from harness.spec.patterns import anchored

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
    "list": "array",
    "map": "object",
    "structure": "object",
}


@pytest.fixture(scope="module")
def source() -> ModelSource:
    return load_pinned_model()


@pytest.fixture(scope="module")
def spec(source: ModelSource) -> dict[str, Any]:
    return build_spec(source)


def _operations(spec: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    found = {}
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            found[operation["operationId"]] = (path, method, operation)
    return found


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
        return {**schema, "type": schema["type"][0]}

    def member(self, member: dict[str, Any], schema: dict[str, Any], where: str) -> None:
        if member.get("idempotencyToken"):
            assert schema.get("x-aws-idempotency-token") is True, where
            self.count("idempotency-token")
        else:
            assert "x-aws-idempotency-token" not in schema, where
        self.shape(member["shape"], schema, where)


def test_every_member_constraint_of_the_model_is_in_the_spec(
    source: ModelSource, spec: dict[str, Any]
) -> None:
    walker = _Walker(source, spec)
    operations = _operations(spec)
    assert set(operations) == set(IN_SCOPE_OPERATIONS)
    for name in IN_SCOPE_OPERATIONS:
        model_operation = source.operation(name)
        assert model_operation is not None
        path, method, operation = operations[name]
        assert path == model_operation["http"]["requestUri"]
        assert method == model_operation["http"]["method"].lower()

        input_shape = source.shape(model_operation["input"]["shape"])
        parameters = {p["name"]: p for p in operation.get("parameters", [])}
        for member_name, member in input_shape["members"].items():
            location = member.get("location")
            if location is None:
                continue
            parameter = parameters.pop(member.get("locationName", member_name))
            assert parameter["in"] == {"uri": "path", "querystring": "query"}[location]
            assert parameter["required"] == (
                location == "uri" or member_name in input_shape.get("required", ())
            )
            walker.count("binding")
            walker.member(member, parameter["schema"], f"{name}.{member_name}")
        assert not parameters, f"{name}: parameters the model does not have: {parameters}"
        if any("location" not in member for member in input_shape["members"].values()):
            body = operation["requestBody"]["content"]["application/json"]["schema"]
            walker.structure(input_shape, body, f"{name} request", nullable_optional=True)
        else:
            assert "requestBody" not in operation

        success = operation["responses"]["200"]["content"]["application/json"]["schema"]
        walker.shape(model_operation["output"]["shape"], success, f"{name} response")

        for error in model_operation["errors"]:
            error_shape = source.shape(error["shape"])
            status = str(error_shape["error"]["httpStatusCode"])
            response = operation["responses"][status]
            assert response["x-aws-errors"] == [error["shape"]]
            header = response["headers"]["X-Amzn-Errortype"]
            assert header["required"] is True
            assert error["shape"] in header["schema"]["pattern"]
            body = response["content"]["application/json"]["schema"]
            walker.shape(error["shape"], body, f"{name} {error['shape']}")
            walker.count("error-response")
        statuses = {
            str(source.shape(e["shape"])["error"]["httpStatusCode"])
            for e in model_operation["errors"]
        }
        assert set(operation["responses"]) == {"200"} | statuses

    # Every kind of constraint the in-scope model has was met at least once.
    for kind in ("pattern", "enum", "minLength", "maxLength", "minimum", "maximum", "minItems"):
        assert walker.checked.get(kind, 0) > 0, kind
    assert walker.checked["idempotency-token"] == 2  # StartDICOMImportJob, CreateDatastore
    assert walker.checked["error-response"] == sum(
        len(source.operation(name)["errors"])  # type: ignore[index]
        for name in IN_SCOPE_OPERATIONS
    )


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


def test_links_for_stateful_testing(spec: dict[str, Any]) -> None:
    operations = _operations(spec)

    def links(name: str) -> dict[str, Any]:
        result: dict[str, Any] = operations[name][2]["responses"]["200"]["links"]
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
    }
    listed = links("ListDICOMImportJobs")["GetDICOMImportJob"]["parameters"]
    assert listed["jobId"] == "$response.body#/jobSummaries/0/jobId"


def test_sigv4_security_scheme(spec: dict[str, Any]) -> None:
    scheme = spec["components"]["securitySchemes"]["sigv4"]
    assert scheme["x-aws-signing-name"] == "medical-imaging"
    assert spec["security"] == [{"sigv4": []}]


def test_operation_texts_carry_the_model_and_the_seed_remarks(
    source: ModelSource, spec: dict[str, Any]
) -> None:
    get_job = _operations(spec)["GetDICOMImportJob"][2]["description"]
    assert "manifests" in get_job
    assert "COMPLETED" in get_job
    start = _operations(spec)["StartDICOMImportJob"][2]["description"]
    assert "Start importing bulk data" in start  # the model's own text
    assert "<p>" not in start


def test_spec_validates_and_loads_in_schemathesis(spec: dict[str, Any]) -> None:
    validate(spec)  # type: ignore[arg-type]
    schema = schemathesis.openapi.from_dict(spec)
    loaded = {result.ok().label for result in schema.get_all_operations()}
    assert len(loaded) == len(IN_SCOPE_OPERATIONS)


def test_operations_the_model_lacks_are_left_out(source: ModelSource) -> None:
    spec = build_spec(source, operations=("GetDatastore", "NoSuchOperation"))
    assert list(_operations(spec)) == ["GetDatastore"]
