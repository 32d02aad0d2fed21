"""The emulator as a running service: S3, state, worker and HTTP server wired together.

`Emulator` starts everything on real loopback ports and stops it again; it is a
context manager that returns once the service port answers.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from harness.emulator.account import Account, Limits
from harness.emulator.faults import Switchboard
from harness.emulator.http.app import EmulatorApp
from harness.emulator.http.auth import CredentialStore
from harness.emulator.http.server import HealthAndLog, HttpServer, ServerSettings
from harness.emulator.imports.preparation import PROCESS_MIN_FILES
from harness.emulator.imports.worker import ImportWorker
from harness.emulator.resources import Resources
from harness.emulator.storage.s3 import EmbeddedS3, S3Settings
from harness.emulator.storage.s3_process import S3Process
from harness.emulator.storage.store import Store
from harness.model import load_pinned_model

DEFAULT_CREDENTIALS = ("test:test",)


@dataclass
class EmulatorConfig:
    """Everything `ahi-contract emulator` takes on its command line."""

    host: str = "127.0.0.1"
    port: int = 0
    s3_endpoint: str | None = None
    s3_access_key: str = "test"
    s3_secret_key: str = "test"
    state: Path | None = None
    credentials: tuple[str, ...] = DEFAULT_CREDENTIALS
    faults: tuple[str, ...] = ()
    region: str = "us-east-1"
    limits: Limits = field(default_factory=Limits)
    worker_threads: int = 2
    import_processes: int = 0
    """Worker processes that prepare the files of large imports (see `preparation`); 0,
    the default for an emulator inside another program, keeps them on threads."""
    import_process_min_files: int = PROCESS_MIN_FILES
    """The smallest import whose files go to the worker processes."""
    s3_process: bool = False
    """Run the embedded S3 in a process of its own (`s3_process`), as the command line does;
    the default keeps it in this process, which starts faster."""
    http: ServerSettings = field(default_factory=ServerSettings)
    access_log: IO[str] | None = None


class Emulator:
    """A HealthImaging service (data stores, import jobs, image sets) on a loopback port,
    with its S3."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.faults = Switchboard.of(self.config.faults)
        self.credentials = CredentialStore.from_pairs(
            list(self.config.credentials), self.config.region
        )
        self._embedded_s3: EmbeddedS3 | S3Process | None = None
        self._server: HttpServer | None = None
        self._store: Store | None = None
        self._worker: ImportWorker | None = None
        self.resources: Resources | None = None
        self.s3_url = self.config.s3_endpoint or ""
        self.url = ""
        self.resumed_jobs = 0

    @property
    def s3(self) -> S3Settings:
        """How to reach the S3 endpoint this emulator's jobs use."""
        return S3Settings(
            self.s3_url, self.config.s3_access_key, self.config.s3_secret_key, self.config.region
        )

    def start(self) -> Emulator:
        """Start S3, state, worker and HTTP server; on any failure, stop what started."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> Emulator:
        if not self.config.s3_endpoint:
            embedded = S3Process if self.config.s3_process else EmbeddedS3
            self._embedded_s3 = embedded(self.config.host)
            self.s3_url = self._embedded_s3.start()
        self._store = Store(self.config.state)
        account = Account(self._store, self.faults, self.config.limits, region=self.config.region)
        self.resources = resources = Resources.of(account)
        self._worker = ImportWorker(
            resources.jobs,
            resources.image_sets,
            self.s3,
            threads=self.config.worker_threads,
            processes=self.config.import_processes,
            process_min_files=self.config.import_process_min_files,
        )
        self.resumed_jobs = self._worker.resume_unfinished()
        app = EmulatorApp(load_pinned_model(), resources.owners(), self.credentials, self.faults)
        self._server = HttpServer(
            self.config.host,
            self.config.port,
            HealthAndLog(app, self.config.access_log),
            self.config.http,
        )
        self.url = self._server.start()
        host, _, port = self.url.removeprefix("http://").rpartition(":")
        _wait_for_port(host, int(port))
        return self

    def stop(self) -> None:
        """Stop taking requests, let those in flight finish, stop the worker (running jobs
        stay unfinished in the store and resume on the next start), close the store."""
        server, worker, store, s3 = self._server, self._worker, self._store, self._embedded_s3
        self._server = self._worker = self._store = self._embedded_s3 = None
        if server is not None:
            server.stop()
        if worker is not None:
            worker.shutdown()
        if store is not None:
            store.close()
        if s3 is not None:
            s3.stop()

    def serve_forever(self) -> None:
        """Block until interrupted (for the CLI)."""
        while self._server is not None and self._server.alive():
            time.sleep(0.5)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def describe(self) -> dict[str, Any]:
        return {"service": self.url, "s3": self.s3_url, "faults": sorted(self.faults.enabled)}


def _wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
