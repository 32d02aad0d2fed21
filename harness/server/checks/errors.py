"""Errors the documentation promises: not found, malformed input, invalid input."""

from __future__ import annotations

from harness.checks import Source, register
from harness.model import operations
from harness.server.checks.expect import expect_error
from harness.server.context import SuiteContext

NOT_FOUND = register(
    "NOT-FOUND-404",
    "errors",
    "An unknown data store or job is a 404 ResourceNotFoundException",
    Source.MODEL,
    "ResourceNotFoundException, httpStatusCode 404",
)
MALFORMED_BODY = register(
    "MALFORMED-BODY-400",
    "validation",
    "A body that is not a JSON object is a 400, never a 5xx",
    Source.SMITHY,
    "restJson1 server validation: SerializationException 400",
)
INVALID_MEMBER = register(
    "INVALID-MEMBER-400",
    "validation",
    "A member that breaks its pattern or bounds is a 400 ValidationException",
    Source.MODEL,
    "S3Uri and RoleArn patterns, full match (harness decision PATTERN-FULL-MATCH)",
)

_BAD_INPUT = ("SerializationException", "ValidationException")


def run(context: SuiteContext) -> None:
    env = context.env
    unknown_datastore = "0" * 32
    expect_error(
        context,
        NOT_FOUND.id,
        "GetDatastore",
        context.get_datastore(unknown_datastore),
        404,
        ("ResourceNotFoundException",),
        "a well-formed id no data store has",
    )
    expect_error(
        context,
        NOT_FOUND.id,
        "GetDICOMImportJob",
        context.get_job(env.datastore_id, "0" * 32),
        404,
        ("ResourceNotFoundException",),
        "a well-formed job id on the suite's data store",
    )
    expect_error(
        context,
        NOT_FOUND.id,
        "ListDICOMImportJobs",
        context.list_jobs(unknown_datastore),
        404,
        ("ResourceNotFoundException",),
        "a well-formed id no data store has",
    )
    start_path = operations()["StartDICOMImportJob"].path({"datastoreId": env.datastore_id})
    for raw, note in (
        (b"{not json", "malformed JSON"),
        (b"[1, 2]", "a JSON array instead of an object"),
        (b'{"clientToken": 5}', "a member of the wrong type"),
    ):
        exchange = context.probe.send(
            "POST", start_path, raw_body=raw, headers={"Content-Type": "application/json"}
        )
        expect_error(
            context, MALFORMED_BODY.id, "StartDICOMImportJob", exchange, 400, _BAD_INPUT, note
        )
    for changes, note in (
        ({"inputS3Uri": "https://example.com/x"}, "inputS3Uri is not an s3:// URI"),
        ({"inputS3Uri": f"x{env.input_uri}"}, "inputS3Uri matches the pattern only as a search"),
        ({"dataAccessRoleArn": "arn:aws:iam::1:role/r"}, "a role ARN with a short account id"),
        ({"clientToken": "x" * 65}, "clientToken longer than 64"),
    ):
        body = context.start_body(**changes)
        expect_error(
            context,
            INVALID_MEMBER.id,
            "StartDICOMImportJob",
            context.start_job(env.datastore_id, **body),
            400,
            ("ValidationException",),
            note,
        )
