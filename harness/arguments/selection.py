"""One selection grammar for every suite: include and exclude patterns, by ID or family.

A pattern matches an item (a server check, an SDK scenario) when it matches
its ID or its family, as an fnmatch glob, case-insensitively:
`'IDEMPOTENT-*'`, `search`, `'SDK-RETRY-*'`, `sdk-retries`. With no include
pattern everything is selected; an exclusion wins over an inclusion.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Protocol, TypeVar

from harness.checks import REGISTRY

GLOB_CHARACTERS = frozenset("*?[")


class Selectable(Protocol):
    """What a pattern is matched against: an ID and a family."""

    @property
    def id(self) -> str: ...

    @property
    def family(self) -> str: ...


Item = TypeVar("Item", bound=Selectable)


def matches(pattern: str, item: Selectable) -> bool:
    """Whether `pattern` matches the item's ID or family (glob, case-insensitive)."""
    lowered = pattern.lower()
    return fnmatchcase(item.id.lower(), lowered) or fnmatchcase(item.family.lower(), lowered)


@dataclass(frozen=True)
class Selection:
    """The patterns a run was given; `Selection()` selects everything."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def as_json(self) -> dict[str, list[str]]:
        """The patterns, as a run's results record them."""
        return {"include": list(self.include), "exclude": list(self.exclude)}

    @property
    def everything(self) -> bool:
        """Whether no pattern was given at all."""
        return not self.include and not self.exclude

    def selects(self, item: Selectable) -> bool:
        """Whether `item` is judged in this run."""
        if any(matches(pattern, item) for pattern in self.exclude):
            return False
        return not self.include or any(matches(pattern, item) for pattern in self.include)

    def selects_any(self, check_ids: Iterable[str]) -> bool:
        """Whether any of the registered checks a step judges is selected (the step runs)."""
        return any(self.selects(REGISTRY[check_id]) for check_id in check_ids)

    def chosen(self, items: Iterable[Item]) -> list[Item]:
        """The items this selection selects, in their order."""
        return [item for item in items if self.selects(item)]

    def unmatched(self, items: Iterable[Selectable]) -> list[str]:
        """The patterns (of either kind) that match none of `items`: typos."""
        listed = list(items)
        return [
            pattern
            for pattern in (*self.include, *self.exclude)
            if not any(matches(pattern, item) for item in listed)
        ]


def pattern_choices(pattern: str, items: Iterable[Selectable]) -> list[str]:
    """What a mistyped `pattern` may have meant: IDs and families, and for a glob also
    each ID's dash-separated prefixes as globs (`SDK-RETRY-*`)."""
    listed = list(items)
    choices = {item.id for item in listed} | {item.family for item in listed}
    if GLOB_CHARACTERS & set(pattern):
        for item in listed:
            parts = item.id.split("-")
            choices.update("-".join(parts[:end]) + "-*" for end in range(1, len(parts)))
    return sorted(choices)
