"""pytest front end for the server suite: the same engine, one test item per outcome.

    pytest --pyargs harness.pytest_plugin.test_conformance [--ahi-endpoint URL ...]

The suite runs once, when the test module is collected, and each (check,
operation) outcome becomes a test that passes or fails with its evidence.
Use it without pytest-xdist's `-n`: each worker would run the suite again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.report.record import RunRecord
from harness.report.writers import write_reports
from harness.server.options import CredentialsMissing, add_options, option_values, server_options
from harness.server.runner import execute
from harness.server.selection import UnknownCheck

_RECORD = pytest.StashKey[RunRecord]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ahi-contract", "AWS HealthImaging contract suite")
    add_options(group.addoption, "ahi-")


@pytest.fixture()
def ahi_scripted() -> Any:
    """`harness.sdk.responses_transport.scripted`: script a catalogue scenario for `requests`."""
    from harness.sdk.responses_transport import scripted

    return scripted


def server_record(config: pytest.Config) -> RunRecord:
    """The session's server run, executed on first use."""
    if _RECORD not in config.stash:
        try:
            options = server_options(option_values(config.option, "ahi-"))
        except CredentialsMissing as error:
            raise pytest.UsageError(str(error)) from None
        try:
            record = execute(options)
        except UnknownCheck as error:
            raise pytest.UsageError(str(error)) from None
        report_dir = config.option.ahi_report_dir
        if report_dir:
            write_reports(record, Path(report_dir))
        config.stash[_RECORD] = record
    return config.stash[_RECORD]
