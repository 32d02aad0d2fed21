"""Which checks a run judges: `--check` and `--exclude-check`, by ID or family, with globs.

A pattern matches a check when it matches its ID or its family (fnmatch,
case-insensitive): `--check 'IDEMPOTENT-*'`, `--check search`,
`--exclude-check schema`. With no `--check`, every check is selected; an
exclusion wins over an inclusion.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from harness.checks import REGISTRY, Catalogue, Check


class UnknownCheck(ValueError):
    """A `--check` or `--exclude-check` pattern matches no check of the suite."""


@dataclass(frozen=True)
class Selection:
    """The patterns a run was given; `Selection()` selects everything."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @property
    def everything(self) -> bool:
        return not self.include and not self.exclude

    def selects(self, check: Check) -> bool:
        """Whether `check` is judged in this run."""
        if any(_matches(pattern, check) for pattern in self.exclude):
            return False
        return not self.include or any(_matches(pattern, check) for pattern in self.include)

    def selects_any(self, check_ids: Iterable[str]) -> bool:
        """Whether any of the checks a step judges is selected (the step then runs)."""
        return any(self.selects(REGISTRY[check_id]) for check_id in check_ids)

    def unmatched(self, catalogue: Catalogue) -> list[str]:
        """The patterns (of either kind) that match no check of `catalogue`: typos."""
        return [
            pattern
            for pattern in (*self.include, *self.exclude)
            if not any(_matches(pattern, check) for check in catalogue)
        ]


def _matches(pattern: str, check: Check) -> bool:
    lowered = pattern.lower()
    return fnmatchcase(check.id.lower(), lowered) or fnmatchcase(check.family.lower(), lowered)
