"""Read and write the spec document as YAML, byte-for-byte reproducibly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SPEC_NAME = "medical-imaging.openapi.yaml"
DEFAULT_SPEC_PATH = Path("specs") / SPEC_NAME
# The generated spec ships inside the package; the checkout's specs/ entry is a symlink to it.
PACKAGED_SPEC_PATH = Path(__file__).with_name(SPEC_NAME)


class _SpecDumper(yaml.SafeDumper):
    """Writes multi-line strings as literal blocks so the spec reads well in review."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_SpecDumper.add_representer(str, _represent_str)


def committed_spec_path() -> Path:
    """The spec `spec check` reads by default: a checkout's `specs/` file, else the package's.

    In a checkout (the working directory holds `specs/medical-imaging.openapi.yaml`) that is
    the committed file, named relative to the working directory; anywhere else, the copy
    installed with the package.
    """
    return DEFAULT_SPEC_PATH if DEFAULT_SPEC_PATH.is_file() else PACKAGED_SPEC_PATH


def render(spec: dict[str, Any]) -> str:
    """The spec as the YAML text `spec build` writes."""
    return yaml.dump(spec, Dumper=_SpecDumper, sort_keys=False, allow_unicode=True, width=100)


def load(path: Path) -> dict[str, Any]:
    """A spec (YAML or JSON) as a mapping."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError(f"{path} does not hold an OpenAPI document")
    return document
