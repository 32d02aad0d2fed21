"""Errors: the shape and status of every error answer a step expects, and the errors the
documentation promises (not found, malformed input, invalid input)."""

from __future__ import annotations

from functools import cache

from harness.aws.restjson import clean_error_code
from harness.checks import Check, Source
from harness.model import Location, operations
from harness.model.samples import datastore_arn, sample_input
from harness.server.context import SuiteContext
from harness.server.expect import expect_error
from harness.server.probe import Exchange
from harness.server.registry import Trigger, Unit, server_check
from harness.spec.build import COMMON_ERRORS

UNIT = Unit.PROTOCOL
_BAD_INPUT = ("SerializationException", "ValidationException")
_NOT_FOUND = ("ResourceNotFoundException",)
_CHILD_LABELS = ("jobId", "imageSetId", "sourceImageSetId")


@server_check(
    "ERROR-SHAPE",
    "errors",
    "An error answer carries X-Amzn-Errortype and a JSON body with a string `message`",
    Source.SMITHY,
    "restJson1 operation error serialization; every error shape requires `message` (model)",
    trigger=Trigger.EXCHANGE,
)
def error_shape(context: SuiteContext, check: Check, subject: str, exchange: Exchange) -> None:
    if exchange.status is None or exchange.status < 400:
        return
    body = exchange.json()
    context.verdict(
        check.id,
        subject,
        exchange.error_type is not None
        and isinstance(body, dict)
        and any(isinstance(body.get(key), str) for key in ("message", "Message")),
        "error answer without X-Amzn-Errortype or without a JSON `message`",
        exchange,
    )


@cache
def error_statuses() -> dict[str, int]:
    """The HTTP status of every error the model or AWS-wide convention names, by code."""
    statuses = {code: status for status, codes in COMMON_ERRORS.items() for code in codes}
    for operation in operations().values():
        statuses.update({error.name: error.status for error in operation.errors})
    return statuses


@server_check(
    "ERROR-STATUS-MATCHES-TYPE",
    "errors",
    "An error answer's HTTP status is the one its X-Amzn-Errortype has: the model's "
    "httpStatusCode for a modelled error, the AWS-wide status for a common one",
    Source.MODEL,
    "each error shape's `error.httpStatusCode` (ValidationException 400, "
    "ServiceQuotaExceededException 402, ResourceNotFoundException 404, ...); common errors: "
    "decision COMMON-ERRORS",
    trigger=Trigger.EXCHANGE,
)
def error_status(context: SuiteContext, check: Check, subject: str, exchange: Exchange) -> None:
    code = clean_error_code(exchange.error_type or "")
    status = error_statuses().get(code)
    if exchange.status is None or exchange.status < 400 or status is None:
        return
    context.verdict(
        check.id,
        subject,
        exchange.status == status,
        f"{code} answered with HTTP {exchange.status}; its status is {status}",
        exchange,
    )


def _names_a_datastore(operation: str) -> bool:
    return any(
        member.name in ("datastoreId", "resourceArn")
        for member in operations()[operation].inputs
        if member.location is Location.LABEL
    )


@server_check(
    "NOT-FOUND-404",
    "errors",
    "An unknown data store, job, image set or resource is a 404 ResourceNotFoundException, on "
    "every operation that names one",
    Source.MODEL,
    "ResourceNotFoundException, httpStatusCode 404, in every such operation's errors",
    unit=UNIT,
)
def not_found(context: SuiteContext, check: Check) -> None:
    own = context.env.datastore_id
    for operation in operations():
        if not _names_a_datastore(operation):
            continue
        expect_error(
            context,
            check.id,
            operation,
            context.call(operation, **sample_input(operation)),
            404,
            _NOT_FOUND,
            "a well-formed data store id no data store has",
        )
        params = sample_input(operation, own)
        labels = {m.name for m in operations()[operation].labels}
        if "resourceArn" in labels:
            params["resourceArn"] = (
                f"{datastore_arn(own, context.target.region)}/imageset/{'0' * 32}"
            )
        elif not labels & set(_CHILD_LABELS):
            continue
        expect_error(
            context,
            check.id,
            operation,
            context.call(operation, **params),
            404,
            _NOT_FOUND,
            "a well-formed id nothing has, on the suite's own data store",
        )


@server_check(
    "MALFORMED-BODY-400",
    "validation",
    "A body that is not a JSON object is a 400, never a 5xx, on every operation with a JSON body",
    Source.SMITHY,
    "restJson1 server validation: SerializationException 400",
    unit=UNIT,
)
def malformed_body(context: SuiteContext, check: Check) -> None:
    own = context.env.datastore_id
    for operation in operations().values():
        if not operation.has_request_body:
            continue
        sample = sample_input(operation.name, own)
        path = operation.path({m.name: str(sample[m.name]) for m in operation.labels})
        for raw, note in (
            (b"{not json", "malformed JSON"),
            (b"[1, 2]", "a JSON array instead of an object"),
        ):
            exchange = context.probe.send(
                operation.method,
                path,
                query=[(m.wire_name, "1") for m in operation.query if m.required],
                raw_body=raw,
                headers={"Content-Type": "application/json"},
            )
            expect_error(context, check.id, operation.name, exchange, 400, _BAD_INPUT, note)
    exchange = context.probe.send(
        "POST",
        operations()["StartDICOMImportJob"].path({"datastoreId": own}),
        raw_body=b'{"clientToken": 5}',
        headers={"Content-Type": "application/json"},
    )
    expect_error(
        context,
        check.id,
        "StartDICOMImportJob",
        exchange,
        400,
        _BAD_INPUT,
        "a member of the wrong type",
    )


@server_check(
    "INVALID-MEMBER-400",
    "validation",
    "A member that breaks its pattern or bounds is a 400 ValidationException",
    Source.MODEL,
    "S3Uri and RoleArn patterns, full match (harness decision PATTERN-FULL-MATCH)",
    unit=UNIT,
)
def invalid_member(context: SuiteContext, check: Check) -> None:
    env = context.env
    for changes, note in (
        ({"inputS3Uri": "https://example.com/x"}, "inputS3Uri is not an s3:// URI"),
        ({"inputS3Uri": f"x{env.input_uri}"}, "inputS3Uri matches the pattern only as a search"),
        ({"dataAccessRoleArn": "arn:aws:iam::1:role/r"}, "a role ARN with a short account id"),
        ({"clientToken": "x" * 65}, "clientToken longer than 64"),
    ):
        body = context.start_body(**changes)
        expect_error(
            context,
            check.id,
            "StartDICOMImportJob",
            context.start_job(env.datastore_id, **body),
            400,
            ("ValidationException",),
            note,
        )
    for size, note in ((51, "maxResults above 50"), (0, "maxResults below 1")):
        expect_error(
            context,
            check.id,
            "SearchImageSets",
            context.call("SearchImageSets", datastoreId=env.datastore_id, maxResults=size),
            400,
            ("ValidationException",),
            note,
        )
    expect_error(
        context,
        check.id,
        "GetImageSet",
        context.call("GetImageSet", datastoreId=env.datastore_id, imageSetId="NOT-AN-ID"),
        400,
        ("ValidationException",),
        "an imageSetId that breaks [0-9a-z]{32}",
    )
