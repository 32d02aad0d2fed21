"""Authentication: every way of not being properly signed is refused with 403."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from requests.auth import AuthBase

from harness.aws.sigv4 import AwsCredentials, SigV4RequestsAuth
from harness.checks import Check, Source
from harness.model import operations
from harness.model.samples import sample_input
from harness.server.context import SuiteContext
from harness.server.expect import expect_error
from harness.server.registry import Unit, server_check

UNIT = Unit.PROTOCOL
_AUTH_ERRORS = (
    "MissingAuthenticationTokenException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "IncompleteSignatureException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "AccessDeniedException",
)


@server_check(
    "AUTH-UNSIGNED",
    "auth",
    "A request without Authorization is refused with 403 and an error type, on every operation",
    Source.AWS_CONVENTION,
    "SigV4; AWS answers MissingAuthenticationTokenException (replaces schemathesis's "
    "missing_required_header, which expects 401)",
    unit=UNIT,
)
def unsigned(context: SuiteContext, check: Check) -> None:
    for operation in operations():
        exchange = context.call(operation, auth=False, **sample_input(operation))
        expect_error(
            context, check.id, operation, exchange, 403, _AUTH_ERRORS, "sent without Authorization"
        )


def _refused(context: SuiteContext, check: Check, auth: AuthBase, note: str) -> None:
    exchange = context.probe.call("ListDatastores", auth=auth)
    expect_error(context, check.id, "ListDatastores", exchange, 403, _AUTH_ERRORS, note)


@server_check(
    "AUTH-UNKNOWN-KEY",
    "auth",
    "A request signed with an unknown access key is refused with 403 and an error type",
    Source.AWS_CONVENTION,
    "SigV4; AWS answers UnrecognizedClientException",
    unit=UNIT,
)
def unknown_key(context: SuiteContext, check: Check) -> None:
    nobody = AwsCredentials("AKIDAHICONTRACTNOBODY", "not-a-secret")
    _refused(
        context,
        check,
        SigV4RequestsAuth(nobody, context.target.region),
        "signed with an access key the target does not know",
    )


@server_check(
    "AUTH-BAD-SIGNATURE",
    "auth",
    "A request whose signature does not verify is refused with 403 and an error type",
    Source.AWS_CONVENTION,
    "SigV4; AWS answers InvalidSignatureException",
    unit=UNIT,
)
def bad_signature(context: SuiteContext, check: Check) -> None:
    known = context.target.credentials
    wrong = AwsCredentials(known.access_key, known.secret_key + "x")
    _refused(
        context,
        check,
        SigV4RequestsAuth(wrong, context.target.region),
        "signed with the right key id and a wrong secret",
    )


@server_check(
    "AUTH-STALE-DATE",
    "auth",
    "A signature dated more than 15 minutes off is refused with 403 and an error type",
    Source.AWS_CONVENTION,
    "SigV4 request date window of 15 minutes; AWS answers InvalidSignatureException",
    unit=UNIT,
)
def stale_date(context: SuiteContext, check: Check) -> None:
    signer = SigV4RequestsAuth(
        context.target.credentials,
        context.target.region,
        clock=lambda: datetime.now(UTC) - timedelta(minutes=20),
    )
    _refused(context, check, signer, "signed correctly but dated 20 minutes ago")
