"""Where an import writes its results in S3, and reading its ndjson lines."""

from __future__ import annotations

import json
from typing import Any

MANIFEST = "job-output-manifest.json"
SUCCESS = "SUCCESS/success.ndjson"
FAILURE = "FAILURE/failure.ndjson"
WARNING = "WARNING/warning.ndjson"
"""Files imported with warnings: their lines hold an `importResponse` too."""


def job_folder(prefix: str, datastore_id: str, job_id: str) -> str:
    """The key of an import's output folder: `<prefix><datastoreId>-DicomImport-<jobId>/`
    (developer guide 'Understanding import jobs')."""
    return f"{prefix}{datastore_id}-DicomImport-{job_id}/"


def ndjson_objects(raw: bytes) -> list[dict[str, Any]]:
    """The JSON objects of an ndjson document, lines that are not one left out."""
    found: list[dict[str, Any]] = []
    for line in raw.decode("utf-8", "replace").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            found.append(item)
    return found
