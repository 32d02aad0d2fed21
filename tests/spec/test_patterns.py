from __future__ import annotations

import re

import pytest

from harness.spec.patterns import anchored, explicit_classes, full_match


@pytest.mark.parametrize(
    ("model_pattern", "expected"),
    [
        ("[0-9a-z]{32}", "[0-9a-z]{32}"),
        (r"\d+", "[0-9]+"),
        (r"[\w -:`]+", "[A-Za-z0-9_ -:`]+"),
        (r"\p{ASCII}{0,8192}", r"[\x00-\x7F]{0,8192}"),
        (r"[^\d]", "[^0-9]"),
        (r"a\.b", r"a\.b"),
        (r"[\]\d]", r"[\]0-9]"),
        (r"x\\d", r"x\\d"),
    ],
)
def test_explicit_classes_rewrites_class_escapes(model_pattern: str, expected: str) -> None:
    assert explicit_classes(model_pattern) == expected


def test_unknown_property_class_is_refused() -> None:
    with pytest.raises(ValueError, match="Greek"):
        explicit_classes(r"\p{Greek}")


@pytest.mark.parametrize(
    ("model_pattern", "value", "matches"),
    [
        ("[0-9a-z]{32}", "a" * 32, True),
        ("[0-9a-z]{32}", "xx" + "a" * 32 + "yy", False),  # search semantics would accept it
        ("[0-9a-z]{32}", "a" * 32 + "\n", False),  # Python's `$` alone would accept it
        (r"\d+", "123456789012", True),
        (r"\d+", "\u0661\u0662", False),  # Arabic-Indic digits: Python \d, not ECMA \d
        ("arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+", "arn:aws:iam::123456789012:role/r", True),
        ("arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+", "xarn:aws:iam::123456789012:role/r", False),
        ("a|b", "ab", False),  # the group keeps alternation inside the anchors
    ],
)
def test_anchored_patterns_match_whole_values(
    model_pattern: str, value: str, matches: bool
) -> None:
    pattern = anchored(model_pattern)
    assert full_match(pattern, value) is matches
    re.compile(pattern)
