"""Deserialization: every output member read with the model's names and types."""

from __future__ import annotations

import json
from typing import Literal

from harness.checks import Source
from harness.model import IN_SCOPE_OPERATIONS, operations
from harness.sdk.scenarios.base import Add, Expect, Scenario, reply
from harness.sdk.scenarios.samples import DATASTORE, JOB, SAMPLE_INPUT, SAMPLE_OUTPUT, ok

DeserializationCase = Literal[
    "FRACTIONS", "UNKNOWN-MEMBERS", "WHOLE-SECONDS", "IMPORT-CONFIGURATION"
]


def deserialization_id(case: DeserializationCase) -> str:
    """The ID of one of the family's scenarios that are not one operation's sample output."""
    return f"SDK-DESERIALIZE-{case}"


def deserialize_id(operation: str) -> str:
    """The ID of the scenario reading `operation`'s sample output."""
    return f"SDK-DESERIALIZE-{operation}"


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
            id=deserialization_id("FRACTIONS"),
            family="sdk-deserialization",
            rule="Every output member is read, epoch timestamps keep their fractions",
            source=Source.SMITHY,
            reference="restJson1 timestamps: epoch-seconds with fractions",
            operation=get,
            params=SAMPLE_INPUT[get],
            replies=(ok(get),),
            expect=Expect(outcome="output", output=SAMPLE_OUTPUT[get]),
        )
    )
    add(
        Scenario(
            id=deserialization_id("UNKNOWN-MEMBERS"),
            family="sdk-deserialization",
            rule="Unknown response members are ignored",
            source=Source.SMITHY,
            reference="clients must ignore members they do not know",
            operation=get,
            params=SAMPLE_INPUT[get],
            replies=(reply(200, extended),),
            expect=Expect(outcome="output", output=SAMPLE_OUTPUT[get]),
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
            id=deserialization_id("WHOLE-SECONDS"),
            family="sdk-deserialization",
            rule="An integer epoch timestamp is read as that second",
            source=Source.SMITHY,
            reference="restJson1 timestamps",
            operation="StartDICOMImportJob",
            params=SAMPLE_INPUT["StartDICOMImportJob"],
            replies=(reply(200, minimal),),
            expect=Expect(outcome="output", output=minimal),
        )
    )
    for operation in IN_SCOPE_OPERATIONS:
        if operations()[operation].blob_output or operation == get:
            continue
        add(
            Scenario(
                id=deserialize_id(operation),
                family="sdk-deserialization",
                rule=f"{operation}: every output member is read with the model's names and types, "
                f"timestamps with their fractions{DESERIALIZE_NOTES.get(operation, '')}",
                source=Source.MODEL,
                reference="the output shape's members; restJson1 epoch-seconds timestamps",
                operation=operation,
                params=SAMPLE_INPUT[operation],
                replies=(ok(operation),),
                expect=Expect(outcome="output", output=SAMPLE_OUTPUT[operation]),
            )
        )


def scenarios() -> list[Scenario]:
    """The sdk-deserialization family."""
    found: list[Scenario] = []
    _deserialization(found.append)
    return found
