"""Every successful answer the behaviour checks received, validated against the spec.

schemathesis validates what it sends itself, but it rarely reaches a 200 from
StartDICOMImportJob (its data store ids are random); the behaviour checks reach
every operation's success path, so their answers are validated here too,
under the same check ID. A blob answer (BLOB-RESPONSES) is raw bytes, not
JSON: its body is judged by being there at all, its headers (a documented
Content-Type, and the Content-Encoding the spec names) under BLOB-HEADERS, as
in the schema phase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator

from harness.checks import Check
from harness.server.context import SuiteContext
from harness.server.probe import Exchange
from harness.server.registry import Trigger, judge
from harness.server.schema_phase import BLOB_HEADERS, BUILTIN_CHECKS

NOTE = "a success answer received by the behaviour checks"


@dataclass(frozen=True)
class SuccessAnswer:
    """What the spec documents for one operation's success answer."""

    operation_id: str
    schema: dict[str, Any] | None = None
    media_types: tuple[str, ...] = ()
    headers: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def blob(self) -> bool:
        return self.schema is None

    def problems(self, exchange: Exchange) -> list[str]:
        """Why the body of `exchange` does not match, or nothing when it does."""
        if not self.blob:
            return self._json_problems(exchange)
        return [] if exchange.body else ["(body): empty; the blob payload is required"]

    def header_problems(self, exchange: Exchange) -> list[str]:
        """Why the headers of a blob answer do not match, or nothing when they do."""
        found: list[str] = []
        content_type = exchange.header("Content-Type")
        media_type = (content_type or "").split(";")[0].strip().lower()
        if content_type is None:
            found.append("Content-Type: missing")
        elif media_type not in {m.lower() for m in self.media_types}:
            found.append(f"Content-Type: {content_type!r} is not one of {list(self.media_types)}")
        for name, header in self.headers.items():
            if name.lower() == "content-type":
                continue
            value = exchange.header(name)
            if value is None:
                if header.get("required"):
                    found.append(f"{name}: missing")
                continue
            allowed = header.get("schema", {}).get("enum")
            if allowed is not None and value not in allowed:
                found.append(f"{name}: {value!r} is not one of {allowed}")
        return found

    def _json_problems(self, exchange: Exchange) -> list[str]:
        assert self.schema is not None
        body = exchange.json()
        if body is None:
            return ["the body is not JSON"]
        errors = sorted(
            Draft202012Validator(self.schema).iter_errors(body), key=lambda error: list(error.path)
        )
        return [
            f"{'/'.join(str(p) for p in error.path) or '(body)'}: {error.message}"
            for error in errors[:3]
        ]


def _answer(operation: dict[str, Any], components: dict[str, Any]) -> SuccessAnswer | None:
    name = operation["operationId"]
    success = operation["responses"].get("200", {})
    content = success.get("content", {})
    if "x-aws-blob-payload" in success:
        return SuccessAnswer(name, None, tuple(content), dict(success.get("headers", {})))
    schema = content.get("application/json", {}).get("schema")
    if schema is None:
        return None
    return SuccessAnswer(name, {**schema, "components": components})


class SpecResponses:
    """Finds an exchange's operation by method and path, and what its success answer must be."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.routes: list[tuple[str, re.Pattern[str], SuccessAnswer]] = []
        for path, methods in spec["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$")
            for method, operation in methods.items():
                answer = _answer(operation, spec["components"])
                if answer is not None:
                    self.routes.append((method.upper(), pattern, answer))

    def match(self, exchange: Exchange) -> SuccessAnswer | None:
        path = urlsplit(exchange.url).path
        for method, pattern, answer in self.routes:
            if method == exchange.method and pattern.match(path):
                return answer
        return None


def successes(context: SuiteContext) -> list[tuple[SuccessAnswer, Exchange]]:
    """Every success answer the probe received, with what the spec documents for it."""
    responses = SpecResponses(context.spec)
    found = []
    for exchange in list(context.probe.history):
        if exchange.status is None or not 200 <= exchange.status < 300:
            continue
        answer = responses.match(exchange)
        if answer is not None:
            found.append((answer, exchange))
    return found


@judge(BUILTIN_CHECKS["response_schema_conformance"], trigger=Trigger.HISTORY)
def success_bodies(context: SuiteContext, check: Check) -> None:
    for answer, exchange in successes(context):
        problems = answer.problems(exchange)
        context.verdict(
            check.id, answer.operation_id, not problems, "; ".join(problems), exchange, note=NOTE
        )


@judge(BLOB_HEADERS, trigger=Trigger.HISTORY)
def blob_headers(context: SuiteContext, check: Check) -> None:
    for answer, exchange in successes(context):
        if answer.blob:
            problems = answer.header_problems(exchange)
            context.verdict(
                check.id,
                answer.operation_id,
                not problems,
                "; ".join(problems),
                exchange,
                note=NOTE,
            )
