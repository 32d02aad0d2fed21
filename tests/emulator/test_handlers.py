"""Handlers are found from the operation table: one for each operation, none left over."""

from __future__ import annotations

from typing import Any

import pytest

from harness.emulator.account import Account
from harness.emulator.faults import Switchboard
from harness.emulator.handlers import HandlerMismatch, handler, handlers_for, method_name
from harness.emulator.http.app import EmulatorApp
from harness.emulator.http.auth import CredentialStore
from harness.emulator.resources import Resources
from harness.emulator.storage.store import Store
from harness.emulator.tagging import Tagging
from harness.model import IN_SCOPE_OPERATIONS, load_pinned_model, operations


def _owners() -> tuple[object, ...]:
    return Resources.of(Account(Store(), Switchboard.of([]))).owners()


class _Stray:
    @handler
    def frobnicate_image_set(self, request: dict[str, Any]) -> dict[str, Any]:
        return request


def test_every_operation_of_the_table_has_one_handler() -> None:
    found = handlers_for(operations(), _owners())
    assert list(found) == list(IN_SCOPE_OPERATIONS)
    for operation, bound in found.items():
        assert bound.__name__ == method_name(operation)


@pytest.mark.parametrize(
    ("operation", "name"),
    [
        ("StartDICOMImportJob", "start_dicom_import_job"),
        ("GetImageSetMetadata", "get_image_set_metadata"),
        ("ListTagsForResource", "list_tags_for_resource"),
    ],
)
def test_a_handler_is_named_after_its_operation(operation: str, name: str) -> None:
    assert method_name(operation) == name


def test_an_operation_without_a_handler_is_refused() -> None:
    owners = [owner for owner in _owners() if not isinstance(owner, Tagging)]
    with pytest.raises(HandlerMismatch, match="TagResource has no handler") as raised:
        handlers_for(operations(), owners)
    assert "UntagResource" in str(raised.value) and "ListTagsForResource" in str(raised.value)


def test_a_handler_of_no_operation_is_refused() -> None:
    with pytest.raises(HandlerMismatch, match="frobnicate_image_set handles no operation"):
        handlers_for(operations(), [*_owners(), _Stray()])


def test_an_operation_handled_twice_is_refused() -> None:
    owners = _owners()
    tagging = next(owner for owner in owners if isinstance(owner, Tagging))
    with pytest.raises(HandlerMismatch, match="tag_resource is handled twice"):
        handlers_for(operations(), [*owners, tagging])


def test_the_application_refuses_to_start_without_every_handler() -> None:
    credentials = CredentialStore.from_pairs(["a:b"])
    with pytest.raises(HandlerMismatch, match="has no handler"):
        EmulatorApp(load_pinned_model(), [], credentials, Switchboard.of([]))
