"""Shared judgements: an expected error, a successful JSON answer."""

from __future__ import annotations

from typing import Any

from harness.aws.restjson import clean_error_code
from harness.checks import Source
from harness.server.context import SuiteContext
from harness.server.probe import Exchange
from harness.server.registry import declare

ERROR_SHAPE = declare(
    "ERROR-SHAPE",
    "errors",
    "An error answer carries X-Amzn-Errortype and a JSON body with a string `message`",
    Source.SMITHY,
    "restJson1 operation error serialization; every error shape requires `message` (model)",
)


def error_shape(context: SuiteContext, subject: str, exchange: Exchange) -> bool:
    """Record ERROR-SHAPE for an error answer."""
    body = exchange.json()
    ok = (
        exchange.error_type is not None
        and isinstance(body, dict)
        and isinstance(body.get("message") or body.get("Message"), str)
    )
    return context.verdict(
        ERROR_SHAPE.id,
        subject,
        ok,
        "error answer without X-Amzn-Errortype or without a JSON `message`",
        exchange,
    )


def expect_error(
    context: SuiteContext,
    check_id: str,
    subject: str,
    exchange: Exchange,
    status: int,
    codes: tuple[str, ...],
    note: str,
) -> bool:
    """Record `check_id`: the answer is `status` with one of `codes`; and its shape."""
    if exchange.status is None:
        context.error(check_id, subject, f"no answer: {exchange.error}", exchange)
        return False
    code = clean_error_code(exchange.error_type or "")
    ok = exchange.status == status and code in codes
    context.verdict(
        check_id,
        subject,
        ok,
        f"expected HTTP {status} {' or '.join(codes)}, got HTTP {exchange.status} "
        f"{code or '(no X-Amzn-Errortype)'}",
        exchange,
        note=note,
    )
    if exchange.status >= 400:
        error_shape(context, subject, exchange)
    return ok


def success_json(
    context: SuiteContext, check_id: str, subject: str, exchange: Exchange, note: str
) -> dict[str, Any] | None:
    """The JSON body of a 200 answer, or a recorded failure of `check_id`."""
    body = exchange.json()
    if exchange.status == 200 and isinstance(body, dict):
        return body
    if exchange.status is None:
        context.error(check_id, subject, f"no answer: {exchange.error}", exchange)
    else:
        context.verdict(
            check_id,
            subject,
            False,
            f"expected HTTP 200 with JSON, got HTTP {exchange.status}",
            exchange,
            note=note,
        )
    return None
