"""Read and write the spec document as YAML, byte-for-byte reproducibly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DEFAULT_SPEC_PATH = Path("specs/medical-imaging.openapi.yaml")


class _SpecDumper(yaml.SafeDumper):
    """Writes multi-line strings as literal blocks so the spec reads well in review."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_SpecDumper.add_representer(str, _represent_str)


def render(spec: dict[str, Any]) -> str:
    """The spec as the YAML text `spec build` writes."""
    return yaml.dump(spec, Dumper=_SpecDumper, sort_keys=False, allow_unicode=True, width=100)


def load(path: Path) -> dict[str, Any]:
    """A spec (YAML or JSON) as a mapping."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError(f"{path} does not hold an OpenAPI document")
    return document
