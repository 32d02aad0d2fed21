"""The emulator inside an application's tests: one `with` starts it, loads files, and hands
out ready clients.

    from harness.emulator.testing import running_emulator

    with running_emulator("tests/dicom") as ahi:
        found = ahi.imaging.search_image_sets(datastoreId=ahi.datastore_id)

The service and its S3 take free loopback ports; state is in memory unless `config`
names a `--state` file. Timings are shortened for tests (`TEST_LIMITS`): data stores are
ACTIVE after 0.1 s and import jobs start at once. The pytest plugin's `ahi_*` fixtures are
built on this module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config

from harness.emulator.account import Limits
from harness.emulator.loading import (
    Loader,
    LoadFile,
    LoadRecords,
    LoadResult,
    MemoryLoadRecords,
    StateLoadRecords,
    find_files,
    sample_files,
)
from harness.emulator.service import Emulator, EmulatorConfig

TEST_LIMITS = Limits(datastore_transition_seconds=0.1, job_start_delay_seconds=0.0)
"""The service's quotas, with data stores ACTIVE after 0.1 s and jobs started at once."""


def config_for_tests(**overrides: Any) -> EmulatorConfig:
    """An `EmulatorConfig` with `TEST_LIMITS`, free ports and in-memory state; keyword
    arguments set other fields (`faults=("slow-responses",)`, `state=Path(...)`)."""
    overrides.setdefault("limits", TEST_LIMITS)
    return EmulatorConfig(**overrides)


@dataclass
class RunningEmulator:
    """A started emulator and what a test needs of it: endpoints, region, credentials,
    boto3 clients, and the files loaded into it."""

    emulator: Emulator
    loaded: LoadResult | None = None
    """The load the emulator was started with, if any."""
    records: LoadRecords = field(default_factory=MemoryLoadRecords)

    @property
    def url(self) -> str:
        """The HealthImaging endpoint, `http://127.0.0.1:PORT`."""
        return self.emulator.url

    @property
    def s3_url(self) -> str:
        """The S3 endpoint the import jobs read (the embedded one unless configured)."""
        return self.emulator.s3_url

    @property
    def region(self) -> str:
        return self.emulator.config.region

    @property
    def access_key(self) -> str:
        """The key of the first credentials the service accepts."""
        return self.emulator.config.credentials[0].split(":", 2)[0]

    @property
    def secret_key(self) -> str:
        return self.emulator.config.credentials[0].split(":", 2)[1]

    @property
    def environment(self) -> dict[str, str]:
        """The variables that point boto3, the AWS CLI and other SDKs at the emulator and
        its S3 (what `ahi-contract emulator` prints as `export` lines)."""
        return {
            "AWS_ENDPOINT_URL_MEDICAL_IMAGING": self.url,
            "AWS_ENDPOINT_URL_S3": self.s3_url,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
        }

    def client(self, service_name: str, **config: Any) -> Any:
        """A new boto3 client for `medical-imaging` (without the `runtime-` host prefix) or
        `s3` (path-style, with the keys the emulator's own S3 calls use) on the emulator;
        `config` adds botocore `Config` settings."""
        settings: dict[str, Any] = {}
        key, secret = self.access_key, self.secret_key
        if service_name == "medical-imaging":
            settings["inject_host_prefix"] = False
            endpoint = self.url
        elif service_name == "s3":
            settings["s3"] = {"addressing_style": "path"}
            endpoint = self.s3_url
            key, secret = self.emulator.config.s3_access_key, self.emulator.config.s3_secret_key
        else:
            raise ValueError(f"the emulator serves medical-imaging and s3, not {service_name}")
        settings.update(config)
        return boto3.client(
            service_name,
            endpoint_url=endpoint,
            region_name=self.region,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(**settings),
        )

    @cached_property
    def imaging(self) -> Any:
        """A boto3 `medical-imaging` client for the emulator, made on first use."""
        return self.client("medical-imaging")

    @cached_property
    def s3(self) -> Any:
        """A boto3 `s3` client for the emulator's S3, made on first use."""
        return self.client("s3")

    @property
    def datastore_id(self) -> str:
        """The data store of the load the emulator started with."""
        return self._loaded().datastore_id

    @property
    def image_set_ids(self) -> tuple[str, ...]:
        """The image sets of the load the emulator started with."""
        return self._loaded().image_set_ids

    def _loaded(self) -> LoadResult:
        if self.loaded is None:
            raise LookupError("nothing was loaded: pass files to running_emulator(...)")
        return self.loaded

    def load(
        self, *paths: str | os.PathLike[str], sample: bool = False, timeout: float = 600.0
    ) -> LoadResult:
        """Load files, folders or glob patterns (and the bundled set with `sample`) into a
        new data store; a set loaded before into this emulator is not loaded again.
        LoadError for a path that names nothing or no DICOM file; LoadFailed when the
        import fails."""
        files: list[LoadFile] = find_files(paths)
        if sample:
            files += sample_files()
        loader = Loader(
            self.imaging, self.s3, region=self.region, records=self.records, timeout=timeout
        )
        return loader.load(files)


@contextmanager
def running_emulator(
    *paths: str | os.PathLike[str],
    sample: bool = False,
    config: EmulatorConfig | None = None,
) -> Iterator[RunningEmulator]:
    """Start the emulator and its S3 on free ports (`config_for_tests()` unless `config` is
    given), load `paths` and, with `sample`, the bundled known set; stop it all at the end.

    Loads are remembered in the `--state` file when `config` names one, so an unchanged
    set is imported once across runs; otherwise for the life of the emulator.
    """
    emulator = Emulator(config or config_for_tests())
    state = emulator.config.state
    records: LoadRecords = StateLoadRecords(state) if state else MemoryLoadRecords()
    with emulator:
        running = RunningEmulator(emulator, records=records)
        if paths or sample:
            running.loaded = running.load(*paths, sample=sample)
        yield running
