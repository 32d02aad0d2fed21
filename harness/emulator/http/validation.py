"""Validate an operation's input against the model, the way a Smithy server does.

Types are checked first (a wrong type is a SerializationException); then every
constraint: required, length, range, pattern (whole-value, as the spec writes
it), enum, and unions with exactly one member. Messages follow Smithy's server
validation wording and name the member by its JSON pointer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from harness.emulator.exceptions import SerializationException, ValidationException
from harness.model import ModelSource
from harness.spec.patterns import anchored, full_match

_MAX_LISTED = 10


@dataclass(frozen=True)
class FieldError:
    """One violated constraint: where (`/member/0/child`), the value, and the rule."""

    path: str
    shown: str
    constraint: str

    @property
    def message(self) -> str:
        return (
            f"Value {self.shown} at '{self.path}' failed to satisfy constraint: {self.constraint}"
        )


@lru_cache(maxsize=256)
def _spec_pattern(model_pattern: str) -> str:
    return anchored(model_pattern)


def _describe(value: Any) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 64 else value[:61] + "..."
        return f"'{shown}'"
    return "null" if value is None else repr(value)


class InputValidator:
    """Checks values against model shapes."""

    def __init__(self, source: ModelSource, constraints: bool = True) -> None:
        self.source = source
        self.constraints = constraints

    def check(self, shape_name: str, value: dict[str, Any]) -> None:
        """Raise SerializationException or ValidationException for `value`."""
        errors: list[FieldError] = []
        type_errors: list[tuple[str, str]] = []
        self._shape(shape_name, value, "", errors, type_errors)
        if type_errors:
            path, expected = type_errors[0]
            raise SerializationException(f"Value at '{path or '/'}' {expected}")
        if errors:
            noun = "error" if len(errors) == 1 else "errors"
            listed = "; ".join(error.message for error in errors[:_MAX_LISTED])
            raise ValidationException(
                f"{len(errors)} validation {noun} detected: {listed}",
                fieldList=[{"path": e.path, "message": e.message} for e in errors],
            )

    def _shape(
        self,
        shape_name: str,
        value: Any,
        path: str,
        errors: list[FieldError],
        type_errors: list[tuple[str, str]],
    ) -> None:
        shape = self.source.shape(shape_name)
        kind = shape["type"]
        shown = _describe(value)

        def fail(constraint: str) -> None:
            if self.constraints:
                errors.append(FieldError(path, shown, constraint))

        if kind == "structure":
            if not isinstance(value, dict):
                type_errors.append((path, "must be a JSON object"))
                return
            self._structure(shape, value, path, errors, type_errors)
        elif kind == "string":
            if not isinstance(value, str):
                type_errors.append((path, "must be a string"))
                return
            self._bounds(shape, len(value), "length", fail)
            if "pattern" in shape and not full_match(_spec_pattern(shape["pattern"]), value):
                fail(f"Member must satisfy regular expression pattern: {shape['pattern']}")
            if "enum" in shape and value not in shape["enum"]:
                fail(f"Member must satisfy enum value set: [{', '.join(shape['enum'])}]")
        elif kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                type_errors.append((path, "must be an integer"))
                return
            self._bounds(shape, value, "value", fail)
        elif kind == "boolean":
            if not isinstance(value, bool):
                type_errors.append((path, "must be a boolean"))
        elif kind == "timestamp":
            if isinstance(value, bool) or not isinstance(value, int | float):
                type_errors.append((path, "must be epoch seconds (a number)"))
        elif kind == "list":
            if not isinstance(value, list):
                type_errors.append((path, "must be a JSON array"))
                return
            self._bounds(shape, len(value), "length", fail)
            for index, item in enumerate(value):
                if item is None:
                    errors.append(FieldError(f"{path}/{index}", "null", "Member must not be null"))
                    continue
                self._shape(shape["member"]["shape"], item, f"{path}/{index}", errors, type_errors)
        elif kind == "map":
            if not isinstance(value, dict):
                type_errors.append((path, "must be a JSON object"))
                return
            self._bounds(shape, len(value), "length", fail)
            for key, item in value.items():
                self._shape(shape["key"]["shape"], key, f"{path}/{key}", errors, type_errors)
                self._shape(shape["value"]["shape"], item, f"{path}/{key}", errors, type_errors)

    def _structure(
        self,
        shape: dict[str, Any],
        value: dict[str, Any],
        path: str,
        errors: list[FieldError],
        type_errors: list[tuple[str, str]],
    ) -> None:
        members = shape["members"]
        present = {name: item for name, item in value.items() if item is not None}
        for name in shape.get("required", ()):
            if name not in present:
                errors.append(FieldError(f"{path}/{name}", "null", "Member must not be null"))
        if shape.get("union") and self.constraints:
            known = [name for name in present if name in members]
            if len(known) != 1 or len(present) != 1:
                errors.append(
                    FieldError(
                        path or "/",
                        _describe(sorted(present)),
                        "Union must have exactly one member set",
                    )
                )
        for name, item in present.items():
            if name in members:
                self._shape(members[name]["shape"], item, f"{path}/{name}", errors, type_errors)

    @staticmethod
    def _bounds(shape: dict[str, Any], measure: int, what: str, fail: Any) -> None:
        if "min" in shape and measure < shape["min"]:
            fail(f"Member must have {what} greater than or equal to {shape['min']}")
        if "max" in shape and measure > shape["max"]:
            fail(f"Member must have {what} less than or equal to {shape['max']}")
