"""SigV4 signing for `requests`, with botocore's signer.

Signs the *prepared* request (method, full URL with query, body), so that what
is signed is exactly what is sent; schemathesis registers it globally.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SIGNING_NAME = "medical-imaging"


@dataclass(frozen=True)
class AwsCredentials:
    """An access key pair, and a session token when the credentials are temporary."""

    access_key: str
    secret_key: str
    session_token: str | None = None


class SigV4RequestsAuth(requests.auth.AuthBase):
    """`requests` auth that signs each prepared request for `medical-imaging`."""

    def __init__(
        self,
        credentials: AwsCredentials,
        region: str,
        clock: Callable[[], datetime] | None = None,
        signing_name: str = SIGNING_NAME,
    ) -> None:
        self.credentials = credentials
        self.region = region
        self.clock = clock or (lambda: datetime.now(UTC))
        self.signing_name = signing_name

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in ("authorization", "x-amz-date", "x-amz-security-token")
        }
        aws_request = AWSRequest(method=request.method, url=request.url, data=body, headers=headers)
        signer = SigV4Auth(
            Credentials(
                self.credentials.access_key,
                self.credentials.secret_key,
                self.credentials.session_token,
            ),
            self.signing_name,
            self.region,
        )
        # SigV4Auth.add_auth, with the signing time taken from `clock`.
        aws_request.context["timestamp"] = self.clock().strftime("%Y%m%dT%H%M%SZ")
        signer._modify_request_before_signing(aws_request)
        string_to_sign = signer.string_to_sign(aws_request, signer.canonical_request(aws_request))
        signer._inject_signature_to_request(
            aws_request, signer.signature(string_to_sign, aws_request)
        )
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            if name in aws_request.headers:
                request.headers[name] = aws_request.headers[name]
        return request
