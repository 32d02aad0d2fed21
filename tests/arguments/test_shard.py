from __future__ import annotations

import argparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.arguments.shard import Shard, shard


@given(st.lists(st.integers(), max_size=60, unique=True), st.integers(min_value=1, max_value=9))
def test_the_shards_of_a_run_hold_every_item_exactly_once_in_order(
    items: list[int], count: int
) -> None:
    parts = [Shard(index, count).pick(items) for index in range(1, count + 1)]
    assert sorted(x for part in parts for x in part) == sorted(items)
    for part in parts:
        assert part == [x for x in items if x in set(part)]
    assert max(map(len, parts)) - min(map(len, parts)) <= 1


def test_a_shard_is_the_same_on_every_call() -> None:
    items = [f"unit-{n}" for n in range(10)]
    assert Shard(2, 3).pick(items) == ["unit-1", "unit-4", "unit-7"] == Shard(2, 3).pick(items)


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "1", "a/b", "1/2/3", "-1/2", " 1/2"])
def test_a_shard_outside_one_to_n_or_not_k_slash_n_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        shard(text)


def test_a_shard_round_trips_through_results_json() -> None:
    assert Shard.from_json(Shard(3, 4).as_json()) == Shard(3, 4)
    assert Shard.from_json(None) is None
    assert Shard.from_json({"index": 5, "count": 4}) is None
    assert str(shard("3/4")) == "3/4"
