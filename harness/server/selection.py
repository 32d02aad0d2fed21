"""Which checks a server run judges: `--check` and `--exclude-check`, by ID or family, with globs.

The grammar is the one every suite shares (`harness.arguments.selection`): a pattern
matches a check when it matches its ID or its family (fnmatch,
case-insensitive): `--check 'IDEMPOTENT-*'`, `--check search`,
`--exclude-check schema`. With no `--check`, every check is selected; an
exclusion wins over an inclusion.
"""

from __future__ import annotations

from harness.arguments.selection import Selection

__all__ = ["Selection", "UnknownCheck"]


class UnknownCheck(ValueError):
    """A `--check` or `--exclude-check` pattern matches no check of the suite."""
