"""One proxy session: a real HTTP server on a loopback port in front of the upstream.

`ContractProxy` is a context manager: entering starts the server (the emulator's
cheroot server, which takes both origin-form and absolute-form request lines),
`finish()` stops it and judges the whole history; what it returns is the run's
record, for the report writers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from harness.aws.sigv4 import AwsCredentials
from harness.emulator.http.server import HttpServer, ServerSettings
from harness.proxy.judge import LiveJudge
from harness.proxy.relay import Relay
from harness.proxy.upstream import Upstream
from harness.report.record import Outcome, RunRecord

MAX_BODY_BYTES = 256 * 1024 * 1024
"""A longer request is answered 413: the proxy holds each body whole, and an application's
S3 uploads pass through it in forward mode."""


@dataclass(frozen=True)
class ProxySettings:
    """How a proxy session runs."""

    upstream: str
    """A URL, or `aws` for the service's own endpoints in `region`."""
    region: str = "us-east-1"
    host: str = "127.0.0.1"
    port: int = 0
    resign: bool = False
    """Sign every request again with the proxy's credentials (always toward AWS)."""
    job_timeout: float = 60.0
    """How long, when the session ends, the proxy polls jobs it last saw running."""
    request_timeout: float = 60.0


class ContractProxy:
    """A running proxy: `url` is where applications send their requests."""

    def __init__(
        self,
        settings: ProxySettings,
        credentials: AwsCredentials | None = None,
        report: Callable[[Outcome], None] = lambda outcome: None,
    ) -> None:
        """`credentials` are the proxy's own (the standard chain's): it signs with them when
        it signs again, and polls jobs with them when the session ends."""
        self.settings = settings
        resign = settings.resign or settings.upstream == "aws"
        self.upstream = Upstream.named(
            settings.upstream, settings.region, credentials if resign else None
        )
        self.judged = threading.Event()
        self.limit: int | None = None
        self.judge = LiveJudge(
            self.upstream,
            credentials,
            settings.job_timeout,
            report,
            {"mode": "reverse and forward", "resigned": resign},
        )
        self.relay = Relay(self.upstream, self.judge, settings.request_timeout, self._counted)
        self.server = HttpServer(
            settings.host,
            settings.port,
            self.relay,
            ServerSettings(threads=32, max_body_bytes=MAX_BODY_BYTES),
        )
        self._record: RunRecord | None = None

    @property
    def url(self) -> str:
        return self.server.url

    def _counted(self) -> None:
        if self.limit is not None and self.judge.requests >= self.limit:
            self.judged.set()

    def __enter__(self) -> ContractProxy:
        self.server.start()
        return self

    def finish(self) -> RunRecord:
        """Stop taking requests, judge the history and the run; the record (once)."""
        if self._record is None:
            self.server.stop()
            self._record = self.judge.finish()
        return self._record

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._record is None:
            self.server.stop()
            self.judge.close()
