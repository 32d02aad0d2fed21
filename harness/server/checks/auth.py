"""Authentication: every way of not being properly signed is refused with 403."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harness.checks import Source, register
from harness.server.checks.expect import expect_error
from harness.server.context import SuiteContext
from harness.sigv4 import AwsCredentials, SigV4RequestsAuth

UNSIGNED = register(
    "AUTH-UNSIGNED",
    "auth",
    "A request without Authorization is refused with 403 and an error type",
    Source.AWS_CONVENTION,
    "SigV4; AWS answers MissingAuthenticationTokenException",
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


def run(context: SuiteContext) -> None:
    """Four refusals, each on a cheap read."""
    path = "/datastore"
    region = context.target.region
    known = context.target.credentials
    cases = (
        (UNSIGNED, False, "sent without Authorization"),
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
        exchange = context.probe.send("GET", path, auth=auth)
        expect_error(context, check.id, "ListDatastores", exchange, 403, _AUTH_ERRORS, note)
