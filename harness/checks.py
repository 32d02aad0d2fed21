"""Every check the harness makes: a stable ID, a one-line rule, and where the rule comes from.

Reports show the source beside each failure, so a reader can tell a protocol
violation from a disagreement with a convention or with the harness's own
documented choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Source(StrEnum):
    """Where a rule comes from."""

    MODEL = "service model"
    SERVICE_DOCS = "service documentation"
    SMITHY = "Smithy specification"
    AWS_CONVENTION = "AWS convention"
    HARNESS = "harness decision"


@dataclass(frozen=True)
class Check:
    """One rule the harness checks."""

    id: str
    family: str
    rule: str
    source: Source
    reference: str


REGISTRY: dict[str, Check] = {}


def register(id: str, family: str, rule: str, source: Source, reference: str) -> Check:
    """Add a check to the registry; IDs are unique."""
    if id in REGISTRY:
        raise ValueError(f"check {id} is registered twice")
    check = Check(id, family, rule, source, reference)
    REGISTRY[id] = check
    return check
