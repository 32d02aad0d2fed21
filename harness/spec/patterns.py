"""Smithy patterns as the spec carries them: anchored, ASCII classes made explicit.

Smithy patterns are ECMA 262 regexes with *search* semantics: a value matches
when the pattern matches anywhere in it. JSON Schema's `pattern` has search
semantics too, so a spec that copied them verbatim would let generators produce
`xx<32 ids>yy` for a `[0-9a-z]{32}` id. The harness's documented choice is that
a value must match the whole pattern (HARNESS decision PATTERN-FULL-MATCH), so
every pattern is wrapped as `^(?:...)$`.

Class escapes are rewritten to their ASCII meaning, because ECMA's `\\d` and
`\\w` are ASCII while Python's (which generators and the emulator use) are
Unicode-aware, and `\\p{ASCII}` is Java syntax that neither ECMA without the
`u` flag nor Python understands.
"""

from __future__ import annotations

import re

_OUTSIDE_CLASS = {"d": "[0-9]", "w": "[A-Za-z0-9_]"}
_INSIDE_CLASS = {"d": "0-9", "w": "A-Za-z0-9_"}
_UNICODE_PROPERTIES = {"ASCII": ("[\\x00-\\x7F]", "\\x00-\\x7F")}
_PROPERTY = re.compile(r"\\p\{(\w+)\}")


def explicit_classes(pattern: str) -> str:
    """Rewrite `\\d`, `\\w` and `\\p{ASCII}` as explicit ASCII ranges."""
    out: list[str] = []
    in_class = False
    class_start = 0
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            property_match = _PROPERTY.match(pattern, i)
            if property_match:
                name = property_match.group(1)
                if name not in _UNICODE_PROPERTIES:
                    raise ValueError(f"unsupported property class \\p{{{name}}} in {pattern!r}")
                outside, inside = _UNICODE_PROPERTIES[name]
                out.append(inside if in_class else outside)
                i = property_match.end()
                continue
            escaped = pattern[i + 1]
            table = _INSIDE_CLASS if in_class else _OUTSIDE_CLASS
            out.append(table.get(escaped, char + escaped))
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
            class_start = i
        elif char == "]" and in_class:
            first = class_start + 1 + (pattern[class_start + 1 : class_start + 2] == "^")
            if i > first:
                in_class = False
        out.append(char)
        i += 1
    return "".join(out)


def anchored(pattern: str) -> str:
    """The spec's form of a model pattern: explicit classes, whole-value match."""
    return f"^(?:{explicit_classes(pattern)})$"


def full_match(spec_pattern: str, value: str) -> bool:
    """Whether `value` satisfies a pattern as the spec writes it.

    `re.fullmatch` is used, not `re.search`, so that Python's `$` cannot accept
    a trailing newline that ECMA's `$` would reject.
    """
    return re.fullmatch(spec_pattern, value) is not None
