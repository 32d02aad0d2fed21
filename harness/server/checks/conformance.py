"""Every successful answer the behaviour checks received, validated against the spec.

schemathesis validates what it sends itself, but it rarely reaches a 200 from
StartDICOMImportJob (its data store ids are random); the behaviour checks reach
every operation's success path, so their answers are validated here too,
under the same check ID.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator

from harness.server.context import SuiteContext
from harness.server.probe import Exchange
from harness.server.schema_phase import BUILTIN_CHECKS

RESPONSE_SCHEMA_ID = BUILTIN_CHECKS["response_schema_conformance"][0]


class SpecResponses:
    """Finds an exchange's operation by method and path, and its success schema."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.routes: list[tuple[str, re.Pattern[str], str, dict[str, Any]]] = []
        for path, methods in spec["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$")
            for method, operation in methods.items():
                success = operation["responses"].get("200", {})
                schema = success.get("content", {}).get("application/json", {}).get("schema")
                if schema is not None:
                    document = {**schema, "components": spec["components"]}
                    self.routes.append(
                        (method.upper(), pattern, operation["operationId"], document)
                    )

    def match(self, exchange: Exchange) -> tuple[str, dict[str, Any]] | None:
        path = urlsplit(exchange.url).path
        for method, pattern, operation_id, schema in self.routes:
            if method == exchange.method and pattern.match(path):
                return operation_id, schema
        return None


def validate_successes(context: SuiteContext, spec: dict[str, Any]) -> None:
    responses = SpecResponses(spec)
    for exchange in list(context.probe.history):
        if exchange.status is None or not 200 <= exchange.status < 300:
            continue
        found = responses.match(exchange)
        if found is None:
            continue
        operation_id, schema = found
        body = exchange.json()
        errors = sorted(
            Draft202012Validator(schema).iter_errors(body), key=lambda error: list(error.path)
        )
        context.verdict(
            RESPONSE_SCHEMA_ID,
            operation_id,
            body is not None and not errors,
            "; ".join(
                f"{'/'.join(str(p) for p in error.path) or '(body)'}: {error.message}"
                for error in errors[:3]
            )
            or "the body is not JSON",
            exchange,
            note="a success answer received by the behaviour checks",
        )
