"""The SDK scenario catalogue: data, not code paths, one module per family.

Each scenario scripts the service's answers, names one call, and states what a
correct SDK reports and which request rules it must keep. The rules come from
the model, the Smithy restJson1 specification, AWS SDK conventions, or the
harness's own documented choices (labelled as such).

`load_catalogue()` builds and registers the catalogue once. `CATALOGUE` and
`BY_ID` remain as names for older callers; reading them loads the catalogue.
"""

from __future__ import annotations

from typing import Any

from harness.sdk.scenarios.base import Expect, Scenario, reply
from harness.sdk.scenarios.catalogue import load_catalogue, scenarios_by_id
from harness.sdk.scenarios.errors import ERROR_VARIANTS
from harness.sdk.scenarios.samples import (
    DATASTORE,
    FRAME_BYTES,
    IMAGE_SET,
    METADATA_GZIP,
    PATHS,
    REMOVABLE,
    SAMPLE_BODY,
    SAMPLE_INPUT,
    SAMPLE_OUTPUT,
    UPDATABLE,
)

__all__ = [
    "DATASTORE",
    "ERROR_VARIANTS",
    "FRAME_BYTES",
    "IMAGE_SET",
    "METADATA_GZIP",
    "PATHS",
    "REMOVABLE",
    "SAMPLE_BODY",
    "SAMPLE_INPUT",
    "SAMPLE_OUTPUT",
    "UPDATABLE",
    "Expect",
    "Scenario",
    "load_catalogue",
    "reply",
    "scenarios_by_id",
]


def __getattr__(name: str) -> Any:
    if name == "CATALOGUE":
        return list(load_catalogue())
    if name == "BY_ID":
        return scenarios_by_id()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
