"""pytest front end for the server suite: the same engine, one test item per outcome.

    pytest --pyargs harness.server.test_conformance [--ahi-endpoint URL ...]

The suite runs once, when the test module is collected, and each (check,
operation) outcome becomes a test that passes or fails with its evidence.
Use it without pytest-xdist's `-n`: each worker would run the suite again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from harness.report.record import RunRecord
from harness.report.writers import write_reports
from harness.server.runner import ServerOptions, execute
from harness.sigv4 import AwsCredentials

_RECORD = pytest.StashKey[RunRecord]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ahi-contract", "AWS HealthImaging contract suite")
    group.addoption("--ahi-endpoint", help="target URL (default: the embedded emulator)")
    group.addoption("--ahi-region", default=os.environ.get("AWS_REGION", "us-east-1"))
    group.addoption("--ahi-s3-endpoint")
    group.addoption("--ahi-role-arn")
    group.addoption("--ahi-datastore-id")
    group.addoption("--ahi-job-quota", type=int)
    group.addoption("--ahi-profile", default="quick", choices=("quick", "full"))
    group.addoption("--ahi-seed", type=int)
    group.addoption("--ahi-fault", action="append", default=[])
    group.addoption("--ahi-report-dir", help="also write junit.xml and results.json here")


def _options(config: pytest.Config) -> ServerOptions:
    option: Any = config.option
    options = ServerOptions(
        endpoint=option.ahi_endpoint,
        region=option.ahi_region,
        s3_endpoint=option.ahi_s3_endpoint,
        datastore_id=option.ahi_datastore_id,
        job_quota=option.ahi_job_quota,
        profile=option.ahi_profile,
        seed=option.ahi_seed,
        faults=tuple(option.ahi_fault),
    )
    if option.ahi_role_arn:
        options.role_arn = option.ahi_role_arn
    if option.ahi_endpoint:
        options.credentials = AwsCredentials(
            os.environ["AWS_ACCESS_KEY_ID"],
            os.environ["AWS_SECRET_ACCESS_KEY"],
            os.environ.get("AWS_SESSION_TOKEN"),
        )
    return options


@pytest.fixture()
def ahi_scripted() -> Any:
    """`harness.sdk.responses_transport.scripted`: script a catalogue scenario for `requests`."""
    from harness.sdk.responses_transport import scripted

    return scripted


def server_record(config: pytest.Config) -> RunRecord:
    """The session's server run, executed on first use."""
    if _RECORD not in config.stash:
        record = execute(_options(config))
        report_dir = config.option.ahi_report_dir
        if report_dir:
            write_reports(record, Path(report_dir))
        config.stash[_RECORD] = record
    return config.stash[_RECORD]
