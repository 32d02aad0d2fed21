"""Blobs: streaming outputs handed back unchanged, base64 blobs inside JSON bodies."""

from __future__ import annotations

import base64
from typing import Literal

from harness.checks import Source
from harness.sdk import matchers
from harness.sdk.scenarios.base import Add, Expect, Scenario
from harness.sdk.scenarios.samples import (
    BLOB_REPLY,
    METADATA_DOCUMENT,
    REMOVABLE,
    SAMPLE_INPUT,
    SAMPLE_OUTPUT,
    UPDATABLE,
    ok,
)
from harness.sdk.stub import Reply

BlobCase = Literal["FRAME", "METADATA-GZIP", "METADATA-PLAIN", "UPDATE-BASE64"]


def blob_id(case: BlobCase) -> str:
    """The ID of one blob scenario."""
    return f"SDK-BLOB-{case}"


def _blobs(add: Add) -> None:
    streaming = (
        "model: the output's payload is a streaming blob, its header members beside it; "
        "restJson1 test RestJsonHttpPayloadTraitsWithBlob (response); "
        "runtime-api-facts §1: botocore does not gunzip"
    )
    add(
        Scenario(
            id=blob_id("FRAME"),
            family="sdk-blobs",
            rule="GetImageFrame hands back the frame's bytes unchanged, with contentType",
            source=Source.MODEL,
            reference=streaming,
            operation="GetImageFrame",
            params=SAMPLE_INPUT["GetImageFrame"],
            replies=(BLOB_REPLY["GetImageFrame"],),
            expect=Expect(outcome="output", output=SAMPLE_OUTPUT["GetImageFrame"]),
        )
    )
    add(
        Scenario(
            id=blob_id("METADATA-GZIP"),
            family="sdk-blobs",
            rule="GetImageSetMetadata hands back the gzip bytes as sent (not gunzipped), with "
            "contentType and contentEncoding",
            source=Source.MODEL,
            reference=streaming,
            operation="GetImageSetMetadata",
            params=SAMPLE_INPUT["GetImageSetMetadata"],
            replies=(BLOB_REPLY["GetImageSetMetadata"],),
            expect=Expect(outcome="output", output=SAMPLE_OUTPUT["GetImageSetMetadata"]),
        )
    )
    add(
        Scenario(
            id=blob_id("METADATA-PLAIN"),
            family="sdk-blobs",
            rule="GetImageSetMetadata without Content-Encoding hands back the JSON bytes unparsed",
            source=Source.MODEL,
            reference=streaming,
            operation="GetImageSetMetadata",
            params=SAMPLE_INPUT["GetImageSetMetadata"],
            replies=(Reply(200, (("Content-Type", "application/json"),), METADATA_DOCUMENT),),
            expect=Expect(
                outcome="output",
                output={
                    "imageSetMetadataBlob": METADATA_DOCUMENT,
                    "contentType": "application/json",
                },
            ),
        )
    )
    updates = {"updatableAttributes": UPDATABLE, "removableAttributes": REMOVABLE}
    add(
        Scenario(
            id=blob_id("UPDATE-BASE64"),
            family="sdk-blobs",
            rule="UpdateImageSetMetadata sends the DICOMUpdates blobs base64-encoded in its JSON "
            "body",
            source=Source.SMITHY,
            reference="model: removableAttributes/updatableAttributes are blobs inside the union "
            "payload; "
            "restJson1 test RestJsonJsonBlobs (blobs in JSON are base64)",
            operation="UpdateImageSetMetadata",
            params={
                **SAMPLE_INPUT["UpdateImageSetMetadata"],
                "updateImageSetMetadataUpdates": {"DICOMUpdates": updates},
            },
            replies=(ok("UpdateImageSetMetadata"),),
            expect=Expect(outcome="output"),
            request_rules=(
                matchers.content_type("application/json"),
                matchers.json_body(
                    {
                        "DICOMUpdates": {
                            "updatableAttributes": base64.b64encode(UPDATABLE).decode(),
                            "removableAttributes": base64.b64encode(REMOVABLE).decode(),
                        }
                    }
                ),
                matchers.query_has("latestVersion", "1"),
            ),
        )
    )


def scenarios() -> list[Scenario]:
    """The sdk-blobs family."""
    found: list[Scenario] = []
    _blobs(found.append)
    return found
