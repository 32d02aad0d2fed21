"""List pages: the default page size, and opaque, tamper-evident `nextToken` values.

A token carries the position after which the next page starts and the filter
it was issued for, signed with the emulator's secret. A token the emulator did
not issue, one altered by the caller, or one reused with another filter is a
ValidationException (harness decision NEXT-TOKEN-OPAQUE).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from harness.emulator.exceptions import ValidationException
from harness.emulator.faults import Switch, Switchboard

DEFAULT_PAGE_SIZE = 50


class TokenCodec:
    """Issues and reads `nextToken` values."""

    def __init__(self, secret: bytes, faults: Switchboard | None = None) -> None:
        self._secret = secret
        self._faults = faults or Switchboard()

    def _sign(self, payload: bytes) -> str:
        digest = hmac.new(self._secret, payload, hashlib.sha256).digest()[:18]
        return base64.urlsafe_b64encode(digest).decode()

    def issue(self, after: int | list[Any], scope: dict[str, Any]) -> str:
        """A token resuming after position `after` (a sequence number or a sort cursor)."""
        payload = json.dumps({"after": after, "scope": scope}, sort_keys=True).encode()
        return f"{base64.urlsafe_b64encode(payload).decode()}.{self._sign(payload)}"

    def _after(self, token: str, scope: dict[str, Any]) -> Any:
        invalid = ValidationException("Invalid nextToken: it was not issued for this request.")
        encoded, _, signature = token.partition(".")
        try:
            payload = base64.urlsafe_b64decode(encoded.encode())
        except ValueError:
            raise invalid from None
        if not hmac.compare_digest(signature, self._sign(payload)):
            raise invalid
        decoded = json.loads(payload)
        unchecked = self._faults.on(Switch.TOKEN_SCOPE_UNCHECKED)
        if decoded.get("scope") != scope and not unchecked:
            raise invalid
        return decoded.get("after")

    def read(self, token: str, scope: dict[str, Any]) -> int:
        """The position a token resumes after; ValidationException if it is not ours."""
        after = self._after(token, scope)
        if not isinstance(after, int):
            raise ValidationException("Invalid nextToken: it was not issued for this request.")
        return after

    def read_cursor(self, token: str, scope: dict[str, Any]) -> list[Any]:
        """The sort cursor a token resumes after; ValidationException if it is not ours."""
        after = self._after(token, scope)
        if not isinstance(after, list):
            raise ValidationException("Invalid nextToken: it was not issued for this request.")
        return after
