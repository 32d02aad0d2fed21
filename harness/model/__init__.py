"""The medical-imaging service model: where it comes from and what is in scope."""

from __future__ import annotations

from harness.model.scope import IN_SCOPE_OPERATIONS
from harness.model.source import ModelSource, load_model_file, load_pinned_model

__all__ = ["IN_SCOPE_OPERATIONS", "ModelSource", "load_model_file", "load_pinned_model"]
