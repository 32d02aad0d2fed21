"""What a scenario is: scripted replies, one call (or several), and what a correct SDK does.

Inputs and expected outputs are Python values: `bytes` for blobs, epoch
seconds for timestamps.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from harness.checks import Source
from harness.sdk.matchers import RequestRule
from harness.sdk.stub import Reply


def reply(
    status: int, body: Any = None, error_type: str | None = None, raw: bytes | None = None
) -> Reply:
    """A reply with a JSON body (or `raw` bytes) and, for errors, `X-Amzn-Errortype`."""
    headers: list[tuple[str, str]] = []
    if error_type is not None:
        headers.append(("X-Amzn-Errortype", error_type))
    data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    if data and raw is None:
        headers.append(("Content-Type", "application/json"))
    return Reply(status, tuple(headers), data)


@dataclass(frozen=True, kw_only=True)
class Expect:
    """What a correct SDK reports (for the last call): its output, or an error of the
    service or the client; and how many requests it sends in all."""

    outcome: Literal["output", "service", "client"]
    code: str | None = None
    modeled: bool | None = None
    message: str | None = None
    http_status: int | None = None
    attempts: int | None = None
    output: dict[str, Any] | None = None


@dataclass(frozen=True)
class Resolution:
    """Endpoint settings instead of the stub's endpoint: the SDK resolves the host itself.

    `endpoint` is a custom endpoint (None: none); `region` None sends no region.
    """

    region: str | None
    use_fips: bool = False
    use_dualstack: bool = False
    endpoint: str | None = None


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """One catalogue entry; its ID is also a registered check.

    The last fields become the calls' `config` (adapter protocol 1.1):
    `host_prefix` sends `hostPrefix: true` and the stub as `proxy`; `via_proxy`
    sends the stub as `proxy` with `hostPrefix: false`;
    `shared_client` sends one `clientId` on every call, so that the SDK keeps
    its retry quota and clock offset between them; `short_backoff` false asks
    for the SDK's own backoff delays; `timeout` is `timeoutSeconds`;
    `resolution` sends no stub endpoint but a region, FIPS and dual-stack flags
    (and a custom endpoint, if any), with the stub as the SDK's proxy;
    `retries_2026` is the same scenario (same ID) as it applies to an SDK that
    declares the 2026 retry behaviour, when that changes what is expected.
    """

    id: str
    family: str
    rule: str
    source: Source
    reference: str
    operation: str
    params: dict[str, Any]
    replies: tuple[Reply, ...]
    expect: Expect
    max_attempts: int = 3
    calls: int = 1
    request_rules: tuple[RequestRule, ...] = field(default_factory=tuple)
    host_prefix: bool = False
    via_proxy: bool = False
    shared_client: bool = False
    short_backoff: bool = True
    timeout: float | None = None
    resolution: Resolution | None = None
    retries_2026: Scenario | None = None

    def for_retries(self, behaviour: str) -> Scenario:
        """The scenario as it applies to an SDK running this retry behaviour (`2026`, else
        the standard one): its `retries_2026` variant, when it has one, for `2026`."""
        if behaviour == "2026" and self.retries_2026 is not None:
            return self.retries_2026
        return self

    def for_errors(self, typing: str) -> Scenario:
        """The scenario as it applies to an SDK whose errors are typed this way (`code`: one
        error type for every service error, told apart by code; else a type per modeled
        error): for `code`, whether the error was the modeled type is not judged."""
        if typing != "code" or self.expect.modeled is None:
            return self
        return replace(self, expect=replace(self.expect, modeled=None))

    @property
    def proxied(self) -> bool:
        """Whether the SDK reaches the stub as its HTTP proxy."""
        return self.host_prefix or self.via_proxy or self.resolution is not None

    @property
    def in_process(self) -> bool:
        """Whether `requests` mocked in-process can play it: no sockets, clocks or SDK state."""
        socket_needed = any(
            reply.delay or reply.reset or reply.date_offset != 0.0 for reply in self.replies
        )
        return not (
            socket_needed
            or self.proxied
            or self.shared_client
            or not self.short_backoff
            or self.timeout is not None
        )


Add = Callable[[Scenario], None]
