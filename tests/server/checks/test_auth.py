"""Authentication judged against a target that verifies SigV4 as the emulator does: each way
of not being properly signed must be refused with 403 and an error type."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from harness.emulator.exceptions import ServiceError
from harness.emulator.http.auth import CredentialStore, SignedRequest
from harness.model import operations
from harness.server.checks.auth import bad_signature, stale_date, unknown_key, unsigned
from harness.server.context import SuiteContext
from harness.server.observation import Observation
from tests.server.exchanges import CREDENTIALS, Reply, failures, outcomes, refusal, scripted

KEYS = CredentialStore.from_pairs([f"{CREDENTIALS.access_key}:{CREDENTIALS.secret_key}"])
CHECKS: dict[str, Callable[[SuiteContext], None]] = {
    "AUTH-UNSIGNED": unsigned,
    "AUTH-UNKNOWN-KEY": unknown_key,
    "AUTH-BAD-SIGNATURE": bad_signature,
    "AUTH-STALE-DATE": stale_date,
}


def verifying(
    check_signature: bool = True, check_date: bool = True, open_to: str = ""
) -> Callable[[Observation], Reply]:
    """A target that answers what the emulator's verifier says of each request (skipping the
    signature or the date when told), and serves `open_to` whatever the signing."""

    def answer(seen: Observation) -> Reply:
        sent = seen.exchange
        parts = urlsplit(sent.url)
        headers = {name.lower(): value for name, value in sent.request_headers.items()}
        headers.setdefault("host", parts.netloc)
        request = SignedRequest(
            sent.method, parts.path, parts.query, headers, sent.request_body or b""
        )
        if seen.operation != open_to:
            try:
                KEYS.authenticate(
                    request,
                    seen.operation,
                    check_signature=check_signature,
                    check_date=check_date,
                )
            except ServiceError as error:
                return refusal(error.http_status, error.error_code, error.message)
        return Reply({})

    return answer


def judged(answer: Callable[[Observation], Reply]) -> SuiteContext:
    with scripted(answer) as context:
        for check in CHECKS.values():
            check(context)
    return context


def test_a_target_that_verifies_signatures_passes_every_auth_check() -> None:
    context = judged(verifying())
    for check_id in CHECKS:
        assert failures(context, check_id) == [], check_id
    assert [subject for subject, _, _ in outcomes(context, "AUTH-UNSIGNED")] == list(operations())
    assert [subject for subject, _, _ in outcomes(context, "AUTH-BAD-SIGNATURE")] == [
        "ListDatastores"
    ]
    codes = [exchange.error_type for exchange in context.probe.history]
    assert codes.count("MissingAuthenticationTokenException") == len(operations())
    assert codes[-3:] == [
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "InvalidSignatureException",
    ]


def test_a_target_that_skips_the_signature_or_the_date_fails_that_check_alone() -> None:
    unchecked = judged(verifying(check_signature=False))
    assert {check_id for check_id in CHECKS if failures(unchecked, check_id)} == {
        "AUTH-BAD-SIGNATURE"
    }
    undated = judged(verifying(check_date=False))
    assert {check_id for check_id in CHECKS if failures(undated, check_id)} == {"AUTH-STALE-DATE"}
    (failed,) = failures(undated, "AUTH-STALE-DATE")
    assert failed[0] == "ListDatastores"
    assert failed[1].startswith("expected HTTP 403 MissingAuthenticationTokenException or ")
    assert failed[1].endswith("got HTTP 200 (no X-Amzn-Errortype)")


def test_an_operation_served_unsigned_fails_naming_it() -> None:
    context = judged(verifying(open_to="GetImageSet"))
    assert [subject for subject, _ in failures(context, "AUTH-UNSIGNED")] == ["GetImageSet"]


def test_a_refusal_with_another_status_or_no_error_type_fails() -> None:
    context = judged(lambda seen: refusal(401, "MissingAuthenticationTokenException"))
    assert len(failures(context, "AUTH-UNSIGNED")) == len(operations())
    assert failures(context, "AUTH-UNKNOWN-KEY")[0][1].endswith(
        "got HTTP 401 MissingAuthenticationTokenException"
    )
    context = judged(lambda seen: Reply({"message": "Forbidden"}, 403))
    assert failures(context, "AUTH-STALE-DATE")[0][1].endswith("got HTTP 403 (no X-Amzn-Errortype)")
