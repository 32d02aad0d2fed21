"""Turn the model's HTML documentation into plain text for the spec."""

from __future__ import annotations

import html
import re

_BLOCK_END = re.compile(r"</(p|li|ul|ol|note|important)>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_BLANK_RUNS = re.compile(r"\n\s*\n+")
_SPACES = re.compile(r"[ \t]+")


def plain_text(documentation: str | None) -> str:
    """Strip tags, keep paragraph breaks, unescape entities."""
    if not documentation:
        return ""
    text = _BLOCK_END.sub("\n\n", documentation)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    text = _SPACES.sub(" ", text)
    text = _BLANK_RUNS.sub("\n\n", text)
    return "\n".join(line.strip() for line in text.strip().splitlines())
