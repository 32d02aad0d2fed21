"""`--shard K/N`: one of N deterministic parts of a run, for a CI job matrix.

A run's items (server units, SDK scenarios, self-test trials) have one order,
fixed by the catalogue and not by the machine; shard K of N takes the items at
positions K-1, K-1+N, K-1+2N, ... of that order, so the N shards together hold
every item exactly once, and the costliest-first orders stay balanced.
`ahi-contract merge` joins their results.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

Item = TypeVar("Item")


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ValueError(f"shard {self.index}/{self.count}: K must be from 1 to N")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def pick(self, items: Sequence[Item]) -> list[Item]:
        """This shard's items of `items`, in their order."""
        return [
            item for position, item in enumerate(items) if position % self.count == self.index - 1
        ]

    def as_json(self) -> dict[str, int]:
        return {"index": self.index, "count": self.count}

    @classmethod
    def from_json(cls, value: Any) -> Shard | None:
        """The shard a results file records, or None for a whole run or a malformed value."""
        if not isinstance(value, dict):
            return None
        index, count = value.get("index"), value.get("count")
        if not isinstance(index, int) or not isinstance(count, int):
            return None
        try:
            return cls(index, count)
        except ValueError:
            return None


WHOLE = Shard(1, 1)
"""The whole run: one shard of one."""


def shard(text: str) -> Shard:
    """An argparse type: `K/N` with whole numbers 1 <= K <= N."""
    parts = text.split("/")
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise argparse.ArgumentTypeError(f"{text!r} is not K/N, like 1/4")
    index, count = int(parts[0]), int(parts[1])
    if count < 1 or not 1 <= index <= count:
        raise argparse.ArgumentTypeError(f"{text}: K must be from 1 to N, and N at least 1")
    return Shard(index, count)
