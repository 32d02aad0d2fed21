"""Every operation in scope reaches every layer: forgetting one fails here, not silently."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.emulator.account import Account
from harness.emulator.faults import Switchboard
from harness.emulator.http.app import EmulatorApp
from harness.emulator.http.auth import CredentialStore
from harness.emulator.resources import Resources
from harness.emulator.storage.store import Store
from harness.model import IN_SCOPE_OPERATIONS, load_pinned_model, operations
from harness.sdk.scenarios import BY_ID, SAMPLE_INPUT, SAMPLE_OUTPUT

SPEC = Path(__file__).parents[2] / "specs" / "medical-imaging.openapi.yaml"


def test_the_scope_is_the_whole_pinned_model() -> None:
    assert set(IN_SCOPE_OPERATIONS) == set(load_pinned_model().document["operations"])
    assert list(operations()) == list(IN_SCOPE_OPERATIONS)


def test_the_emulator_serves_every_operation() -> None:
    board = Switchboard.of([])
    owners = Resources.of(Account(Store(), board)).owners()
    app = EmulatorApp(load_pinned_model(), owners, CredentialStore.from_pairs(["a:b"]), board)
    assert set(app.handlers) == set(IN_SCOPE_OPERATIONS)


def test_the_committed_spec_has_every_operation() -> None:
    document = yaml.safe_load(SPEC.read_text())
    found = {
        operation["operationId"]
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    assert found == set(IN_SCOPE_OPERATIONS)


@pytest.mark.parametrize("operation", IN_SCOPE_OPERATIONS)
def test_the_sdk_catalogue_serializes_and_maps_errors_of_every_operation(operation: str) -> None:
    assert operation in SAMPLE_INPUT and operation in SAMPLE_OUTPUT
    assert f"SDK-SERIALIZE-{operation}" in BY_ID
    assert any(
        scenario.operation == operation for scenario in BY_ID.values() if "-ERR-" in scenario.id
    )
