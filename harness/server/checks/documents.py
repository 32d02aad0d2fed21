"""The documents an import writes, member by member against their documented format.

Each format is a JSON Schema built here from the developer guide's description of
the document ('Understanding import jobs'), its members' types and patterns taken
from the model's shapes (ids, S3 URIs, version ids) and anchored like the spec's
(decision PATTERN-FULL-MATCH). Every line of both ndjson files is judged, not a
sample. Where the documentation gives a member without its type (a manifest's
`imageSetVersion`), the format leaves the type open.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from harness.checks import Check, Source
from harness.model import pinned_model
from harness.server.context import SuiteContext
from harness.server.derived import Covered
from harness.server.registry import Unit, server_check
from harness.server.scenes.imports import results
from harness.server.scenes.outputs import FAILURE, MANIFEST, SUCCESS
from harness.spec.patterns import anchored, explicit_classes

SHOWN = 3


def _string(shape_name: str) -> dict[str, Any]:
    """A JSON Schema string with the model shape's pattern (anchored) and lengths."""
    shape = pinned_model().shape(shape_name)
    schema: dict[str, Any] = {"type": "string"}
    if "pattern" in shape:
        schema["pattern"] = anchored(explicit_classes(str(shape["pattern"])))
    if "min" in shape:
        schema["minLength"] = shape["min"]
    if "max" in shape:
        schema["maxLength"] = shape["max"]
    return schema


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
    }


COUNT = {"type": "integer", "minimum": 0}
KEY = {"type": "string", "minLength": 1}


@cache
def formats() -> dict[str, dict[str, Any]]:
    """The documented format of the manifest and of one line of each ndjson file."""
    uri = _string("S3Uri")
    return {
        MANIFEST: _object(
            {
                "jobSummary": _object(
                    {
                        "jobId": _string("JobId"),
                        "datastoreId": _string("DatastoreId"),
                        "inputS3Uri": uri,
                        "outputS3Uri": uri,
                        "successOutputS3Uri": uri,
                        "failureOutputS3Uri": uri,
                        "numberOfScannedFiles": COUNT,
                        "numberOfImportedFiles": COUNT,
                        "numberOfFilesWithCustomerError": COUNT,
                        "numberOfFilesWithServerError": COUNT,
                        "numberOfGeneratedImageSets": COUNT,
                    },
                    {
                        "warningsOutputS3Uri": uri,
                        "imageSetsSummary": {
                            "type": "array",
                            "items": _object(
                                {"imageSetId": _string("ImageSetId")},
                                {
                                    "isPrimary": {"type": "boolean"},
                                    "numberOfMatchedSOPInstances": COUNT,
                                },
                            ),
                        },
                    },
                )
            }
        ),
        SUCCESS: _object(
            {
                "inputFile": KEY,
                "importResponse": _object(
                    {"imageSetId": _string("ImageSetId")}, {"isPrimary": {"type": "boolean"}}
                ),
            }
        ),
        FAILURE: _object(
            {
                "inputFile": KEY,
                "exception": _object({"exceptionType": KEY, "message": {"type": "string"}}),
            }
        ),
    }


def problems(document: str, items: list[Any]) -> list[str]:
    """Where each item (the manifest, or each line) breaks the document's format."""
    validator = Draft202012Validator(formats()[document])
    return [
        f"{'line ' + str(index + 1) + ': ' if document != MANIFEST else ''}"
        f"{'/'.join(str(part) for part in error.absolute_path) or '(top)'}: {error.message}"
        for index, item in enumerate(items)
        for error in validator.iter_errors(item)
    ]


@server_check(
    "RESULT-DOCUMENT-FORMAT",
    "manifests",
    "job-output-manifest.json and every line of SUCCESS/success.ndjson and "
    "FAILURE/failure.ndjson hold every member of their documented format, each of its type "
    "and pattern",
    Source.SERVICE_DOCS,
    "developer guide 'Understanding import jobs' (the three documents and their members); "
    "types and patterns of ids and S3 URIs from the model's shapes; decision "
    "PATTERN-FULL-MATCH",
    unit=Unit.JOBS,
    covers=lambda: [
        Covered("StartDICOMImportJob", document, document)
        for document in (MANIFEST, SUCCESS, FAILURE)
    ],
)
def document_format(context: SuiteContext, check: Check) -> None:
    found = results(context)
    if found is None or found.missing:
        return  # JOB-COMPLETES and MANIFEST-FILES judge a job without results
    for document, items in (
        (MANIFEST, [{"jobSummary": found.summary}]),
        (SUCCESS, found.successes),
        (FAILURE, found.failures),
    ):
        broken = problems(document, items)
        context.verdict(
            check.id,
            document,
            not broken,
            f"{len(broken)} problems, e.g. " + "; ".join(broken[:SHOWN]),
            note=f"{found.where}: {len(items)} {'lines' if document != MANIFEST else 'document'}",
        )
