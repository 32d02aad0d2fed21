"""Deserialization: every output member read with the model's names and types."""

from __future__ import annotations

import json

from harness.checks import Source
from harness.model import IN_SCOPE_OPERATIONS, operations
from harness.sdk.scenarios.base import Add, Expect, Scenario, reply
from harness.sdk.scenarios.samples import DATASTORE, JOB, SAMPLE_INPUT, SAMPLE_OUTPUT, ok

DESERIALIZE_NOTES = {
    "SearchImageSets": "; version is an integer, DICOMTags read whole",
    "ListImageSetVersions": "; ImageSetWorkflowStatus keeps its capital I",
    "GetImageSet": "; overrides and isPrimary read",
    "CopyImageSet": "; both nested properties read",
    "TagResource": " (an empty output)",
    "UntagResource": " (an empty output)",
}


def _deserialization(add: Add) -> None:
    get = "GetDICOMImportJob"
    extended = json.loads(json.dumps(SAMPLE_OUTPUT[get]))
    extended["jobProperties"]["futureMember"] = {"nested": True}
    extended["unknownTopLevel"] = 1
    add(
        Scenario(
            "SDK-DESERIALIZE-FRACTIONS",
            "sdk-deserialization",
            "Every output member is read, epoch timestamps keep their fractions",
            Source.SMITHY,
            "restJson1 timestamps: epoch-seconds with fractions",
            get,
            SAMPLE_INPUT[get],
            (ok(get),),
            Expect("output", output=SAMPLE_OUTPUT[get]),
        )
    )
    add(
        Scenario(
            "SDK-DESERIALIZE-UNKNOWN-MEMBERS",
            "sdk-deserialization",
            "Unknown response members are ignored",
            Source.SMITHY,
            "clients must ignore members they do not know",
            get,
            SAMPLE_INPUT[get],
            (reply(200, extended),),
            Expect("output", output=SAMPLE_OUTPUT[get]),
        )
    )
    minimal = {
        "datastoreId": DATASTORE,
        "jobId": JOB,
        "jobStatus": "SUBMITTED",
        "submittedAt": 1732300000,
    }
    add(
        Scenario(
            "SDK-DESERIALIZE-WHOLE-SECONDS",
            "sdk-deserialization",
            "An integer epoch timestamp is read as that second",
            Source.SMITHY,
            "restJson1 timestamps",
            "StartDICOMImportJob",
            SAMPLE_INPUT["StartDICOMImportJob"],
            (reply(200, minimal),),
            Expect("output", output=minimal),
        )
    )
    for operation in IN_SCOPE_OPERATIONS:
        if operations()[operation].blob_output or operation == get:
            continue
        add(
            Scenario(
                f"SDK-DESERIALIZE-{operation}",
                "sdk-deserialization",
                f"{operation}: every output member is read with the model's names and types, "
                f"timestamps with their fractions{DESERIALIZE_NOTES.get(operation, '')}",
                Source.MODEL,
                "the output shape's members; restJson1 epoch-seconds timestamps",
                operation,
                SAMPLE_INPUT[operation],
                (ok(operation),),
                Expect("output", output=SAMPLE_OUTPUT[operation]),
            )
        )


def scenarios() -> list[Scenario]:
    """The sdk-deserialization family."""
    found: list[Scenario] = []
    _deserialization(found.append)
    return found
