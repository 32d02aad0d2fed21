"""The catalogue against the model and the facts it rests on, independent of any SDK."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any, get_args

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
    blobs,
    clock_skew,
    deserialization,
    endpoints,
    errors,
    idempotency,
    load_catalogue,
    retries,
    serialization,
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
            for variant in get_args(errors.ErrorVariant):
                assert errors.error_id(variant, operation, error["shape"]) in BY_ID
        assert serialization.serialize_id(operation) in BY_ID
        assert errors.generic_error_id("5XX-EMPTY-BODY", operation) in BY_ID


# Each family's ID builder for the cases it names, and those cases.
CASE_BUILDERS: list[tuple[Callable[[Any], str], tuple[Any, ...]]] = [
    (lambda case: errors.generic_error_id(case, "GetDatastore"), get_args(errors.GenericError)),
    (idempotency.token_id, get_args(idempotency.TokenCase)),
    (retries.retry_id, (*get_args(retries.RetryCase), *retries.TRANSIENT)),
    (retries.no_retry_id, get_args(retries.FinalStatus)),
    (clock_skew.clock_skew_id, get_args(clock_skew.ClockSkewCase)),
    (serialization.serialization_id, get_args(serialization.SerializationCase)),
    (deserialization.deserialization_id, get_args(deserialization.DeserializationCase)),
    (endpoints.endpoint_id, get_args(endpoints.EndpointCase)),
    (blobs.blob_id, get_args(blobs.BlobCase)),
]


@pytest.mark.parametrize(("build", "cases"), CASE_BUILDERS)
def test_every_case_an_id_builder_names_is_a_scenario(
    build: Callable[[Any], str], cases: tuple[Any, ...]
) -> None:
    """A case left in a builder's type after its scenario is gone or renamed fails here."""
    assert cases
    assert [build(case) for case in cases if build(case) not in BY_ID] == []


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


# runtime-api-facts §2: the image-set actions use runtime-medical-imaging.<region>.
RUNTIME_PREFIXED = {
    "SearchImageSets",
    "GetImageSet",
    "GetImageSetMetadata",
    "GetImageFrame",
    "ListImageSetVersions",
    "UpdateImageSetMetadata",
    "CopyImageSet",
    "DeleteImageSet",
}


def test_host_prefix_scenarios_put_runtime_exactly_on_the_image_set_actions() -> None:
    prefixed = {s.operation for s in CATALOGUE if s.id.startswith("SDK-HOST-PREFIX-DISABLED-")}
    assert prefixed == RUNTIME_PREFIXED
    for operation in IN_SCOPE_OPERATIONS:
        scenario = BY_ID[f"SDK-HOST-PREFIX-{operation}"]
        assert scenario.host_prefix and scenario.proxied
        expected = "Host runtime-<endpoint>" if operation in RUNTIME_PREFIXED else "Host <endpoint>"
        assert expected in {rule.description for rule in scenario.request_rules}
    disabled = BY_ID["SDK-HOST-PREFIX-DISABLED-GetImageSet"]
    assert disabled.proxied and not disabled.host_prefix


def test_empty_body_scenarios_sit_on_exactly_the_operations_without_a_modelled_body() -> None:
    without = {name for name, op in operations().items() if not op.has_request_body}
    assert {s.operation for s in CATALOGUE if s.id.startswith("SDK-EMPTY-BODY-")} == without
    assert "no query string" in {
        rule.description for rule in BY_ID["SDK-EMPTY-BODY-ListDatastores"].request_rules
    }


def test_clock_skew_scenarios_answer_from_one_server_clock() -> None:
    for name in ("RequestTimeTooSkewed", "InvalidSignatureException", "PERSISTS"):
        scenario = BY_ID[f"SDK-CLOCK-SKEW-{name}"]
        assert {reply.date_offset for reply in scenario.replies} == {1200.0}
        assert scenario.replies[0].status == 403 and scenario.shared_client
    assert BY_ID["SDK-CLOCK-SKEW-NO-DATE"].replies[0].date_offset is None


def test_the_quota_scenario_counts_from_the_documented_bucket() -> None:
    scenario = BY_ID["SDK-RETRY-QUOTA-COST"]
    # 500 tokens, 5 per retry, 2 retries per call: 50 calls retried, then none.
    assert scenario.calls == 52 and scenario.expect.attempts == 152
    assert scenario.shared_client and scenario.max_attempts == 3


def test_only_scenarios_without_sockets_clocks_or_sdk_state_run_in_process() -> None:
    remote = {s.id for s in CATALOGUE if not s.in_process}
    assert {f"SDK-HOST-PREFIX-{op}" for op in IN_SCOPE_OPERATIONS} <= remote
    assert {
        "SDK-RETRY-QUOTA-COST",
        "SDK-RETRY-BACKOFF-BOUNDS",
        "SDK-RETRY-TIMEOUT",
        "SDK-RETRY-CONNECTION-RESET",
        "SDK-CLOCK-SKEW-PERSISTS",
    } <= remote
    assert BY_ID["SDK-SERIALIZE-GetDatastore"].in_process
    assert BY_ID["SDK-RETRY-ATTEMPT-MAX"].in_process


def test_the_catalogue_is_built_and_registered_once_on_request() -> None:
    assert load_catalogue() is load_catalogue()
    assert [s.id for s in load_catalogue()] == [s.id for s in CATALOGUE]
    families = {s.family for s in CATALOGUE}
    assert families == {
        "sdk-errors",
        "sdk-idempotency",
        "sdk-retries",
        "sdk-clock-skew",
        "sdk-serialization",
        "sdk-empty-bodies",
        "sdk-host-prefix",
        "sdk-endpoints",
        "sdk-blobs",
        "sdk-deserialization",
    }


def test_importing_the_catalogue_registers_nothing() -> None:
    program = (
        "import harness.sdk.scenarios, harness.sdk.runner\n"
        "from harness.checks import REGISTRY\n"
        "assert not any(name.startswith('SDK-ERR-') for name in REGISTRY)\n"
        "harness.sdk.scenarios.load_catalogue()\n"
        "assert 'SDK-ERR-HEADER-GetDatastore-ValidationException' in REGISTRY\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
