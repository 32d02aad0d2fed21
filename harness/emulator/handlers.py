"""Each operation's handler, found from the operation table.

A handler is a method marked `@handler` and named after its operation in snake case,
as boto3 names its methods (`StartDICOMImportJob`: `start_dicom_import_job`). It takes
the validated input in the model's member names and returns the output in the same
form. `handlers_for` pairs every operation of the table with exactly one handler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from botocore import xform_name

from harness.model import OperationTable

Handler = Callable[[dict[str, Any]], dict[str, Any]]
Method = TypeVar("Method", bound=Callable[[Any, dict[str, Any]], dict[str, Any]])

_MARK = "__emulator_handler__"


def handler(method: Method) -> Method:
    """Mark `method` as the handler of the operation its name spells."""
    setattr(method, _MARK, True)
    return method


def method_name(operation: str) -> str:
    """The name of an operation's handler: `GetImageSetMetadata` -> `get_image_set_metadata`."""
    name: str = xform_name(operation)
    return name


def marked(owner: object) -> dict[str, Handler]:
    """The handlers of `owner`, bound, by method name."""
    return {
        name: getattr(owner, name)
        for name in dir(type(owner))
        if getattr(getattr(type(owner), name), _MARK, False)
    }


class HandlerMismatch(Exception):
    """The handlers and the operation table disagree."""


def handlers_for(table: OperationTable, owners: Iterable[object]) -> dict[str, Handler]:
    """Each operation of `table` and its handler among the owners' marked methods.

    HandlerMismatch names any operation without a handler, any handler of no operation,
    and any operation handled twice.
    """
    found: dict[str, Handler] = {}
    problems: list[str] = []
    for owner in owners:
        for name, bound in marked(owner).items():
            if name in found:
                problems.append(f"{name} is handled twice (again by {type(owner).__name__})")
            found[name] = bound
    names = {method_name(operation): operation for operation in table}
    problems += [
        f"{operation} has no handler (a method `{name}` marked @handler)"
        for name, operation in names.items()
        if name not in found
    ]
    problems += [f"{name} handles no operation of the table" for name in found if name not in names]
    if problems:
        raise HandlerMismatch("; ".join(problems))
    return {operation: found[name] for name, operation in names.items()}
