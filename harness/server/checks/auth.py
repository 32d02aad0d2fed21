"""Authentication: every way of not being properly signed is refused with 403."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from harness.checks import Source, register
from harness.model import Location, Operation, operations
from harness.server.checks.expect import expect_error
from harness.server.context import SuiteContext
from harness.sigv4 import AwsCredentials, SigV4RequestsAuth

UNSIGNED = register(
    "AUTH-UNSIGNED",
    "auth",
    "A request without Authorization is refused with 403 and an error type, on every operation",
    Source.AWS_CONVENTION,
    "SigV4; AWS answers MissingAuthenticationTokenException (replaces schemathesis's "
    "missing_required_header, which expects 401)",
)
UNKNOWN_KEY = register(
    "AUTH-UNKNOWN-KEY",
    "auth",
    "A request signed with an unknown access key is refused with 403 and an error type",
    Source.AWS_CONVENTION,
    "SigV4; AWS answers UnrecognizedClientException",
)
BAD_SIGNATURE = register(
    "AUTH-BAD-SIGNATURE",
    "auth",
    "A request whose signature does not verify is refused with 403 and an error type",
    Source.AWS_CONVENTION,
    "SigV4; AWS answers InvalidSignatureException",
)
STALE_DATE = register(
    "AUTH-STALE-DATE",
    "auth",
    "A signature dated more than 15 minutes off is refused with 403 and an error type",
    Source.AWS_CONVENTION,
    "SigV4 request date window of 15 minutes; AWS answers InvalidSignatureException",
)

_AUTH_ERRORS = (
    "MissingAuthenticationTokenException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "IncompleteSignatureException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "AccessDeniedException",
)


PLACEHOLDER_ID = "0" * 32
PLACEHOLDERS: dict[str, Any] = {
    "datastoreId": PLACEHOLDER_ID,
    "jobId": "x",
    "imageSetId": PLACEHOLDER_ID,
    "sourceImageSetId": PLACEHOLDER_ID,
    "resourceArn": f"arn:aws:medical-imaging:us-east-1:123456789012:datastore/{PLACEHOLDER_ID}",
    "latestVersionId": "1",
    "tagKeys": ["k"],
}


def placeholder_params(operation: Operation) -> dict[str, Any]:
    """Well-formed labels and required query members: enough to reach the operation."""
    return {
        member.name: PLACEHOLDERS[member.name]
        for member in operation.labels + operation.query
        if member.location is Location.LABEL or member.required
    }


def run(context: SuiteContext) -> None:
    """Unsigned requests to every operation; three bad signatures on a cheap read."""
    for operation in operations().values():
        exchange = context.call(operation.name, auth=False, **placeholder_params(operation))
        expect_error(
            context,
            UNSIGNED.id,
            operation.name,
            exchange,
            403,
            _AUTH_ERRORS,
            "sent without Authorization",
        )
    region = context.target.region
    known = context.target.credentials
    cases = (
        (
            UNKNOWN_KEY,
            SigV4RequestsAuth(AwsCredentials("AKIDAHICONTRACTNOBODY", "not-a-secret"), region),
            "signed with an access key the target does not know",
        ),
        (
            BAD_SIGNATURE,
            SigV4RequestsAuth(AwsCredentials(known.access_key, known.secret_key + "x"), region),
            "signed with the right key id and a wrong secret",
        ),
        (
            STALE_DATE,
            SigV4RequestsAuth(
                known, region, clock=lambda: datetime.now(UTC) - timedelta(minutes=20)
            ),
            "signed correctly but dated 20 minutes ago",
        ),
    )
    for check, auth, note in cases:
        exchange = context.probe.call("ListDatastores", auth=auth)
        expect_error(context, check.id, "ListDatastores", exchange, 403, _AUTH_ERRORS, note)
