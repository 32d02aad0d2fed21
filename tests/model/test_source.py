from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from harness.model import IN_SCOPE_OPERATIONS, load_model_file, load_pinned_model


def test_pinned_model_is_the_medical_imaging_service() -> None:
    source = load_pinned_model()
    assert source.document["metadata"]["signingName"] == "medical-imaging"
    assert source.api_version == "2023-07-19"
    assert source.origin.startswith("botocore ")
    for name in IN_SCOPE_OPERATIONS:
        assert source.operation(name) is not None, name


def test_gzipped_and_plain_copies_have_one_digest(tmp_path: Path) -> None:
    document = load_pinned_model().document
    raw = json.dumps(document).encode()
    (tmp_path / "plain.json").write_bytes(raw)
    (tmp_path / "packed.json.gz").write_bytes(gzip.compress(raw))
    plain = load_model_file(tmp_path / "plain.json")
    packed = load_model_file(tmp_path / "packed.json.gz")
    assert plain.sha256 == packed.sha256
    assert plain.document == packed.document == document


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"openapi": "3.1.0"}')
    with pytest.raises(ValueError, match="not a botocore service model"):
        load_model_file(path)
