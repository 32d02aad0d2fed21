"""The README stays a five-minute read that leads to every guide."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_is_at_most_200_lines() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; move detail into docs/"


def test_the_readme_links_every_guide() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    guides = sorted(path.name for path in (ROOT / "docs").glob("*.md"))
    assert guides, "no guides found"
    assert [name for name in guides if f"(docs/{name})" not in readme] == []
