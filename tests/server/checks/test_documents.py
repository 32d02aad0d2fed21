"""The documented formats of an import's result documents, judged member by member."""

from __future__ import annotations

from typing import Any

from harness.server.checks.documents import problems
from harness.server.scenes.outputs import FAILURE, MANIFEST, SUCCESS

DATASTORE = "0123456789abcdef0123456789abcdef"
IMAGE_SET = "fedcba9876543210fedcba9876543210"
FOLDER = f"s3://out-bucket/out/{DATASTORE}-DicomImport-0a1b2c/"


def manifest(**changes: Any) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "jobId": "0a1b2c",
        "datastoreId": DATASTORE,
        "inputS3Uri": "s3://in-bucket/input/",
        "outputS3Uri": FOLDER,
        "successOutputS3Uri": f"{FOLDER}SUCCESS/",
        "failureOutputS3Uri": f"{FOLDER}FAILURE/",
        "numberOfScannedFiles": 3,
        "numberOfImportedFiles": 2,
        "numberOfFilesWithCustomerError": 1,
        "numberOfFilesWithServerError": 0,
        "numberOfGeneratedImageSets": 1,
        "imageSetsSummary": [
            {"imageSetId": IMAGE_SET, "imageSetVersion": 1, "numberOfMatchedSOPInstances": 2}
        ],
    }
    summary.update(changes)
    return {"jobSummary": {key: value for key, value in summary.items() if value is not None}}


def test_documents_as_the_developer_guide_describes_them_have_no_problems() -> None:
    assert problems(MANIFEST, [manifest()]) == []
    line = {"inputFile": "input/a.dcm", "importResponse": {"imageSetId": IMAGE_SET}}
    assert problems(SUCCESS, [line, {**line, "importResponse": {"imageSetId": IMAGE_SET}}]) == []
    failure = {
        "inputFile": "input/b.dcm",
        "exception": {"exceptionType": "ValidationException", "message": "not DICOM"},
    }
    assert problems(FAILURE, [failure]) == []


def test_a_failure_line_without_a_member_of_its_format_is_named_by_line_and_member() -> None:
    good = {"inputFile": "a", "exception": {"exceptionType": "ValidationException", "message": ""}}
    bad = {"inputFile": "b", "exception": {"message": "no type"}}
    found = problems(FAILURE, [good, bad])
    assert len(found) == 1
    assert found[0].startswith("line 2: exception:") and "exceptionType" in found[0]


def test_ids_uris_and_counts_are_judged_by_the_models_patterns_and_types() -> None:
    found = problems(
        MANIFEST,
        [manifest(datastoreId="x" + DATASTORE, outputS3Uri="https://out", numberOfScannedFiles=-1)],
    )
    assert sorted(problem.split(":")[0] for problem in found) == [
        "jobSummary/datastoreId",
        "jobSummary/numberOfScannedFiles",
        "jobSummary/outputS3Uri",
    ]
    assert problems(MANIFEST, [manifest(numberOfImportedFiles=None)]) == [
        "jobSummary: 'numberOfImportedFiles' is a required property"
    ]
    line = {"inputFile": "", "importResponse": {"imageSetId": "not-an-id", "isPrimary": "yes"}}
    assert len(problems(SUCCESS, [line])) == 3
