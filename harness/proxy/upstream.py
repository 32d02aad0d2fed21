"""Where the proxy sends what it judges, and how it signs it there.

Toward an endpoint named by URL (the emulator, a staging service) a request passes
with its own signature and its own Host header, so the endpoint verifies what the
application signed. Toward AWS (`aws`), or with `resign`, the proxy signs again
with the credentials of the standard AWS chain, as aws-sigv4-proxy does, and the
application's own keys never leave the machine. A request for an operation with a
host prefix goes to `runtime-medical-imaging.<region>.amazonaws.com`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from harness.aws.sigv4 import AwsCredentials, SigV4RequestsAuth
from harness.model import Operation, operations

AWS = "aws"
"""The `--upstream` value that names the service's own endpoints."""


@dataclass(frozen=True)
class Upstream:
    """The endpoint behind the proxy; `signer` set when the proxy signs again."""

    url: str | None
    """Base URL of a named endpoint; None for AWS's own endpoints."""
    region: str
    signer: SigV4RequestsAuth | None = None

    @classmethod
    def named(
        cls, upstream: str, region: str, resign_with: AwsCredentials | None = None
    ) -> Upstream:
        """`upstream` is a URL or `aws`; AWS's endpoints are always signed again."""
        signer = SigV4RequestsAuth(resign_with, region) if resign_with is not None else None
        if upstream == AWS:
            if signer is None:
                raise ValueError("--upstream aws signs with the proxy's credentials: none found")
            return cls(None, region, signer)
        return cls(upstream.rstrip("/"), region, signer)

    @property
    def authority(self) -> str:
        """The host (and port) an SDK names for this endpoint, without a host prefix."""
        if self.url is None:
            return f"medical-imaging.{self.region}.amazonaws.com"
        return urlsplit(self.url).netloc

    @property
    def base(self) -> str:
        """The URL the proxy's own requests (polls at the end) go to."""
        return self.url if self.url is not None else f"https://{self.authority}"

    def names(self, authority: str) -> bool:
        """Whether an absolute request target's `authority` is this endpoint's, prefixed
        or not: such requests are judged, any other passes through."""
        return any(authority == prefix + self.authority for prefix in _host_prefixes())

    def url_for(self, operation: Operation | None, target: str) -> str:
        """The URL a request for `operation` with path and query `target` goes to."""
        if self.url is not None:
            return self.url + target
        prefix = operation.host_prefix if operation is not None else ""
        return f"https://{prefix}{self.authority}{target}"


@cache
def _host_prefixes() -> frozenset[str]:
    """Every host prefix of the model, the empty one included."""
    return frozenset({"", *(operation.host_prefix for operation in operations().values())})
