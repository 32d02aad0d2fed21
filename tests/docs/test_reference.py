"""The reference's listing of derived rules is the one the operation table gives."""

from __future__ import annotations

import re
from pathlib import Path

from harness.server.derived import markdown
from harness.server.units import coverage, load_checks

ROOT = Path(__file__).resolve().parents[2]
START = "<!-- derived-rules: generated"
END = "<!-- derived-rules: end -->"


def test_the_derived_rules_listing_is_generated_from_the_table() -> None:
    text = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    listed = text[text.index(START) : text.index(END)].split("\n", 1)[1]
    assert listed == markdown(coverage()), "regenerate: `python -m harness.server.units`"


def test_the_families_table_lists_every_server_check_once() -> None:
    text = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    listed: dict[str, set[str]] = {}
    for family, ids in re.findall(r"^\| `([a-z-]+)` \| ([^|]+) \|$", text, flags=re.M):
        listed[family] = set(re.findall(r"\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\b", ids))
    catalogue = load_checks()
    expected: dict[str, set[str]] = {}
    for check in catalogue:
        expected.setdefault(check.family, set()).add(check.id)
    assert listed == expected
    assert f"{len(catalogue)} checks in {len(expected)} families." in text
