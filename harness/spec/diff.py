"""Compare two contracts (models or specs) and classify every change.

Both sides are reduced to a flat view: per operation its route, its members
(keyed by member path, not by binding, so a member that moves from the query
string to the body is one changed member) and its responses. The rules:

breaking: removed operation or member, new required request member, a request
member made required or a response member made optional, tightened bound or
added pattern, changed pattern (a regex cannot be proven looser), removed enum
value, changed type, binding, route, success status or error status.

non-breaking: new operation, new optional member, loosened bound, removed
pattern, new enum value, an error added to or removed from an operation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.model import load_model_file
from harness.spec import document
from harness.spec.build import build_spec

_LOWER_BOUNDS = ("minLength", "minimum", "minItems", "minProperties")
_UPPER_BOUNDS = ("maxLength", "maximum", "maxItems", "maxProperties")


@dataclass(frozen=True)
class Change:
    """One difference between two contracts."""

    kind: str
    breaking: bool
    operation: str
    where: str
    detail: str


@dataclass
class _Member:
    direction: str
    binding: str
    required: bool
    facets: dict[str, Any]


@dataclass
class _Operation:
    route: str
    success_status: str
    members: dict[str, _Member] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def load_contract(path: Path) -> dict[str, Any]:
    """A spec from `path`: an OpenAPI document, or a botocore model built into one."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        return build_spec(load_model_file(path))
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = document.load(path)
    if isinstance(parsed, dict) and "openapi" in parsed:
        return parsed
    if isinstance(parsed, dict) and "shapes" in parsed:
        return build_spec(load_model_file(path))
    raise ValueError(f"{path} is neither an OpenAPI document nor a botocore service model")


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema a nullable wrapper (NULL-AS-ABSENT) stands for."""
    branches = schema.get("anyOf")
    if isinstance(branches, list) and {"type": "null"} in branches and len(branches) == 2:
        return dict(next(branch for branch in branches if branch != {"type": "null"}))
    kind = schema.get("type")
    if isinstance(kind, list) and "null" in kind and len(kind) == 2:
        schema = {**schema, "type": next(k for k in kind if k != "null")}
        if "enum" in schema:
            schema["enum"] = [value for value in schema["enum"] if value is not None]
    return schema


class _Resolver:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.schemas: dict[str, Any] = spec.get("components", {}).get("schemas", {})

    def __call__(self, schema: dict[str, Any]) -> dict[str, Any]:
        schema = _without_null(schema)
        seen = 0
        while "$ref" in schema and seen < 50:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = {
                **self.schemas.get(name, {}),
                **{k: v for k, v in schema.items() if k != "$ref"},
            }
            seen += 1
        return schema


def _facets(schema: dict[str, Any]) -> dict[str, Any]:
    keys = ("type", "format", "pattern", "enum", *_LOWER_BOUNDS, *_UPPER_BOUNDS)
    return {key: schema[key] for key in keys if key in schema}


def _walk(
    resolve: _Resolver, schema: dict[str, Any], prefix: str, depth: int = 0
) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """Yield (path, schema, required) for every member below an object schema."""
    schema = resolve(schema)
    if depth > 20:
        return
    required = set(schema.get("required", ()))
    for name, child in schema.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        resolved = resolve(child)
        yield path, resolved, name in required
        yield from _nested(resolve, resolved, path, depth)


def _nested(
    resolve: _Resolver, schema: dict[str, Any], path: str, depth: int
) -> Iterator[tuple[str, dict[str, Any], bool]]:
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        items = resolve(schema["items"])
        yield f"{path}[]", items, True
        yield from _nested(resolve, items, f"{path}[]", depth + 1)
    elif schema.get("type") == "object":
        yield from _walk(resolve, schema, path, depth + 1)
        if isinstance(schema.get("additionalProperties"), dict):
            values = resolve(schema["additionalProperties"])
            yield f"{path}{{}}", values, False
            yield from _nested(resolve, values, f"{path}{{}}", depth + 1)


def _request_body(resolve: _Resolver, body: dict[str, Any], view: _Operation) -> None:
    """Body members, or the payload member (PAYLOAD-BODY) and the members below it."""
    content = body.get("content", {}).get("application/json")
    if not content:
        return
    schema = content.get("schema", {})
    payload = body.get("x-aws-member")
    if payload is None:
        for member_path, child, required in _walk(resolve, schema, ""):
            view.members[f"request.{member_path}"] = _Member(
                "request", "body", required, _facets(child)
            )
        return
    resolved = resolve(schema)
    view.members[f"request.{payload}"] = _Member(
        "request", "payload", bool(body.get("required")), _facets(resolved)
    )
    for member_path, child, required in _nested(resolve, resolved, payload, 0):
        view.members[f"request.{member_path}"] = _Member(
            "request", "payload", required, _facets(child)
        )


def _success(resolve: _Resolver, response: dict[str, Any], view: _Operation) -> None:
    """Response body members, a blob payload (BLOB-RESPONSES) and header-bound members."""
    blob = response.get("x-aws-blob-payload")
    if blob is not None:
        view.members[f"response.{blob}"] = _Member("response", "payload", True, {"type": "blob"})
    else:
        content = response.get("content", {}).get("application/json")
        if content:
            for member_path, child, required in _walk(resolve, content["schema"], ""):
                view.members[f"response.{member_path}"] = _Member(
                    "response", "body", required, _facets(child)
                )
    for header in response.get("headers", {}).values():
        member = header.get("x-aws-member")
        if member is not None:
            view.members[f"response.{member}"] = _Member(
                "response",
                "header",
                bool(header.get("required")),
                _facets(resolve(header["schema"])),
            )


def _view(spec: dict[str, Any]) -> dict[str, _Operation]:
    resolve = _Resolver(spec)
    operations: dict[str, _Operation] = {}
    for path, methods in spec.get("paths", {}).items():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            responses = operation.get("responses", {})
            success = sorted(status for status in responses if str(status).startswith("2"))
            view = _Operation(route=f"{method.upper()} {path}", success_status=",".join(success))
            for parameter in operation.get("parameters", ()):
                name = parameter.get("x-aws-member", parameter["name"])
                schema = resolve(parameter.get("schema", {}))
                view.members[f"request.{name}"] = _Member(
                    "request", parameter["in"], bool(parameter.get("required")), _facets(schema)
                )
                for member_path, child, required in _nested(resolve, schema, name, 0):
                    view.members[f"request.{member_path}"] = _Member(
                        "request", parameter["in"], required, _facets(child)
                    )
            _request_body(resolve, operation.get("requestBody", {}), view)
            for status in success:
                _success(resolve, responses[status], view)
            for status, response in responses.items():
                for error_name in response.get("x-aws-errors", ()):
                    view.errors[error_name] = str(status)
            operations[operation["operationId"]] = view
    return operations


def _compare_member(operation: str, where: str, old: _Member, new: _Member) -> Iterator[Change]:
    def change(kind: str, breaking: bool, detail: str) -> Change:
        return Change(kind, breaking, operation, where, detail)

    if old.binding != new.binding:
        yield change("binding-changed", True, f"{old.binding} -> {new.binding}")
    if old.facets.get("type") != new.facets.get("type"):
        yield change("type-changed", True, f"{old.facets.get('type')} -> {new.facets.get('type')}")
    if old.required != new.required:
        if old.direction == "request":
            made = "required" if new.required else "optional"
            yield change(f"member-made-{made}", new.required, f"request member is now {made}")
        else:
            made = "optional" if old.required else "required"
            yield change(f"member-made-{made}", old.required, f"response member is now {made}")
    for key in (*_LOWER_BOUNDS, *_UPPER_BOUNDS):
        before, after = old.facets.get(key), new.facets.get(key)
        if before == after:
            continue
        lower = key in _LOWER_BOUNDS
        if before is None:
            tightened = True
        elif after is None:
            tightened = False
        else:
            tightened = after > before if lower else after < before
        kind = "bound-tightened" if tightened else "bound-loosened"
        yield change(kind, tightened, f"{key} {before} -> {after}")
    before_pattern, after_pattern = old.facets.get("pattern"), new.facets.get("pattern")
    if before_pattern != after_pattern:
        if before_pattern is None:
            yield change("pattern-added", True, f"pattern {after_pattern}")
        elif after_pattern is None:
            yield change("pattern-removed", False, f"pattern {before_pattern} removed")
        else:
            yield change("pattern-changed", True, f"{before_pattern} -> {after_pattern}")
    before_enum, after_enum = old.facets.get("enum"), new.facets.get("enum")
    if before_enum != after_enum:
        if before_enum is None:
            yield change("enum-added", True, f"values now limited to {after_enum}")
        elif after_enum is None:
            yield change("enum-removed", False, "values no longer limited")
        else:
            for value in before_enum:
                if value not in after_enum:
                    yield change("enum-value-removed", True, f"{value!r} removed")
            for value in after_enum:
                if value not in before_enum:
                    yield change("enum-value-added", False, f"{value!r} added")


def _under(path: str, parents: set[str]) -> bool:
    return any(path.startswith((f"{parent}.", f"{parent}[", f"{parent}{{")) for parent in parents)


def _compare_operation(name: str, old: _Operation, new: _Operation) -> Iterator[Change]:
    if old.route != new.route:
        yield Change("route-changed", True, name, "route", f"{old.route} -> {new.route}")
    if old.success_status != new.success_status:
        detail = f"{old.success_status} -> {new.success_status}"
        yield Change("status-changed", True, name, "success response", detail)
    removed = {path for path in old.members if path not in new.members}
    added = {path for path in new.members if path not in old.members}
    for path in sorted(removed):
        if not _under(path, removed):
            yield Change("member-removed", True, name, path, "member removed")
    for path in sorted(added):
        if _under(path, added):
            continue
        member = new.members[path]
        if member.direction == "request" and member.required:
            yield Change("required-member-added", True, name, path, "new required member")
        else:
            yield Change("member-added", False, name, path, "new optional member")
    for path in sorted(set(old.members) & set(new.members)):
        yield from _compare_member(name, path, old.members[path], new.members[path])
    for error_name in sorted(set(old.errors) | set(new.errors)):
        before, after = old.errors.get(error_name), new.errors.get(error_name)
        where = f"error {error_name}"
        if before is None:
            yield Change("error-added", False, name, where, f"new error, status {after}")
        elif after is None:
            yield Change("error-removed", False, name, where, "no longer listed")
        elif before != after:
            yield Change("error-status-changed", True, name, where, f"{before} -> {after}")


def diff_specs(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every change from `old` to `new`, in a stable order."""
    old_view, new_view = _view(old), _view(new)
    changes: list[Change] = []
    for name in sorted(set(old_view) | set(new_view)):
        if name not in new_view:
            changes.append(Change("operation-removed", True, name, "operation", "removed"))
        elif name not in old_view:
            changes.append(Change("operation-added", False, name, "operation", "new operation"))
        else:
            changes.extend(_compare_operation(name, old_view[name], new_view[name]))
    return changes


def format_text(changes: list[Change]) -> str:
    """Human-readable listing, breaking changes first."""
    if not changes:
        return "no changes"
    ordered = sorted(changes, key=lambda change: not change.breaking)
    lines = [
        f"{'BREAKING' if c.breaking else 'ok':<8}  {c.kind:<22} {c.operation} {c.where}: {c.detail}"
        for c in ordered
    ]
    breaking = sum(c.breaking for c in changes)
    lines.append(f"{breaking} breaking, {len(changes) - breaking} non-breaking")
    return "\n".join(lines)


def format_json(changes: list[Change]) -> str:
    """Machine-readable listing."""
    breaking = sum(c.breaking for c in changes)
    payload = {
        "breaking": breaking,
        "nonBreaking": len(changes) - breaking,
        "changes": [asdict(change) for change in changes],
    }
    return json.dumps(payload, indent=2)
