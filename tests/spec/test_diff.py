"""`spec diff` on a table of hand-made variants of the pinned model."""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.model import load_pinned_model
from harness.model.scope import IMAGE_SET_OPERATIONS, TAGGING_OPERATIONS
from harness.spec.build import build_spec
from harness.spec.diff import Change, diff_specs, load_contract
from harness.spec.document import render

Model = dict[str, Any]


def _shape(model: Model, name: str) -> dict[str, Any]:
    shape: dict[str, Any] = model["shapes"][name]
    return shape


def remove_operation(model: Model) -> None:
    del model["operations"]["DeleteDatastore"]


def add_operation(model: Model) -> None:  # used in reverse: old lacks it, new has it
    remove_operation(model)


def remove_member(model: Model) -> None:
    del _shape(model, "StartDICOMImportJobRequest")["members"]["jobName"]


def add_required_member(model: Model) -> None:
    request = _shape(model, "StartDICOMImportJobRequest")
    request["members"]["priority"] = {"shape": "JobName"}
    request["required"].append("priority")


def add_optional_member(model: Model) -> None:
    _shape(model, "StartDICOMImportJobRequest")["members"]["priority"] = {"shape": "JobName"}


def make_member_required(model: Model) -> None:
    _shape(model, "StartDICOMImportJobRequest")["required"].append("jobName")


def tighten_max(model: Model) -> None:
    _shape(model, "JobName")["max"] = 32


def loosen_max(model: Model) -> None:
    _shape(model, "JobName")["max"] = 128


def tighten_min(model: Model) -> None:
    _shape(model, "ListDICOMImportJobsRequestMaxResultsInteger")["min"] = 5


def change_pattern(model: Model) -> None:
    _shape(model, "JobName")["pattern"] = "[A-Za-z0-9]+"


def add_pattern(model: Model) -> None:
    _shape(model, "TagValue")["pattern"] = "[a-z]*"


def remove_pattern(model: Model) -> None:
    del _shape(model, "JobName")["pattern"]


def change_error_status(model: Model) -> None:
    _shape(model, "ConflictException")["error"]["httpStatusCode"] = 400


def change_route(model: Model) -> None:
    model["operations"]["GetDICOMImportJob"]["http"]["requestUri"] = "/job/{datastoreId}/{jobId}"


def change_method(model: Model) -> None:
    model["operations"]["DeleteDatastore"]["http"]["method"] = "POST"


def change_binding(model: Model) -> None:
    member = _shape(model, "ListDICOMImportJobsRequest")["members"]["jobStatus"]
    del member["location"]
    del member["locationName"]


def change_success_status(model: Model) -> None:
    model["operations"]["StartDICOMImportJob"]["http"]["responseCode"] = 202


def remove_enum_value(model: Model) -> None:
    _shape(model, "JobStatus")["enum"].remove("FAILED")


def add_enum_value(model: Model) -> None:
    _shape(model, "JobStatus")["enum"].append("CANCELLED")


def change_type(model: Model) -> None:
    _shape(model, "StartDICOMImportJobResponse")["members"]["submittedAt"] = {"shape": "String"}


def remove_response_member(model: Model) -> None:
    _shape(model, "DICOMImportJobProperties")["members"].pop("message")


def make_response_member_optional(model: Model) -> None:
    _shape(model, "DICOMImportJobProperties")["required"].remove("outputS3Uri")


def add_error(model: Model) -> None:
    model["operations"]["GetDatastore"]["errors"].append({"shape": "ConflictException"})


def make_payload_required(model: Model) -> None:
    _shape(model, "SearchImageSetsRequest")["required"].append("searchCriteria")


def change_payload_member_pattern(model: Model) -> None:
    _shape(model, "ImageFrameId")["pattern"] = "[0-9a-f]{32}"


def remove_blob_header(model: Model) -> None:
    del _shape(model, "GetImageSetMetadataResponse")["members"]["contentEncoding"]


def tighten_query_list(model: Model) -> None:
    _shape(model, "TagKeyList")["max"] = 50


# (variant, applied to old instead of new, kind, breaking, operation, where)
VARIANTS: list[tuple[Callable[[Model], None], bool, str, bool, str, str]] = [
    (remove_operation, False, "operation-removed", True, "DeleteDatastore", "operation"),
    (add_operation, True, "operation-added", False, "DeleteDatastore", "operation"),
    (remove_member, False, "member-removed", True, "StartDICOMImportJob", "request.jobName"),
    (
        add_required_member,
        False,
        "required-member-added",
        True,
        "StartDICOMImportJob",
        "request.priority",
    ),
    (add_optional_member, False, "member-added", False, "StartDICOMImportJob", "request.priority"),
    (
        make_member_required,
        False,
        "member-made-required",
        True,
        "StartDICOMImportJob",
        "request.jobName",
    ),
    (tighten_max, False, "bound-tightened", True, "StartDICOMImportJob", "request.jobName"),
    (loosen_max, False, "bound-loosened", False, "StartDICOMImportJob", "request.jobName"),
    (tighten_min, False, "bound-tightened", True, "ListDICOMImportJobs", "request.maxResults"),
    (change_pattern, False, "pattern-changed", True, "StartDICOMImportJob", "request.jobName"),
    (add_pattern, False, "pattern-added", True, "CreateDatastore", "request.tags{}"),
    (remove_pattern, False, "pattern-removed", False, "StartDICOMImportJob", "request.jobName"),
    (
        change_error_status,
        False,
        "error-status-changed",
        True,
        "StartDICOMImportJob",
        "error ConflictException",
    ),
    (change_route, False, "route-changed", True, "GetDICOMImportJob", "route"),
    (change_method, False, "route-changed", True, "DeleteDatastore", "route"),
    (change_binding, False, "binding-changed", True, "ListDICOMImportJobs", "request.jobStatus"),
    (
        change_success_status,
        False,
        "status-changed",
        True,
        "StartDICOMImportJob",
        "success response",
    ),
    (
        remove_enum_value,
        False,
        "enum-value-removed",
        True,
        "GetDICOMImportJob",
        "response.jobProperties.jobStatus",
    ),
    (
        add_enum_value,
        False,
        "enum-value-added",
        False,
        "GetDICOMImportJob",
        "response.jobProperties.jobStatus",
    ),
    (change_type, False, "type-changed", True, "StartDICOMImportJob", "response.submittedAt"),
    (
        remove_response_member,
        False,
        "member-removed",
        True,
        "GetDICOMImportJob",
        "response.jobProperties.message",
    ),
    (
        make_response_member_optional,
        False,
        "member-made-optional",
        True,
        "GetDICOMImportJob",
        "response.jobProperties.outputS3Uri",
    ),
    (add_error, False, "error-added", False, "GetDatastore", "error ConflictException"),
    (
        make_payload_required,
        False,
        "member-made-required",
        True,
        "SearchImageSets",
        "request.searchCriteria",
    ),
    (
        change_payload_member_pattern,
        False,
        "pattern-changed",
        True,
        "GetImageFrame",
        "request.imageFrameInformation.imageFrameId",
    ),
    (
        remove_blob_header,
        False,
        "member-removed",
        True,
        "GetImageSetMetadata",
        "response.contentEncoding",
    ),
    (tighten_query_list, False, "bound-tightened", True, "UntagResource", "request.tagKeys"),
]


@pytest.fixture(scope="module")
def pinned() -> Model:
    return load_pinned_model().document


def _write_model(path: Path, model: Model) -> Path:
    raw = json.dumps(model).encode()
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path


def _spec(tmp_path: Path, name: str, model: Model) -> dict[str, Any]:
    return load_contract(_write_model(tmp_path / name, model))


@pytest.mark.parametrize(
    ("variant", "reverse", "kind", "breaking", "operation", "where"),
    VARIANTS,
    ids=[row[0].__name__ for row in VARIANTS],
)
def test_each_kind_of_change_is_found_and_classified(
    tmp_path: Path,
    pinned: Model,
    variant: Callable[[Model], None],
    reverse: bool,
    kind: str,
    breaking: bool,
    operation: str,
    where: str,
) -> None:
    changed = copy.deepcopy(pinned)
    variant(changed)
    old, new = (changed, pinned) if reverse else (pinned, changed)
    changes = diff_specs(_spec(tmp_path, "old.json.gz", old), _spec(tmp_path, "new.json", new))
    matching = [c for c in changes if (c.kind, c.operation, c.where) == (kind, operation, where)]
    assert matching, f"no {kind} at {operation} {where} in {changes}"
    assert all(c.breaking is breaking for c in matching)
    assert any(c.breaking for c in changes) is breaking, changes


def test_the_same_model_has_no_changes(tmp_path: Path, pinned: Model) -> None:
    assert diff_specs(_spec(tmp_path, "a.json", pinned), _spec(tmp_path, "b.json.gz", pinned)) == []


def test_children_of_a_removed_member_are_not_listed_again(tmp_path: Path, pinned: Model) -> None:
    changed = copy.deepcopy(pinned)
    del _shape(changed, "StartDICOMImportJobRequest")["members"]["importConfiguration"]
    changes = diff_specs(_spec(tmp_path, "a.json", pinned), _spec(tmp_path, "b.json", changed))
    assert changes == [
        Change(
            "member-removed",
            True,
            "StartDICOMImportJob",
            "request.importConfiguration",
            "member removed",
        )
    ]


def test_cli_exit_status_and_json_format(
    tmp_path: Path, pinned: Model, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _write_model(tmp_path / "old.json", pinned)
    changed = copy.deepcopy(pinned)
    tighten_max(changed)
    new = _write_model(tmp_path / "new.json.gz", changed)
    assert main(["spec", "diff", str(old), str(new), "--format", "json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    # JobName is in one request and two responses.
    assert payload["breaking"] == 3
    assert {(c["kind"], c["operation"]) for c in payload["changes"]} == {
        ("bound-tightened", "StartDICOMImportJob"),
        ("bound-tightened", "GetDICOMImportJob"),
        ("bound-tightened", "ListDICOMImportJobs"),
    }

    loosened = copy.deepcopy(pinned)
    loosen_max(loosened)
    assert main(["spec", "diff", str(old), str(_write_model(tmp_path / "l.json", loosened))]) == 0
    assert "bound-loosened" in capsys.readouterr().out


def test_a_spec_and_a_model_can_be_compared(tmp_path: Path, pinned: Model) -> None:
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(render(build_spec(load_pinned_model())))
    model_path = _write_model(tmp_path / "model.json", pinned)
    assert diff_specs(load_contract(spec_path), load_contract(model_path)) == []


def test_a_model_with_fewer_operations_builds_and_compares(tmp_path: Path, pinned: Model) -> None:
    older = copy.deepcopy(pinned)
    for name in IMAGE_SET_OPERATIONS + TAGGING_OPERATIONS:
        del older["operations"][name]
    changes = diff_specs(_spec(tmp_path, "old.json", older), _spec(tmp_path, "new.json", pinned))
    assert {(c.kind, c.operation) for c in changes} == {
        ("operation-added", name) for name in IMAGE_SET_OPERATIONS + TAGGING_OPERATIONS
    }
    assert not any(c.breaking for c in changes)


def test_blob_answers_and_payloads_are_members_of_the_view(tmp_path: Path, pinned: Model) -> None:
    changed = copy.deepcopy(pinned)
    _shape(changed, "GetImageFrameResponse")["members"].pop("contentType")
    _shape(changed, "CopyImageSetRequest")["required"].remove("copyImageSetInformation")
    changes = diff_specs(_spec(tmp_path, "a.json", pinned), _spec(tmp_path, "b.json", changed))
    assert {(c.kind, c.operation, c.where) for c in changes} == {
        ("member-removed", "GetImageFrame", "response.contentType"),
        ("member-made-optional", "CopyImageSet", "request.copyImageSetInformation"),
    }


def test_something_else_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(ValueError, match="neither"):
        load_contract(path)
