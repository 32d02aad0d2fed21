"""restJson1 rules the harness applies on both sides, as named constants and one parser.

Error identification (Smithy `aws.protocols#restJson1`, "Operation error
serialization"): the type comes from the `X-Amzn-Errortype` header, else from a
body member `code`, else from `__type`. A value is cleaned by keeping what
stands before the first `:` and then what stands after the `#`, so
`FooError`, `FooError:http://internal.amazon.com/...`,
`aws.protocoltests.restjson#FooError` and the namespace-and-URI form all name
`FooError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ERROR_TYPE_HEADER = "X-Amzn-Errortype"
BODY_CODE_MEMBERS = ("code", "__type")


def clean_error_code(value: str) -> str:
    """`ns#Name:uri` → `Name`."""
    return value.split(":", 1)[0].rsplit("#", 1)[-1].strip()


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """A header by case-insensitive name."""
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def resolve_error_code(headers: Mapping[str, str], body: Any) -> str | None:
    """The error's type: header first, then the body's `code`, then `__type`; cleaned."""
    header = header_value(headers, ERROR_TYPE_HEADER)
    if header:
        return clean_error_code(header)
    if isinstance(body, dict):
        for member in BODY_CODE_MEMBERS:
            value = body.get(member)
            if isinstance(value, str) and value:
                return clean_error_code(value)
    return None
