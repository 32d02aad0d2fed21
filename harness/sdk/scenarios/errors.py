"""Error mapping: every modelled error of every operation, sent every way restJson1 allows."""

from __future__ import annotations

from typing import Any, Literal

from harness.checks import Source
from harness.model import IN_SCOPE_OPERATIONS, operations
from harness.sdk.scenarios.base import Add, Expect, Scenario, reply
from harness.sdk.scenarios.samples import CORAL_URI, NAMESPACE, SAMPLE_INPUT

ErrorVariant = Literal[
    "HEADER",
    "URI-SUFFIX",
    "OWN-NAMESPACE",
    "OTHER-NAMESPACE",
    "BODY-TYPE",
    "BODY-CODE",
    "BODY-NAMESPACE-URI",
    "HEADER-WINS",
    "MESSAGE-CAPITALISED",
]
"""The ways a modelled error is sent, one scenario each per modelled error."""
GenericError = Literal["UNKNOWN-CODE", "5XX-EMPTY-BODY"]
"""The errors every operation is sent besides its modelled ones."""


def error_id(variant: ErrorVariant, operation: str, error: str) -> str:
    """The ID of the scenario sending `operation`'s modelled `error` the `variant` way."""
    return f"SDK-ERR-{variant}-{operation}-{error}"


def generic_error_id(kind: GenericError, operation: str) -> str:
    """The ID of the scenario answering `operation` with the `kind` error."""
    return f"SDK-ERR-{kind}-{operation}"


def error_ids(*variants: ErrorVariant) -> set[str]:
    """The IDs of these variants, for every modelled error of every operation."""
    return {
        error_id(variant, operation, error.name)
        for variant in variants
        for operation in IN_SCOPE_OPERATIONS
        for error in operations()[operation].errors
    }


# variant -> (rule, source, how the error is sent); `{e}` is the error's name.
ERROR_VARIANTS: dict[ErrorVariant, tuple[str, Source, Any]] = {
    "HEADER": (
        "named in X-Amzn-Errortype maps to the modeled error with its message",
        Source.SMITHY,
        lambda e: ({"message": "m"}, e),
    ),
    "URI-SUFFIX": (
        "with a `:URI` suffix on the header maps to the modeled error",
        Source.SMITHY,
        lambda e: ({"message": "m"}, f"{e}:{CORAL_URI}"),
    ),
    "OWN-NAMESPACE": (
        "with the service's `namespace#` prefix maps to the modeled error",
        Source.SMITHY,
        lambda e: ({"message": "m"}, f"{NAMESPACE}#{e}"),
    ),
    "OTHER-NAMESPACE": (
        "with another `namespace#` prefix maps to the modeled error",
        Source.SMITHY,
        lambda e: ({"message": "m"}, f"aws.protocoltests.restjson#{e}"),
    ),
    "BODY-TYPE": (
        "named only in body `__type` maps to the modeled error",
        Source.SMITHY,
        lambda e: ({"__type": f"{NAMESPACE}#{e}", "message": "m"}, None),
    ),
    "BODY-CODE": (
        "named only in body `code` maps to the modeled error",
        Source.SMITHY,
        lambda e: ({"code": e, "message": "m"}, None),
    ),
    "BODY-NAMESPACE-URI": (
        "named in body `__type` with namespace and URI maps to the modeled error",
        Source.SMITHY,
        lambda e: ({"__type": f"{NAMESPACE}#{e}:{CORAL_URI}", "message": "m"}, None),
    ),
    "HEADER-WINS": (
        "named in the header while the body names another error: the header wins "
        "(derived: the header is checked first)",
        Source.SMITHY,
        lambda e: ({"__type": "SomeOtherException", "message": "m"}, e),
    ),
    "MESSAGE-CAPITALISED": (
        "with `Message` instead of `message` keeps the message",
        Source.AWS_CONVENTION,
        lambda e: ({"Message": "m"}, e),
    ),
}


def _errors(add: Add) -> None:
    reference = "Smithy aws.protocols#restJson1, operation error serialization; model errors"
    for operation in IN_SCOPE_OPERATIONS:
        params = SAMPLE_INPUT[operation]
        for error in operations()[operation].errors:
            name, status = error.name, error.status
            for variant, (rule, source, shape_of) in ERROR_VARIANTS.items():
                body, header = shape_of(name)
                add(
                    Scenario(
                        id=error_id(variant, operation, name),
                        family="sdk-errors",
                        rule=f"{operation}: {name} {rule}",
                        source=source,
                        reference=reference,
                        operation=operation,
                        params=params,
                        replies=(reply(status, body, header),),
                        expect=Expect(
                            outcome="service",
                            code=name,
                            modeled=True,
                            message="m",
                            http_status=status,
                        ),
                        max_attempts=1,
                    )
                )
        add(
            Scenario(
                id=generic_error_id("UNKNOWN-CODE", operation),
                family="sdk-errors",
                rule=f"{operation}: an unknown error code gives a generic error that keeps the "
                "code",
                source=Source.AWS_CONVENTION,
                reference=reference,
                operation=operation,
                params=params,
                replies=(reply(400, {"message": "m"}, "BrandNewException"),),
                expect=Expect(
                    outcome="service",
                    code="BrandNewException",
                    modeled=False,
                    message="m",
                    http_status=400,
                ),
                max_attempts=1,
            )
        )
        add(
            Scenario(
                id=generic_error_id("5XX-EMPTY-BODY", operation),
                family="sdk-errors",
                rule=f"{operation}: a 500 with the header and no body still maps to the named "
                "error "
                "(Smithy test RestJsonFooErrorUsingXAmznErrorType)",
                source=Source.SMITHY,
                reference=reference,
                operation=operation,
                params=params,
                replies=(reply(500, None, "InternalServerException"),),
                expect=Expect(
                    outcome="service",
                    code="InternalServerException",
                    modeled=True,
                    message=None,
                    http_status=500,
                ),
                max_attempts=1,
            )
        )


def scenarios() -> list[Scenario]:
    """The sdk-errors family."""
    found: list[Scenario] = []
    _errors(found.append)
    return found
