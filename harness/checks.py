"""Every check the harness makes: a stable ID, a one-line rule, and where the rule comes from.

Reports show the source beside each failure, so a reader can tell a protocol
violation from a disagreement with a convention or with the harness's own
documented choice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
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
    operation: str | None = None
    """The one operation the check is about, where it has one (an SDK scenario's)."""


REGISTRY: dict[str, Check] = {}
"""Every check registered by any suite, by ID: reports look checks up here."""


def register(
    id: str,
    family: str,
    rule: str,
    source: Source,
    reference: str,
    operation: str | None = None,
) -> Check:
    """Add a check to the registry; IDs are unique."""
    if id in REGISTRY:
        raise ValueError(f"check {id} is registered twice")
    check = Check(id, family, rule, source, reference, operation)
    REGISTRY[id] = check
    return check


@dataclass
class Catalogue:
    """The checks of one suite, in registration order: the server suite's
    (`harness.server.registry.CATALOGUE`); SDK scenarios and the self-test's
    checks register with `register` alone.

    Registering through a catalogue also enters the check in `REGISTRY`, so IDs
    stay unique across suites; listing and selection read one catalogue.
    """

    suite: str
    checks: dict[str, Check] = field(default_factory=dict)

    def register(self, id: str, family: str, rule: str, source: Source, reference: str) -> Check:
        """Add a check to this catalogue and to `REGISTRY`."""
        check = register(id, family, rule, source, reference)
        self.checks[id] = check
        return check

    def __iter__(self) -> Iterator[Check]:
        return iter(self.checks.values())

    def __len__(self) -> int:
        return len(self.checks)
