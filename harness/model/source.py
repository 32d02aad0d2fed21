"""Load a botocore service model (the pinned one, or any `service-2.json[.gz]`)."""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SERVICE_NAME = "medical-imaging"
API_VERSION = "2023-07-19"
MODEL_RELATIVE_PATH = f"data/{SERVICE_NAME}/{API_VERSION}/service-2.json"


@dataclass(frozen=True)
class ModelSource:
    """A parsed service model and where it came from.

    `sha256` is taken over the uncompressed JSON bytes, so a gzipped and a plain
    copy of one model have the same digest.
    """

    document: dict[str, Any]
    sha256: str
    origin: str

    @property
    def api_version(self) -> str:
        return str(self.document.get("metadata", {}).get("apiVersion", ""))

    def operation(self, name: str) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = self.document.get("operations", {}).get(name)
        return operation

    def shape(self, name: str) -> dict[str, Any]:
        shape: dict[str, Any] = self.document["shapes"][name]
        return shape


def _from_bytes(raw: bytes, origin: str) -> ModelSource:
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    document = json.loads(raw)
    if not isinstance(document, dict) or "shapes" not in document or "operations" not in document:
        raise ValueError(f"{origin} is not a botocore service model (no 'operations'/'shapes')")
    return ModelSource(document=document, sha256=hashlib.sha256(raw).hexdigest(), origin=origin)


def load_model_file(path: Path) -> ModelSource:
    """Load a botocore `service-2.json`, gzipped or not."""
    return _from_bytes(path.read_bytes(), str(path))


def load_pinned_model() -> ModelSource:
    """Load the medical-imaging model shipped inside the installed botocore."""
    import botocore

    base = Path(botocore.__file__).parent / MODEL_RELATIVE_PATH
    for candidate in (base.with_name(base.name + ".gz"), base):
        if candidate.exists():
            source = _from_bytes(candidate.read_bytes(), "")
            return ModelSource(
                document=source.document,
                sha256=source.sha256,
                origin=f"botocore {botocore.__version__} {MODEL_RELATIVE_PATH}",
            )
    raise FileNotFoundError(f"botocore {botocore.__version__} ships no {MODEL_RELATIVE_PATH}")


@cache
def pinned_model() -> ModelSource:
    """`load_pinned_model`, parsed once per process: for readers, which never change it."""
    return load_pinned_model()
