"""Idempotency tokens: every operation the model gives one, replayed, conflicting, concurrent.

The model marks `clientToken` as an idempotency token on StartDICOMImportJob
and CreateDatastore. Each such operation has a `TokenOperation` here saying
how the suite sends it, what it makes and how to list what exists;
`tests/server/checks/test_idempotency.py` fails when the model gains a token this
table does not exercise.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from harness.checks import Check, Source
from harness.server.context import SuiteContext
from harness.server.expect import expect_error, success_json
from harness.server.paging import walk, walk_pages
from harness.server.probe import Exchange
from harness.server.registry import Unit, server_check

UNIT = Unit.JOBS
PARALLEL = 8


@dataclass(frozen=True)
class TokenOperation:
    """How the suite exercises one operation that takes an idempotency token."""

    operation: str
    made_member: str
    """The answer member naming what the call made."""
    conflicting: dict[str, Any]
    """Parameters that differ from the first call's, for a conflicting replay."""
    send: Callable[[SuiteContext, str, dict[str, Any]], Exchange]
    existing: Callable[[SuiteContext], set[str]]


def _start_job(context: SuiteContext, token: str, changes: dict[str, Any]) -> Exchange:
    """A job on the empty prefix: it makes no new versions of the known set's image sets."""
    body = context.start_body(clientToken=token, inputS3Uri=context.env.empty_uri, **changes)
    return context.start_job(context.env.datastore_id, **body)


def _create_datastore(context: SuiteContext, token: str, changes: dict[str, Any]) -> Exchange:
    return context.create_datastore(
        **{"datastoreName": "ahi-contract-token", "clientToken": token, **changes}
    )


def _jobs(context: SuiteContext) -> set[str]:
    return set(walk(context, context.env.datastore_id, 50).ids)


def _datastores(context: SuiteContext) -> set[str]:
    return set(walk_pages(context, "ListDatastores", 50).ids)


TOKEN_OPERATIONS: dict[str, TokenOperation] = {
    "StartDICOMImportJob": TokenOperation(
        "StartDICOMImportJob",
        "jobId",
        {"jobName": "other-parameters"},
        _start_job,
        _jobs,
    ),
    "CreateDatastore": TokenOperation(
        "CreateDatastore",
        "datastoreId",
        {"datastoreName": "ahi-contract-other-parameters"},
        _create_datastore,
        _datastores,
    ),
}


def _made(exchange: Exchange, member: str) -> str | None:
    body = exchange.json() if exchange.status == 200 else None
    made = body.get(member) if isinstance(body, dict) else None
    return made if isinstance(made, str) else None


def _first_call(
    context: SuiteContext, check: Check, case: TokenOperation, token: str
) -> tuple[Exchange, str | None] | None:
    """The first call with `token`, and the id of what the run's model says it made; None
    when it failed (recorded under `check`)."""
    first = case.send(context, token, {})
    if success_json(context, check.id, case.operation, first, "first call") is None:
        return None
    made = context.model.made_with(case.operation, token)
    return first, None if made is None else made.id


@server_check(
    "IDEMPOTENT-REPLAY",
    "idempotency",
    "An operation with an idempotency token, replayed with the same token and parameters, "
    "returns what the first call made and makes nothing more",
    Source.MODEL,
    "clientToken is an idempotencyToken on StartDICOMImportJob and CreateDatastore",
    unit=UNIT,
)
def replay(context: SuiteContext, check: Check) -> None:
    for case in TOKEN_OPERATIONS.values():
        token = uuid.uuid4().hex
        called = _first_call(context, check, case, token)
        if called is None:
            continue
        first, made = called
        before = case.existing(context)
        again = case.send(context, token, {})
        replayed = _made(again, case.made_member)
        appeared = case.existing(context) - before
        context.verdict(
            check.id,
            case.operation,
            replayed == made is not None and not appeared,
            f"the replay answered {case.made_member} {replayed} (first {made}); "
            f"appeared since: {sorted(appeared)}",
            first,
            again,
            note="the same clientToken and parameters, sent twice",
        )


@server_check(
    "IDEMPOTENT-CONFLICT",
    "idempotency",
    "The same idempotency token with other parameters is a 409 ConflictException",
    Source.HARNESS,
    "decision IDEMPOTENCY-CONFLICT, after the AWS-wide convention",
    unit=UNIT,
)
def conflict(context: SuiteContext, check: Check) -> None:
    for case in TOKEN_OPERATIONS.values():
        token = uuid.uuid4().hex
        if _first_call(context, check, case, token) is None:
            continue
        refused = case.send(context, token, case.conflicting)
        expect_error(
            context,
            check.id,
            case.operation,
            refused,
            409,
            ("ConflictException",),
            f"the first call's clientToken with {case.conflicting}",
        )


@server_check(
    "IDEMPOTENT-CONCURRENT",
    "idempotency",
    "Parallel identical calls with one idempotency token make one resource, and every call "
    "answers it",
    Source.MODEL,
    "idempotencyToken semantics hold under concurrency",
    unit=UNIT,
)
def concurrent(context: SuiteContext, check: Check) -> None:
    for case in TOKEN_OPERATIONS.values():
        shared = uuid.uuid4().hex
        before = case.existing(context)
        with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
            calls = [pool.submit(case.send, context, shared, {}) for _ in range(PARALLEL)]
            answers = [call.result() for call in calls]
        appeared = case.existing(context) - before
        made = {_made(answer, case.made_member) for answer in answers} - {None}
        context.verdict(
            check.id,
            case.operation,
            all(answer.status == 200 for answer in answers)
            and len(made) == 1
            and len(appeared) == 1,
            f"{PARALLEL} parallel calls answered {sorted(str(m) for m in made)} "
            f"(statuses {sorted({a.status or 0 for a in answers})}); appeared: {sorted(appeared)}",
            *answers[:3],
            note=f"{PARALLEL} parallel {case.operation} calls with one clientToken",
        )
