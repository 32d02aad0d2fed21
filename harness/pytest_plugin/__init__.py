"""pytest plugin of ahi-contract: the server suite as test items, and the emulator as
fixtures for an application's own tests.

    pytest --pyargs harness.pytest_plugin.test_conformance [--ahi-endpoint URL ...]

The suite runs once, when the test module is collected, and each (check,
operation) outcome becomes a test that passes or fails with its evidence.
Use it without pytest-xdist's `-n`: each worker would run the suite again.

The emulator fixtures (`ahi_emulator`, `ahi_imaging`, `ahi_s3`, `ahi_loaded`,
`ahi_environment`) start nothing until a test asks for one; then one emulator runs per
session, which under pytest-xdist is one per worker. Files to load come from
`--ahi-load PATH`, the `ahi_load` ini setting, or a test's `@pytest.mark.ahi_load(PATH)`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.server.options import add_options

if TYPE_CHECKING:
    from harness.emulator.loading import LoadResult
    from harness.emulator.testing import RunningEmulator
    from harness.report.record import RunRecord

# Loaded in every pytest session where ahi-contract is installed: what only a server run
# or an emulator fixture needs is imported when one is used.
_RECORD = pytest.StashKey["RunRecord"]()
LOAD_MARKER = "ahi_load"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ahi-contract", "AWS HealthImaging contract suite")
    add_options(group.addoption, "ahi-")
    emulator = parser.getgroup(
        "ahi-contract emulator", "the HealthImaging emulator for your tests (ahi_* fixtures)"
    )
    emulator.addoption(
        "--ahi-load",
        action="append",
        default=[],
        metavar="PATH",
        help="DICOM P10 files, a folder or a glob pattern to load into the session's "
        "emulator when a test first uses it (the `ahi_loaded` fixture); repeatable",
    )
    emulator.addoption(
        "--ahi-load-sample",
        action="store_true",
        help="load ahi-contract's bundled known set (pydicom's CT, MR, RT dose and "
        "compressed files, and broken ones the import refuses) too",
    )
    parser.addini(
        "ahi_load",
        type="paths",
        default=[],
        help="files, folders or glob patterns to load into the emulator, one per line, "
        "relative to the configuration file",
    )
    parser.addini(
        "ahi_load_sample", type="bool", default=False, help="load the bundled known set too"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{LOAD_MARKER}(*paths, sample=False): load these DICOM files (relative to the test's "
        "folder) into the session's emulator for the `ahi_loaded` fixture; a set is "
        "imported once per session",
    )


@pytest.fixture(scope="session")
def ahi_emulator(pytestconfig: pytest.Config) -> Iterator[RunningEmulator]:
    """The HealthImaging emulator and its S3 on free ports, one per session (per
    pytest-xdist worker), loaded with `--ahi-load` and the `ahi_load` ini setting."""
    from harness.emulator.loading import LoadError, LoadFailed
    from harness.emulator.testing import running_emulator

    given, configured = pytestconfig.getoption("ahi_load"), pytestconfig.getini("ahi_load")
    sample = bool(
        pytestconfig.getoption("ahi_load_sample") or pytestconfig.getini("ahi_load_sample")
    )
    try:
        with running_emulator(*given, *configured, sample=sample) as running:
            yield running
    except (LoadError, LoadFailed) as error:
        origin = " or ".join(
            name for name, paths in (("--ahi-load", given), ("ahi_load", configured)) if paths
        )
        pytest.fail(f"{origin or 'ahi_emulator'}: {error}", pytrace=False)


@pytest.fixture(scope="session")
def ahi_imaging(ahi_emulator: RunningEmulator) -> Any:
    """A boto3 `medical-imaging` client for the emulator (no `runtime-` host prefix)."""
    return ahi_emulator.imaging


@pytest.fixture(scope="session")
def ahi_s3(ahi_emulator: RunningEmulator) -> Any:
    """A boto3 `s3` client for the emulator's S3."""
    return ahi_emulator.s3


@pytest.fixture()
def ahi_loaded(request: pytest.FixtureRequest, ahi_emulator: RunningEmulator) -> LoadResult:
    """What was loaded for this test: the files of its `ahi_load` marker (imported once per
    session and set), else those of `--ahi-load` and the `ahi_load` ini setting."""
    from harness.emulator.loading import LoadError, LoadFailed

    marker = request.node.get_closest_marker(LOAD_MARKER)
    if marker is None:
        if ahi_emulator.loaded is None:
            pytest.fail(
                "ahi_loaded: nothing to load; give --ahi-load PATH, the ahi_load ini setting "
                f"or @pytest.mark.{LOAD_MARKER}(PATH)",
                pytrace=False,
            )
        return ahi_emulator.loaded
    folder = Path(request.node.path).parent
    paths = [folder / path for path in marker.args]
    try:
        return ahi_emulator.load(*paths, sample=bool(marker.kwargs.get("sample", False)))
    except (LoadError, LoadFailed) as error:
        pytest.fail(f"@pytest.mark.{LOAD_MARKER}: {error}", pytrace=False)


@pytest.fixture()
def ahi_environment(
    ahi_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The `AWS_*` variables that point boto3 and other SDKs at the emulator, set for this
    test (code that makes its own clients reaches the emulator); the variables set."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in ahi_emulator.environment.items():
        monkeypatch.setenv(name, value)
    return ahi_emulator.environment


@pytest.fixture()
def ahi_scripted() -> Any:
    """`harness.sdk.responses_transport.scripted`: script a catalogue scenario for `requests`."""
    from harness.sdk.responses_transport import scripted

    return scripted


def server_record(config: pytest.Config) -> RunRecord:
    """The session's server run, executed on first use."""
    from harness.report.writers import write_reports
    from harness.server.options import CredentialsMissing, option_values, server_options
    from harness.server.runner import execute
    from harness.server.selection import UnknownCheck

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
