from __future__ import annotations

import pytest

from harness.emulator.exceptions import ValidationException
from harness.emulator.faults import Switchboard
from harness.emulator.pagination import TokenCodec

SCOPE = {"op": "ListDICOMImportJobs", "datastoreId": "a" * 32, "status": None}


def test_a_token_round_trips() -> None:
    codec = TokenCodec(b"secret")
    assert codec.read(codec.issue(41, SCOPE), SCOPE) == 41


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token + "x",
        lambda token: token.replace(".", ".A", 1),
        lambda token: "e30=." + token.split(".")[1],
        lambda token: "%%%",
        lambda token: "",
    ],
)
def test_altered_tokens_are_validation_errors(mangle: object) -> None:
    codec = TokenCodec(b"secret")
    token = codec.issue(3, SCOPE)
    with pytest.raises(ValidationException):
        codec.read(mangle(token), SCOPE)  # type: ignore[operator]


def test_a_token_is_bound_to_its_scope_and_issuer() -> None:
    codec = TokenCodec(b"secret")
    token = codec.issue(3, SCOPE)
    with pytest.raises(ValidationException):
        codec.read(token, {**SCOPE, "status": "COMPLETED"})
    with pytest.raises(ValidationException):
        TokenCodec(b"other").read(token, SCOPE)


def test_with_token_scope_unchecked_another_operations_token_is_read() -> None:
    codec = TokenCodec(b"secret", Switchboard.of(["token-scope-unchecked"]))
    other = {"op": "ListDatastores", "status": None}
    assert codec.read(codec.issue(3, SCOPE), other) == 3
