"""The catalogue against the model and the facts it rests on, independent of any SDK."""

from __future__ import annotations

from typing import Any

import pytest

from harness.checks import REGISTRY
from harness.model import IN_SCOPE_OPERATIONS, load_pinned_model, operations
from harness.sdk.scenarios import (
    BY_ID,
    CATALOGUE,
    DATASTORE,
    IMAGE_SET,
    PATHS,
    SAMPLE_BODY,
    SAMPLE_INPUT,
    SAMPLE_OUTPUT,
)

MODEL = load_pinned_model()
IMAGE_SET_PATH = f"/datastore/{DATASTORE}/imageSet/{IMAGE_SET}"
ARN = f"arn%3Aaws%3Amedical-imaging%3Aus-east-1%3A123456789012%3Adatastore%2F{DATASTORE}"

# Written from shared/notes (protocol-facts, runtime-api-facts §1), not from the table.
FACTS_PATHS = {
    "StartDICOMImportJob": ("POST", f"/startDICOMImportJob/datastore/{DATASTORE}"),
    "GetDICOMImportJob": (
        "GET",
        f"/getDICOMImportJob/datastore/{DATASTORE}/job/fedcba9876543210fedcba9876543210",
    ),
    "ListDICOMImportJobs": ("GET", f"/listDICOMImportJobs/datastore/{DATASTORE}"),
    "CreateDatastore": ("POST", "/datastore"),
    "GetDatastore": ("GET", f"/datastore/{DATASTORE}"),
    "ListDatastores": ("GET", "/datastore"),
    "DeleteDatastore": ("DELETE", f"/datastore/{DATASTORE}"),
    "SearchImageSets": ("POST", f"/datastore/{DATASTORE}/searchImageSets"),
    "GetImageSet": ("POST", f"{IMAGE_SET_PATH}/getImageSet"),
    "GetImageSetMetadata": ("POST", f"{IMAGE_SET_PATH}/getImageSetMetadata"),
    "GetImageFrame": ("POST", f"{IMAGE_SET_PATH}/getImageFrame"),
    "ListImageSetVersions": ("POST", f"{IMAGE_SET_PATH}/listImageSetVersions"),
    "UpdateImageSetMetadata": ("POST", f"{IMAGE_SET_PATH}/updateImageSetMetadata"),
    "CopyImageSet": ("POST", f"{IMAGE_SET_PATH}/copyImageSet"),
    "DeleteImageSet": ("POST", f"{IMAGE_SET_PATH}/deleteImageSet"),
    "TagResource": ("POST", f"/tags/{ARN}"),
    "UntagResource": ("DELETE", f"/tags/{ARN}"),
    "ListTagsForResource": ("GET", f"/tags/{ARN}"),
}


def test_the_catalogue_covers_every_operation_of_the_model() -> None:
    assert set(IN_SCOPE_OPERATIONS) == set(MODEL.document["operations"])
    assert set(SAMPLE_INPUT) == set(SAMPLE_OUTPUT) == set(PATHS) == set(IN_SCOPE_OPERATIONS)


def test_request_lines_agree_with_the_facts() -> None:
    assert PATHS == FACTS_PATHS


def test_every_modelled_error_of_every_operation_has_every_variant() -> None:
    for operation in IN_SCOPE_OPERATIONS:
        for error in MODEL.operation(operation)["errors"]:  # type: ignore[index]
            assert f"SDK-ERR-HEADER-{operation}-{error['shape']}" in BY_ID
        assert f"SDK-SERIALIZE-{operation}" in BY_ID
        assert f"SDK-ERR-5XX-EMPTY-BODY-{operation}" in BY_ID


def test_written_out_bodies_are_exactly_the_operations_with_a_body() -> None:
    with_body = {name for name, op in operations().items() if op.has_request_body}
    assert set(SAMPLE_BODY) == with_body
    assert with_body == {
        "StartDICOMImportJob",
        "CreateDatastore",
        "SearchImageSets",
        "GetImageFrame",
        "UpdateImageSetMetadata",
        "CopyImageSet",
        "TagResource",
    }


def _missing(shape_name: str, value: Any, path: str) -> list[str]:
    shape = MODEL.shape(shape_name)
    if shape["type"] == "structure" and not shape.get("union"):
        found = []
        for name, member in shape["members"].items():
            if name not in value:
                found.append(f"{path}.{name}")
            else:
                found += _missing(member["shape"], value[name], f"{path}.{name}")
        return found
    if shape["type"] == "list" and value:
        return _missing(shape["member"]["shape"], value[0], f"{path}[0]")
    return []


@pytest.mark.parametrize("operation", IN_SCOPE_OPERATIONS)
def test_sample_outputs_carry_every_member_of_the_model(operation: str) -> None:
    shape = MODEL.operation(operation)["output"]["shape"]  # type: ignore[index]
    missing = _missing(shape, SAMPLE_OUTPUT[operation], operation)
    # importConfiguration is judged in its own scenario (an older JS v3 model lacks it).
    assert missing == (
        ["GetDICOMImportJob.jobProperties.importConfiguration"]
        if operation == "GetDICOMImportJob"
        else []
    )


def test_every_scenario_is_a_registered_check_with_a_rule_and_a_source() -> None:
    assert len(BY_ID) == len(CATALOGUE)
    for scenario in CATALOGUE:
        check = REGISTRY[scenario.id]
        assert check.rule and check.reference and check.family.startswith("sdk-")


def test_no_body_rules_sit_on_exactly_the_operations_without_a_modelled_body() -> None:
    for operation, binding in operations().items():
        rules = {rule.description for rule in BY_ID[f"SDK-SERIALIZE-{operation}"].request_rules}
        assert ("no body and no Content-Type" in rules) is (not binding.has_request_body)
        assert ("Content-Type application/json" in rules) is binding.has_request_body
