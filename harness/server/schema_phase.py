"""The schemathesis phase: examples, coverage, fuzzing and stateful links on the spec.

Built-in checks are configured for AWS reality instead of being switched off:
403, not 401, for missing authentication; 402 is a valid answer to a valid
request when a quota is reached (QUOTA-402); the paginated operations answer
400 to a `nextToken` they never issued (NEXT-TOKEN-OPAQUE), and search, update
and copy answer 400 to schema-valid content that breaks rules no schema holds
(CONTENT-RULES), which random positive data cannot avoid; 404 (a random image
set id) and 409 (a write on a LOCKED image set, IMAGE-SET-CONFLICT) are in the
default accepted statuses. `use_after_free` is off for ListTagsForResource: the
DELETE on its path (UntagResource) removes tags, not the resource.

Blob answers (BLOB-RESPONSES) are raw bytes, which `response_schema_conformance`
would read as JSON: for those operations `blob_response_conformance` takes its
place, and the documented headers of a blob answer report as BLOB-HEADERS.

SigV4 signing is registered for the schema, so schemathesis's deliberately
unauthenticated cases stay unsigned. Requests go to the endpoint as given,
without the `runtime-` host prefix (HOST-PREFIX): the spec's operation-level
servers are not used once a base URL is set.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import schemathesis
from schemathesis import CheckContext, Response
from schemathesis.engine import Status
from schemathesis.engine import events as engine_events
from schemathesis.generation.case import Case

from harness.checks import Check, Source
from harness.model import operations
from harness.report.record import Evidence, Outcome
from harness.server.cleanup import Sweeper, keep_requested
from harness.server.context import SuiteContext
from harness.server.probe import (
    MAX_BODY_SHOWN,
    exchange_from_schemathesis,
    schemathesis_exchange_id,
    strip_signature,
)
from harness.server.registry import CATALOGUE, Unit, server_step

BUILTIN_CHECKS: dict[str, Check] = {
    "not_a_server_error": CATALOGUE.register(
        "NO-5XX-FOR-INPUT",
        "protocol",
        "No request, valid or invalid, is answered with a 5xx",
        Source.AWS_CONVENTION,
        'client faults are 4xx (Smithy @error("client"), senderFault in the model)',
    ),
    "status_code_conformance": CATALOGUE.register(
        "STATUS-DOCUMENTED",
        "schema",
        "Every status answered is the success status or a modelled error status",
        Source.MODEL,
        "operation http.responseCode and errors[].error.httpStatusCode",
    ),
    "content_type_conformance": CATALOGUE.register(
        "CONTENT-TYPE-JSON",
        "schema",
        "Responses carry Content-Type application/json; a blob answer, a media type the spec "
        "lists for it",
        Source.SMITHY,
        "aws.protocols#restJson1, content types; BLOB-RESPONSES for blob payloads",
    ),
    "response_schema_conformance": CATALOGUE.register(
        "RESPONSE-SCHEMA",
        "schema",
        "Response bodies match the model's output and error shapes (required members, "
        "types, bounds, enums, epoch-second timestamps); a blob answer is non-empty bytes",
        Source.MODEL,
        "output and error shapes; restJson1 timestamp format; streaming blob payloads",
    ),
    "response_headers_conformance": CATALOGUE.register(
        "ERROR-TYPE-HEADER",
        "errors",
        "Error responses name their type in X-Amzn-Errortype",
        Source.SMITHY,
        "aws.protocols#restJson1, operation error serialization",
    ),
    "positive_data_acceptance": CATALOGUE.register(
        "VALID-INPUT-ACCEPTED",
        "validation",
        "Requests that satisfy every model constraint are not rejected as invalid",
        Source.MODEL,
        "input shapes: required, length, range, pattern (full match), enum",
    ),
    "negative_data_rejection": CATALOGUE.register(
        "INVALID-INPUT-REJECTED",
        "validation",
        "Requests that violate a model constraint are rejected with a 4xx",
        Source.MODEL,
        "input shapes: required, length, range, pattern (full match), enum",
    ),
    "ignored_auth": CATALOGUE.register(
        "AUTH-ENFORCED",
        "auth",
        "Requests without valid authentication are refused",
        Source.AWS_CONVENTION,
        "SigV4 signing is required on every operation",
    ),
    "unsupported_method": CATALOGUE.register(
        "METHOD-NOT-ALLOWED",
        "protocol",
        "A method a route does not bind is answered 405 with Allow",
        Source.HARNESS,
        "HTTP semantics (RFC 9110 15.5.6); the service documents no answer",
    ),
    "allow_header_conformance": CATALOGUE.register(
        "ALLOW-HEADER",
        "protocol",
        "A 405 answer lists the allowed methods",
        Source.HARNESS,
        "HTTP semantics (RFC 9110 10.2.1)",
    ),
    "object_level_authorization": CATALOGUE.register(
        "OBJECT-LEVEL-AUTHORIZATION",
        "auth",
        "A resource one principal created is not served to another principal",
        Source.AWS_CONVENTION,
        "resources belong to the calling account",
    ),
    "max_response_time": CATALOGUE.register(
        "SCHEMATHESIS-RESPONSE-TIME",
        "service",
        "schemathesis's per-request response time limit holds",
        Source.HARNESS,
        "schemathesis max_response_time",
    ),
    "use_after_free": CATALOGUE.register(
        "DELETED-RESOURCE-GONE",
        "lifecycle",
        "A deleted resource is not served as if it still existed",
        Source.HARNESS,
        "schemathesis stateful check",
    ),
    "ensure_resource_availability": CATALOGUE.register(
        "CREATED-RESOURCE-AVAILABLE",
        "lifecycle",
        "A resource the API just created can be read back",
        Source.HARNESS,
        "schemathesis stateful check",
    ),
}

ENGINE_ERROR = CATALOGUE.register(
    "SCHEMATHESIS-RUN",
    "schema",
    "The schemathesis phase runs to its end against the target",
    Source.HARNESS,
    "a network error or a crash during generation stops the phase",
)


OTHER = CATALOGUE.register(
    "SCHEMATHESIS-OTHER",
    "schema",
    "A schemathesis check this harness version does not know by name passed",
    Source.HARNESS,
    "a newer schemathesis; the message names the check",
)


BLOB_HEADERS = CATALOGUE.register(
    "BLOB-HEADERS",
    "schema",
    "A blob answer carries the headers bound beside it: Content-Type, and for image set "
    "metadata Content-Encoding: gzip",
    Source.HARNESS,
    "BLOB-RESPONSES; model output members bound to headers",
)


BLOB_CHECK = "blob_response_conformance"
CHECK_ALIASES = {BLOB_CHECK: "response_schema_conformance"}
"""Harness checks that stand in for a built-in one and report under its ID."""

TAG_READS = ("ListTagsForResource",)
"""GETs on a path whose DELETE (UntagResource) removes tags, not the resource: a 200
after a successful DELETE on `/tags/{resourceArn}` is not a use after free."""

CONTENT_RULE_OPERATIONS = ("SearchImageSets", "UpdateImageSetMetadata", "CopyImageSet")
"""Operations whose schema-valid input may break rules no schema holds (CONTENT-RULES)."""


def _is_success(response: Response) -> bool:
    return 200 <= response.status_code < 300


@schemathesis.check
def blob_response_conformance(
    ctx: CheckContext, response: Response, case: Case[Any]
) -> bool | None:
    """`response_schema_conformance` for operations whose success body is a blob.

    Errors are JSON and are validated as usual. A success answer is raw bytes: a
    frame, or the gzip-compressed metadata document (which the HTTP client has
    already inflated), so it is not read as JSON; it must not be empty. Its
    Content-Type and Content-Encoding are judged by the content-type and header checks.
    """
    if not _is_success(response):
        validated: bool | None = case.operation.validate_response(response, case=case)
        return validated
    if not response.content:
        raise AssertionError(
            f"{case.operation.label} answered {response.status_code} with an empty body; "
            "the blob payload is required"
        )
    return None


def _check_id(name: str, operation: str = "", status: int | None = None) -> str:
    """The harness check ID a schemathesis check reports under.

    `response_headers_conformance` judges the headers a response documents: on a
    blob answer those are Content-Type and Content-Encoding, BLOB-HEADERS.
    """
    if (
        name == "response_headers_conformance"
        and status is not None
        and 200 <= status < 300
        and operation in operations()
        and operations()[operation].blob_output
    ):
        return BLOB_HEADERS.id
    name = CHECK_ALIASES.get(name, name)
    return BUILTIN_CHECKS[name].id if name in BUILTIN_CHECKS else OTHER.id


def _operation_checks(spec: dict[str, Any], valid_statuses: list[str]) -> list[dict[str, Any]]:
    """Per-operation check settings, derived from the operation table and the decisions."""
    entries: list[dict[str, Any]] = []
    for name in _operation_ids(spec).values():
        route = operations().get(name)
        if route is None:
            continue
        extra: list[int] = []
        if route.paginator is not None or name in CONTENT_RULE_OPERATIONS:
            extra.append(400)  # NEXT-TOKEN-OPAQUE, CONTENT-RULES
        if any(error.status == 402 for error in route.errors):
            extra.append(402)  # QUOTA-402
        checks: dict[str, Any] = {}
        if extra:
            checks["positive_data_acceptance"] = {"expected-statuses": [*valid_statuses, *extra]}
        # One of the two response-body checks per operation. A custom check cannot be
        # disabled globally and enabled per operation (schemathesis cannot tell an explicit
        # `enabled: true` from the default), so each operation says which one it runs.
        replaced = "response_schema_conformance" if route.blob_output else BLOB_CHECK
        checks[replaced] = {"enabled": False}
        if name in TAG_READS:
            checks["use_after_free"] = {"enabled": False}
        entries.append({"include-operation-id": [name], "checks": checks})
    return entries


def _config(context: SuiteContext, spec: dict[str, Any]) -> dict[str, Any]:
    profile = context.profile
    valid_statuses = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
    return {
        "base-url": context.target.endpoint,
        "seed": context.seed,
        "request-timeout": context.probe.timeout,
        "workers": 1,
        "suppress-health-check": ["all"],
        "output": {"sanitization": {"enabled": False}},
        "generation": {"max-examples": profile.max_examples, "mode": "all"},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": True, "max-steps": profile.stateful_steps},
        },
        "checks": {
            # It expects 401 for a missing Authorization header, whatever it is configured
            # with; AWS answers 403. AUTH-UNSIGNED replaces it on every operation.
            "missing_required_header": {"enabled": False},
        },
        "operations": _operation_checks(spec, valid_statuses),
    }


def _operation_ids(spec: dict[str, Any]) -> dict[str, str]:
    return {
        f"{method.upper()} {path}": operation["operationId"]
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    }


def _shown(content: bytes, headers: dict[str, Any]) -> str:
    """A body as evidence shows it: text as text, a binary answer by its size and type."""
    types = [v for k, values in headers.items() if k.lower() == "content-type" for v in values]
    media_type = types[0].split(";")[0].strip().lower() if types else ""
    if not content or media_type.endswith("json") or media_type.startswith("text/"):
        return content.decode("utf-8", "replace")
    return f"<{len(content)} bytes of {media_type or 'an undeclared type'}>"


def _evidence(recorder: Any, case_id: str, code_sample: str, note: str) -> Evidence:
    interaction = recorder.interactions.get(case_id)
    response = interaction.response if interaction else None
    exchange = schemathesis_exchange_id(case_id)
    if response is None:
        return Evidence(curl=strip_signature(code_sample), note=note, exchange=exchange)
    body = _shown(response.content or b"", response.headers)
    return Evidence(
        curl=strip_signature(code_sample),
        status=response.status_code,
        response_headers={k: ", ".join(v) for k, v in dict(response.headers).items()},
        response_body=body[:MAX_BODY_SHOWN],
        note=note,
        exchange=exchange,
    )


@server_step(
    "schemathesis",
    unit=Unit.SCHEMATHESIS,
    judges=(*BUILTIN_CHECKS.values(), ENGINE_ERROR, OTHER, BLOB_HEADERS),
)
def run_schema_phase(context: SuiteContext) -> None:
    """Run schemathesis on the run's spec against the target and record every check it made.

    schemathesis's own `max-time` makes it cycle its phases until the time is
    up, so the run's deadline is enforced here: past it, the engine is stopped
    and SCHEMATHESIS-RUN records that the phase was cut short.
    """
    spec = context.spec
    config = schemathesis.Config.from_dict(_config(context, spec))
    schema = schemathesis.openapi.from_dict(spec, config=config)
    schema.auth.set_from_requests(context.probe.auth)
    operations = _operation_ids(spec)
    started = time.monotonic()
    stream = schemathesis.engine.from_schema(schema).execute()
    # The engine checks its stop flag between test cases; a phase can run long between events.
    timer = threading.Timer(max(0.0, context.remaining()), stream.stop)
    timer.daemon = True
    timer.start()
    try:
        with _interrupts_kept(stream.stop) as interrupted:
            _consume(context, stream, operations)
        if interrupted:
            raise interrupted[0]  # schemathesis stops on one, but does not pass it on
    finally:
        timer.cancel()
        _remove_datastores_made(context)
    if context.remaining() <= 0:
        context.record.add(
            Outcome(ENGINE_ERROR.id, "schemathesis", "error", "the run's deadline passed")
        )
        return
    context.record.add(
        Outcome(ENGINE_ERROR.id, "schemathesis", "passed", duration=time.monotonic() - started)
    )


@contextmanager
def _interrupts_kept(stop: Callable[[], None]) -> Iterator[list[BaseException]]:
    """While the block runs, the Python handlers of SIGINT, SIGTERM and SIGUSR1 (a pool
    worker's stop) run as before, and what they raise (a KeyboardInterrupt) is kept in the
    list yielded, to be raised again once the engine has stopped. `stop` (the engine's
    stream) is called first: schemathesis catches the KeyboardInterrupt, and one that lands
    while a phase joins its threads ends only that phase, not the run."""
    noted: list[BaseException] = []
    if threading.current_thread() is not threading.main_thread():
        yield noted
        return
    before: dict[int, Any] = {
        number: signal.getsignal(number)
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1)
        if callable(signal.getsignal(number))
    }

    def note(number: int, frame: FrameType | None) -> None:
        try:
            before[number](number, frame)
        except BaseException as interrupt:
            noted.append(interrupt)
            stop()
            raise

    for number in before:
        signal.signal(number, note)
    try:
        yield noted
    finally:
        for number, previous in before.items():
            signal.signal(number, previous)


def _consume(context: SuiteContext, stream: Any, operations: dict[str, str]) -> None:
    for event in stream:
        if context.remaining() <= 0:
            stream.stop()
            return
        if isinstance(event, engine_events.ScenarioFinished):
            _record_scenario(context, event, operations)
        elif isinstance(event, engine_events.NonFatalError):
            context.record.add(
                Outcome(
                    ENGINE_ERROR.id,
                    operations.get(event.label, event.label),
                    "error",
                    event.info.format()[:2000] if hasattr(event.info, "format") else str(event),
                )
            )
        elif isinstance(event, engine_events.FatalError):
            context.record.add(
                Outcome(ENGINE_ERROR.id, "schemathesis", "error", str(event.exception)[:2000])
            )


def _remove_datastores_made(context: SuiteContext) -> None:
    """Delete, as soon as the phase ends, the data stores its cases made (tear-down tries
    again), so that they do not count against the account's quota for the rest of the run."""
    if context.target.disposable or keep_requested():
        return
    deadline, context.probe.deadline = context.probe.deadline, None  # past the run's too
    try:
        Sweeper(context.call, bound=30.0).sweep(context.unobserved.datastores, until_gone=True)
    finally:
        context.probe.deadline = deadline


def _record_scenario(
    context: SuiteContext, event: engine_events.ScenarioFinished, operations: dict[str, str]
) -> None:
    recorder = event.recorder
    subject = operations.get(recorder.label, recorder.label)
    exchanges = [
        exchange_from_schemathesis(case_id, interaction, "schemathesis")
        for case_id, interaction in recorder.interactions.items()
    ]
    context.probe.adopt(exchanges)
    for exchange in exchanges:
        context.unobserved.observe(exchange)
    phase = event.phase.value if hasattr(event.phase, "value") else str(event.phase)
    for case_id, nodes in recorder.checks.items():
        interaction = recorder.interactions.get(case_id)
        response = interaction.response if interaction else None
        status = response.status_code if response is not None else None
        share = response.elapsed / len(nodes) if response is not None and nodes else 0.0
        for node in nodes:
            check_id = _check_id(node.name, subject, status)
            if node.status == Status.SUCCESS or node.failure_info is None:
                context.record.add(Outcome(check_id, subject, "passed", duration=share))
                continue
            failure = node.failure_info.failure
            note = f"{phase} phase, {node.name}: {failure.title}\n{failure.message}".strip()
            context.record.add(
                Outcome(
                    check_id,
                    subject,
                    "failed",
                    failure.title,
                    [
                        _evidence(recorder, case_id, node.failure_info.code_sample, note),
                        Evidence(note=f"replay with --seed {context.seed}"),
                    ],
                    duration=share,
                )
            )
