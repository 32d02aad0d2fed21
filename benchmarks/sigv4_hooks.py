"""The only addition plain schemathesis needs here: SigV4 signing, registered globally."""

from __future__ import annotations

import schemathesis

from harness.aws.sigv4 import AwsCredentials, SigV4RequestsAuth

schemathesis.auth.set_from_requests(SigV4RequestsAuth(AwsCredentials("test", "test"), "us-east-1"))  # type: ignore[attr-defined]
