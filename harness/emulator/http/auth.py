"""Verify AWS Signature Version 4 on incoming requests with botocore's own signer.

The expected signature is recomputed from the request as received (raw path,
raw query, the headers the client says it signed, the body) with
`botocore.auth.SigV4Auth`, so the emulator and every botocore-based client
agree on canonicalisation by construction.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from harness.emulator.exceptions import (
    AccessDeniedException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

SIGNING_NAME = "medical-imaging"
ALGORITHM = "AWS4-HMAC-SHA256"
MAX_CLOCK_SKEW = timedelta(minutes=15)

_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class Principal:
    """Who signed a request: access key, and the actions it may call (None: all)."""

    access_key: str
    secret_key: str
    allowed_actions: frozenset[str] | None = None


@dataclass(frozen=True)
class SignedRequest:
    """The parts of an HTTP request that SigV4 covers, as they arrived."""

    method: str
    raw_path: str
    raw_query: str
    headers: dict[str, str]
    body: bytes


class _Verifier(SigV4Auth):  # type: ignore[misc]
    """SigV4Auth that signs exactly the headers the client listed, over the body received."""

    def __init__(self, credentials: Credentials, region: str, signed: list[str]) -> None:
        super().__init__(credentials, SIGNING_NAME, region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        headers = HTTPHeaders()
        for name in self._signed:
            headers[name] = request.headers.get(name, "")
        return headers

    def payload(self, request: AWSRequest) -> str:
        return hashlib.sha256(request.body or b"").hexdigest()


@dataclass
class CredentialStore:
    """The principals the emulator accepts, keyed by access key."""

    principals: dict[str, Principal]
    region: str | None = None
    """The region requests must be scoped to (the service's own); None accepts any."""

    @classmethod
    def from_pairs(cls, pairs: list[str], region: str | None = None) -> CredentialStore:
        """Build from `KEY:SECRET` or `KEY:SECRET:Action1,Action2` strings."""
        principals = {}
        for pair in pairs:
            parts = pair.split(":", 2)
            if len(parts) < 2 or not parts[0] or not parts[1]:
                raise ValueError(f"credentials must be KEY:SECRET[:Action,...], not {pair!r}")
            actions = frozenset(parts[2].split(",")) if len(parts) == 3 else None
            principals[parts[0]] = Principal(parts[0], parts[1], actions)
        return cls(principals, region)

    def authenticate(
        self,
        request: SignedRequest,
        operation: str | None,
        now: datetime | None = None,
        check_signature: bool = True,
        check_date: bool = True,
    ) -> Principal:
        """The principal that signed `request`, or the 403 error the service would give."""
        authorization = request.headers.get("authorization")
        if not authorization:
            raise MissingAuthenticationTokenException("Missing Authentication Token")
        match = _AUTHORIZATION.match(authorization.strip())
        if not match:
            raise InvalidSignatureException(
                "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' "
                f"parameters with the {ALGORITHM} algorithm"
            )
        scope = match["credential"].split("/")
        if len(scope) != 5 or scope[4] != "aws4_request":
            raise InvalidSignatureException(f"Credential scope is malformed: {match['credential']}")
        access_key, date, region, service, _ = scope
        principal = self.principals.get(access_key)
        if principal is None:
            raise UnrecognizedClientException(
                "The security token included in the request is invalid."
            )
        if service != SIGNING_NAME:
            raise InvalidSignatureException(
                f"Credential should be scoped to correct service: '{SIGNING_NAME}'."
            )
        if self.region is not None and region != self.region:
            raise InvalidSignatureException(
                f"Credential should be scoped to a valid region, not '{region}'."
            )
        amz_date = request.headers.get("x-amz-date", "")
        try:
            signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            raise InvalidSignatureException("X-Amz-Date header is missing or malformed") from None
        if not amz_date.startswith(date):
            raise InvalidSignatureException("Credential date does not match X-Amz-Date")
        now = now or datetime.now(UTC)
        if check_date and abs(now - signed_at) > MAX_CLOCK_SKEW:
            raise InvalidSignatureException(
                f"Signature expired: {amz_date} is now earlier or later than "
                f"{(now - MAX_CLOCK_SKEW):%Y%m%dT%H%M%SZ} - {(now + MAX_CLOCK_SKEW):%Y%m%dT%H%M%SZ}"
            )
        signed_headers = match["signed"].split(";")
        if "host" not in signed_headers:
            raise InvalidSignatureException("'Host' must be a signed header")
        content_sha = request.headers.get("x-amz-content-sha256")
        if (
            content_sha not in (None, "UNSIGNED-PAYLOAD")
            and content_sha != hashlib.sha256(request.body).hexdigest()
        ):
            raise InvalidSignatureException("X-Amz-Content-SHA256 does not match the body")

        expected = _expected_signature(request, principal, region, signed_headers, amz_date)
        if check_signature and not hmac.compare_digest(expected, match["signature"]):
            raise InvalidSignatureException(
                "The request signature we calculated does not match the signature you provided."
            )
        if (
            principal.allowed_actions is not None
            and operation is not None
            and operation not in principal.allowed_actions
        ):
            raise AccessDeniedException(
                f"User: {access_key} is not authorized to perform: medical-imaging:{operation}"
            )
        return principal


def _expected_signature(
    request: SignedRequest,
    principal: Principal,
    region: str,
    signed_headers: list[str],
    amz_date: str,
) -> str:
    host = request.headers.get("host", "")
    url = f"http://{host}{request.raw_path}" + (
        f"?{request.raw_query}" if request.raw_query else ""
    )
    aws_request = AWSRequest(
        method=request.method,
        url=url,
        data=request.body,
        headers={name: request.headers.get(name, "") for name in signed_headers},
    )
    aws_request.context["timestamp"] = amz_date
    credentials = Credentials(principal.access_key, principal.secret_key)
    verifier = _Verifier(credentials, region, signed_headers)
    canonical = verifier.canonical_request(aws_request)
    string_to_sign = verifier.string_to_sign(aws_request, canonical)
    signature: str = verifier.signature(string_to_sign, aws_request)
    return signature
