"""The schemathesis phase: examples, coverage, fuzzing and stateful links on the spec.

Built-in checks are configured for AWS reality instead of being switched off:
403, not 401, for missing authentication; 402 is a valid answer to a valid
request when a quota is reached; the List operations answer 400 to a
`nextToken` they never issued (NEXT-TOKEN-OPAQUE), which random positive data
cannot avoid. SigV4 signing is registered for the schema, so schemathesis's
deliberately unauthenticated cases stay unsigned.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import schemathesis
from schemathesis.engine import Status
from schemathesis.engine import events as engine_events

from harness.checks import Source, register
from harness.report.record import Evidence, Outcome
from harness.server.context import SuiteContext
from harness.server.probe import MAX_BODY_SHOWN, strip_signature

BUILTIN_CHECKS: dict[str, tuple[str, str, str, Source, str]] = {
    "not_a_server_error": (
        "NO-5XX-FOR-INPUT",
        "protocol",
        "No request, valid or invalid, is answered with a 5xx",
        Source.AWS_CONVENTION,
        'client faults are 4xx (Smithy @error("client"), senderFault in the model)',
    ),
    "status_code_conformance": (
        "STATUS-DOCUMENTED",
        "schema",
        "Every status answered is the success status or a modelled error status",
        Source.MODEL,
        "operation http.responseCode and errors[].error.httpStatusCode",
    ),
    "content_type_conformance": (
        "CONTENT-TYPE-JSON",
        "schema",
        "Responses carry Content-Type application/json",
        Source.SMITHY,
        "aws.protocols#restJson1, content types",
    ),
    "response_schema_conformance": (
        "RESPONSE-SCHEMA",
        "schema",
        "Response bodies match the model's output and error shapes (required members, "
        "types, bounds, enums, epoch-second timestamps)",
        Source.MODEL,
        "output and error shapes; restJson1 timestamp format",
    ),
    "response_headers_conformance": (
        "ERROR-TYPE-HEADER",
        "errors",
        "Error responses name their type in X-Amzn-Errortype",
        Source.SMITHY,
        "aws.protocols#restJson1, operation error serialization",
    ),
    "positive_data_acceptance": (
        "VALID-INPUT-ACCEPTED",
        "validation",
        "Requests that satisfy every model constraint are not rejected as invalid",
        Source.MODEL,
        "input shapes: required, length, range, pattern (full match), enum",
    ),
    "negative_data_rejection": (
        "INVALID-INPUT-REJECTED",
        "validation",
        "Requests that violate a model constraint are rejected with a 4xx",
        Source.MODEL,
        "input shapes: required, length, range, pattern (full match), enum",
    ),
    "ignored_auth": (
        "AUTH-ENFORCED",
        "auth",
        "Requests without valid authentication are refused",
        Source.AWS_CONVENTION,
        "SigV4 signing is required on every operation",
    ),
    "unsupported_method": (
        "METHOD-NOT-ALLOWED",
        "protocol",
        "A method a route does not bind is answered 405 with Allow",
        Source.HARNESS,
        "HTTP semantics (RFC 9110 15.5.6); the service documents no answer",
    ),
    "allow_header_conformance": (
        "ALLOW-HEADER",
        "protocol",
        "A 405 answer lists the allowed methods",
        Source.HARNESS,
        "HTTP semantics (RFC 9110 10.2.1)",
    ),
    "object_level_authorization": (
        "OBJECT-LEVEL-AUTHORIZATION",
        "auth",
        "A resource one principal created is not served to another principal",
        Source.AWS_CONVENTION,
        "resources belong to the calling account",
    ),
    "max_response_time": (
        "SCHEMATHESIS-RESPONSE-TIME",
        "service",
        "schemathesis's per-request response time limit holds",
        Source.HARNESS,
        "schemathesis max_response_time",
    ),
    "use_after_free": (
        "DELETED-RESOURCE-GONE",
        "lifecycle",
        "A deleted resource is not served as if it still existed",
        Source.HARNESS,
        "schemathesis stateful check",
    ),
    "ensure_resource_availability": (
        "CREATED-RESOURCE-AVAILABLE",
        "lifecycle",
        "A resource the API just created can be read back",
        Source.HARNESS,
        "schemathesis stateful check",
    ),
}

for _name, (_id, _family, _rule, _source, _reference) in BUILTIN_CHECKS.items():
    register(_id, _family, _rule, _source, _reference)

ENGINE_ERROR = register(
    "SCHEMATHESIS-RUN",
    "schema",
    "The schemathesis phase runs to its end against the target",
    Source.HARNESS,
    "a network error or a crash during generation stops the phase",
)


OTHER = register(
    "SCHEMATHESIS-OTHER",
    "schema",
    "A schemathesis check this harness version does not know by name passed",
    Source.HARNESS,
    "a newer schemathesis; the message names the check",
)


def _check_id(name: str) -> str:
    return BUILTIN_CHECKS[name][0] if name in BUILTIN_CHECKS else OTHER.id


def _config(context: SuiteContext) -> dict[str, Any]:
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
        "operations": [
            {
                "include-operation-id": ["ListDICOMImportJobs", "ListDatastores"],
                "checks": {
                    "positive_data_acceptance": {"expected-statuses": [*valid_statuses, 400]}
                },
            },
            {
                "include-operation-id": ["StartDICOMImportJob", "CreateDatastore"],
                "checks": {
                    "positive_data_acceptance": {"expected-statuses": [*valid_statuses, 402]}
                },
            },
        ],
    }


def _operation_ids(spec: dict[str, Any]) -> dict[str, str]:
    return {
        f"{method.upper()} {path}": operation["operationId"]
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    }


def _evidence(recorder: Any, case_id: str, code_sample: str, note: str) -> Evidence:
    interaction = recorder.interactions.get(case_id)
    response = interaction.response if interaction else None
    if response is None:
        return Evidence(curl=strip_signature(code_sample), note=note)
    body = response.content.decode("utf-8", "replace") if response.content else ""
    return Evidence(
        curl=strip_signature(code_sample),
        status=response.status_code,
        response_headers={k: ", ".join(v) for k, v in dict(response.headers).items()},
        response_body=body[:MAX_BODY_SHOWN],
        note=note,
    )


def run_schema_phase(context: SuiteContext, spec: dict[str, Any]) -> None:
    """Run schemathesis on `spec` against the target and record every check it made.

    schemathesis's own `max-time` makes it cycle its phases until the time is
    up, so the run's deadline is enforced here: past it, the engine is stopped
    and SCHEMATHESIS-RUN records that the phase was cut short.
    """
    config = schemathesis.Config.from_dict(_config(context))
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
        _consume(context, stream, operations)
    finally:
        timer.cancel()
    if context.remaining() <= 0:
        context.record.add(
            Outcome(ENGINE_ERROR.id, "schemathesis", "error", "the run's deadline passed")
        )
        return
    context.record.add(
        Outcome(ENGINE_ERROR.id, "schemathesis", "passed", duration=time.monotonic() - started)
    )


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


def _record_scenario(
    context: SuiteContext, event: engine_events.ScenarioFinished, operations: dict[str, str]
) -> None:
    recorder = event.recorder
    subject = operations.get(recorder.label, recorder.label)
    phase = event.phase.value if hasattr(event.phase, "value") else str(event.phase)
    for case_id, nodes in recorder.checks.items():
        for node in nodes:
            check_id = _check_id(node.name)
            if node.status == Status.SUCCESS or node.failure_info is None:
                context.record.add(Outcome(check_id, subject, "passed"))
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
                )
            )
