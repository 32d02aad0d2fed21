"""What the reference client raises."""

from __future__ import annotations


class ServiceError(Exception):
    """The service answered with an error.

    `code` is resolved by the restJson1 rules (`harness.aws.restjson`); `modeled`
    says whether the operation's model lists that error.
    """

    def __init__(self, code: str, message: str, http_status: int, modeled: bool) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status
        self.modeled = modeled


class ClientSideError(Exception):
    """No service answer: connection refused, timeout, or input the client refuses."""
