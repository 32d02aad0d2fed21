"""Shared judgements: an expected error, a successful JSON answer, and the checks judged on
each answer a step expects."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from harness.aws.restjson import clean_error_code
from harness.checks import Check
from harness.server.context import SuiteContext
from harness.server.observation import Observation
from harness.server.probe import Exchange
from harness.server.registry import EXCHANGE


def judge_exchange(context: SuiteContext, subject: str, exchange: Exchange) -> None:
    """Hand an answer a step expects to every check judged on each exchange."""
    if exchange.status is not None:
        for filed in EXCHANGE:
            filed(context, subject, exchange)


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
    judge_exchange(context, subject, exchange)
    return ok


def success_json(
    context: SuiteContext, check_id: str, subject: str, exchange: Exchange, note: str
) -> dict[str, Any] | None:
    """The JSON body of a 200 answer, or a recorded failure of `check_id`."""
    judge_exchange(context, subject, exchange)
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


SHOWN = 3
"""Problems and exchanges a verdict over many answers shows."""


def judge_answers(
    context: SuiteContext,
    check: Check,
    answers: Iterable[Observation],
    rule: Callable[[Observation], list[str] | None],
    note: str | None = None,
) -> None:
    """Judge each answer by `rule` (its problems; None: the rule says nothing of it) and
    record one verdict per operation judged, with the exchanges that show its problems."""
    found: dict[str, list[tuple[str, Exchange]]] = defaultdict(list)
    for seen in answers:
        said = rule(seen)
        if said is not None:
            found[seen.operation] += [(problem, seen.exchange) for problem in said]
    for operation, shown in sorted(found.items()):
        context.verdict(
            check.id,
            operation,
            not shown,
            f"{len(shown)} problems, e.g. "
            + "; ".join(sorted({problem for problem, _ in shown})[:SHOWN]),
            *list({id(e): e for _, e in shown}.values())[:SHOWN],
            note=note,
        )
