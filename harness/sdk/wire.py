"""Values on the adapter protocol's wire: blobs as `{"$base64": ...}`, read by the model's shapes.

Scenario inputs and expected outputs hold Python values (`bytes` for blobs,
epoch-second numbers for timestamps). On the protocol's JSON lines a blob is
the object `{"$base64": "<standard base64>"}`. The harness writes that form
wherever it has bytes and reads it back only where the model's shape is a blob,
so a map that happens to have a `$base64` key is never mistaken for one.
"""

from __future__ import annotations

import base64
import binascii
import json
from functools import cache
from typing import Any

from harness.model import ModelSource, load_pinned_model

BLOB_KEY = "$base64"


@cache
def _model() -> ModelSource:
    return load_pinned_model()


def blob(data: bytes) -> dict[str, str]:
    """The protocol form of `data`."""
    return {BLOB_KEY: base64.b64encode(data).decode("ascii")}


def encode(value: Any) -> Any:
    """`value` with every `bytes` in its protocol form (for inputs, answers and evidence)."""
    if isinstance(value, bytes | bytearray):
        return blob(bytes(value))
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    return value


def dumps(value: Any) -> str:
    """`value` as one protocol JSON line."""
    return json.dumps(encode(value))


def _unblob(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {BLOB_KEY} and isinstance(value[BLOB_KEY], str):
        try:
            return base64.b64decode(value[BLOB_KEY], validate=True)
        except (binascii.Error, ValueError):
            return value
    return value


def decode_shape(source: ModelSource, shape_name: str, value: Any) -> Any:
    """`value` read as `shape_name`: blob positions in protocol form become `bytes`.

    Anything else is left as it is (unknown members included), so that the judge
    sees and reports what an adapter sent that does not fit.
    """
    shape = source.shape(shape_name)
    kind = shape["type"]
    if kind == "blob":
        return _unblob(value)
    if kind == "structure" and isinstance(value, dict):
        members = shape["members"]
        return {
            name: decode_shape(source, members[name]["shape"], item) if name in members else item
            for name, item in value.items()
        }
    if kind == "list" and isinstance(value, list):
        return [decode_shape(source, shape["member"]["shape"], item) for item in value]
    if kind == "map" and isinstance(value, dict):
        target = shape["value"]["shape"]
        return {key: decode_shape(source, target, item) for key, item in value.items()}
    return value


def decode_input(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """A call's `input` as Python values (what an adapter in Python does first)."""
    model = _model().operation(operation)
    if model is None:
        return params
    decoded: dict[str, Any] = decode_shape(_model(), model["input"]["shape"], params)
    return decoded


def decode_answer(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
    """An adapter's answer with the blobs of its `output` as `bytes`."""
    model = _model().operation(operation)
    output = answer.get("output")
    if model is None or "output" not in model or not isinstance(output, dict):
        return answer
    return {**answer, "output": decode_shape(_model(), model["output"]["shape"], output)}
