"""Every write's first answer: the transitional status the documentation gives it.

The status members of each write's answer are read from the model
(`harness.server.derived.status_members`); the value each must hold is the
documented one (`derived.FIRST_STATUS`). A replay (an idempotent call repeating a
clientToken) answers what the first call made, as it is now, and is not judged.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from harness.checks import Check, Source
from harness.server.context import SuiteContext
from harness.server.derived import FIRST_STATUS_SOURCE, Covered, first_status, status_members
from harness.server.expect import judge_answers
from harness.server.observation import Observation
from harness.server.registry import Trigger, server_check


def _at(answer: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = answer
    for name in path:
        value = value.get(name) if isinstance(value, dict) else None
    return value


def _first_calls(observations: list[Observation]) -> list[Observation]:
    """The successful answers, replays of an idempotency token left out."""
    tokens: set[tuple[str, Any]] = set()
    found = []
    for seen in observations:
        if not seen.succeeded:
            continue
        token = seen.member("clientToken")
        if token is not None:
            if (seen.operation, token) in tokens:
                continue
            tokens.add((seen.operation, token))
        found.append(seen)
    return found


@server_check(
    "WRITE-FIRST-STATUS",
    "lifecycle",
    "A write's immediate answer holds the documented transitional status: CreateDatastore "
    "CREATING, DeleteDatastore DELETING, StartDICOMImportJob SUBMITTED, and LOCKED with the "
    "workflow status of its work for UpdateImageSetMetadata, CopyImageSet and DeleteImageSet",
    Source.SERVICE_DOCS,
    FIRST_STATUS_SOURCE,
    trigger=Trigger.HISTORY,
    covers=lambda: [
        Covered(member.operation, f"{member.name} {first_status(member)}")
        for member in status_members()
    ],
)
def first_answer_status(context: SuiteContext, check: Check) -> None:
    members = defaultdict(list)
    for member in status_members():
        if first_status(member) is not None:
            members[member.operation].append(member)

    def problems(seen: Observation) -> list[str] | None:
        if seen.operation not in members:
            return None
        return [
            f"{member.name} {answered!r}, documented {expected}"
            for member in members[seen.operation]
            if (answered := _at(seen.answer or {}, member.path))
            != (expected := first_status(member))
        ]

    judge_answers(context, check, _first_calls(context.model.observations), problems)
