from __future__ import annotations

from harness.model import operations
from harness.server.checks.idempotency import TOKEN_OPERATIONS


def test_every_idempotency_token_of_the_model_is_exercised() -> None:
    with_tokens = {name for name, op in operations().items() if op.idempotency_tokens}
    assert with_tokens == set(TOKEN_OPERATIONS)
    for name, case in TOKEN_OPERATIONS.items():
        outputs = {member.name for member in operations()[name].outputs}
        assert case.made_member in outputs
        inputs = {member.name for member in operations()[name].inputs}
        assert set(case.conflicting) <= inputs
