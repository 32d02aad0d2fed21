"""Every operation in scope has a sample input, and each satisfies the model."""

from __future__ import annotations

import pytest

from harness.emulator.exceptions import ValidationException
from harness.emulator.http.validation import InputValidator
from harness.model import IN_SCOPE_OPERATIONS, load_pinned_model, operations
from harness.model.samples import sample_input

VALIDATOR = InputValidator(load_pinned_model())


@pytest.mark.parametrize("operation", IN_SCOPE_OPERATIONS)
def test_the_sample_input_satisfies_the_model(operation: str) -> None:
    VALIDATOR.check(operations()[operation].input_shape, sample_input(operation))


def test_the_validator_would_notice_a_broken_sample() -> None:
    broken = {**sample_input("GetImageSet"), "imageSetId": "NOT-AN-ID"}
    with pytest.raises(ValidationException):
        VALIDATOR.check(operations()["GetImageSet"].input_shape, broken)
