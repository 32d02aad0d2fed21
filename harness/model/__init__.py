"""The medical-imaging service model: where it comes from, what is in scope, one operation table."""

from __future__ import annotations

from harness.model.operations import (
    Location,
    Member,
    Operation,
    OperationTable,
    encode_label,
    operations,
)
from harness.model.scope import IN_SCOPE_OPERATIONS
from harness.model.source import ModelSource, load_model_file, load_pinned_model, pinned_model

__all__ = [
    "IN_SCOPE_OPERATIONS",
    "Location",
    "Member",
    "ModelSource",
    "Operation",
    "OperationTable",
    "encode_label",
    "load_model_file",
    "load_pinned_model",
    "operations",
    "pinned_model",
]
