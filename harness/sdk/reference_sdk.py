"""The reference client as an SDK: the retry quota and clock offset an SDK client keeps.

`ImagingClient` makes one call at a time; an SDK client also carries state
from call to call. `SdkClient` adds it, following the AWS SDKs' standard retry
mode and clock-skew correction:

- a retry quota of 500 tokens per client; a retry takes 5 (10 after a
  timeout); a call that succeeds gives back what its last retry took, or 1 when
  it needed none; a retry that cannot take its tokens is not made;
- a clock offset: a clock-skew error whose `Date` is 5 minutes or more from
  the client's clock sets the offset to the server's time and is retried at
  once; later requests are signed with the offset too;
- `amz-sdk-request: attempt=N; max=M` on every attempt;
- timeouts and dropped connections are retried like transient errors;
- endpoint resolution from region, FIPS and dual-stack settings by the
  service's endpoint ruleset (`harness.sdk.endpoints`) when no endpoint is
  given; a configuration the ruleset rejects, or no region to sign for, fails
  every call before any request.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests
import urllib3

from harness.client import ClientConfig, ClientSideError, ImagingClient, ServiceError
from harness.model import Operation
from harness.restjson import header_value
from harness.sdk.endpoints import EndpointError, EndpointSettings, resolve
from harness.sigv4 import SigV4RequestsAuth

QUOTA_TOKENS = 500
RETRY_COST = 5
TIMEOUT_RETRY_COST = 10
NO_RETRY_INCREMENT = 1
# Codes that may mean the signing clock is off (AWS SDK clock-skew correction).
CLOCK_SKEW_CODES = frozenset(
    {
        "RequestTimeTooSkewed",
        "RequestExpired",
        "RequestInTheFuture",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "AuthFailure",
    }
)
SKEW_THRESHOLD = timedelta(minutes=5)


@dataclass
class RetryQuota:
    """The tokens a client may still spend on retries."""

    tokens: int = QUOTA_TOKENS
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self, cost: int) -> bool:
        """Spend `cost` tokens if there are that many."""
        with self._lock:
            if self.tokens < cost:
                return False
            self.tokens -= cost
            return True

    def give_back(self, amount: int) -> None:
        with self._lock:
            self.tokens = min(QUOTA_TOKENS, self.tokens + amount)


class SdkClient(ImagingClient):
    """`ImagingClient` with a retry quota and a clock offset that live as long as the client."""

    def __init__(
        self,
        config: ClientConfig,
        session: requests.Session | None = None,
        *,
        endpoint_settings: EndpointSettings | None = None,
        **keywords: Any,
    ) -> None:
        super().__init__(config, session, **keywords)
        self.quota = RetryQuota()
        self.clock_offset = timedelta()
        self.auth = SigV4RequestsAuth(config.credentials, config.region, clock=self._now)
        self.endpoint_problem: str | None = None
        if endpoint_settings is not None:
            self.endpoint_problem = self._resolve_endpoint(endpoint_settings)

    def _resolve_endpoint(self, settings: EndpointSettings) -> str | None:
        """Set the endpoint the ruleset gives; what is wrong with the settings, or None."""
        try:
            self.config.endpoint = self._endpoint_for(settings)
        except EndpointError as error:
            return str(error)
        if settings.region is None:
            return "no region to sign for (SigV4 credential scope)"
        return None

    def _endpoint_for(self, settings: EndpointSettings) -> str:
        return resolve(settings)

    def _base_url(self, operation: Operation) -> str:
        if self.endpoint_problem is not None:
            raise ClientSideError(self.endpoint_problem)
        return super()._base_url(operation)

    def _now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        binding, request = self._validated(operation, params)
        invocation_id = str(uuid.uuid4())
        attempts = max(1, self.config.max_attempts)
        spent: int | None = None
        for attempt in range(1, attempts + 1):
            prepared = self.session.prepare_request(self._for_attempt(request, attempt))
            prepared.headers["amz-sdk-invocation-id"] = invocation_id
            prepared.headers["amz-sdk-request"] = self._attempt_header(attempt, attempts)
            prepared = self.auth(prepared)
            try:
                response = self.session.send(prepared, timeout=self.config.timeout, stream=True)
                with response:
                    body = self._read(binding, response)
            except (requests.RequestException, urllib3.exceptions.HTTPError) as transport_error:
                cost = (
                    TIMEOUT_RETRY_COST
                    if isinstance(transport_error, requests.Timeout)
                    else RETRY_COST
                )
                if not (
                    attempt < attempts
                    and self._transport_retryable(transport_error)
                    and self._take(cost)
                ):
                    message = f"{type(transport_error).__name__}: {transport_error}"
                    raise ClientSideError(message) from transport_error
                spent = cost
                self._backoff(attempt)
                continue
            if 200 <= response.status_code < 300:
                self.quota.give_back(spent if spent is not None else NO_RETRY_INCREMENT)
                return self._output(binding, response, body)
            service_error = self._error(binding, response, body)
            skewed = self._corrects_clock(service_error, response)
            if (
                attempt < attempts
                and (skewed or self._retryable(service_error))
                and self._take(RETRY_COST)
            ):
                spent = RETRY_COST
                if not skewed:
                    self._backoff(attempt)
                continue
            raise service_error
        raise AssertionError("unreachable")

    # Steps a variant may override (the self-test's faulty clients do).

    def _attempt_header(self, attempt: int, attempts: int) -> str:
        return f"attempt={attempt}; max={attempts}"

    def _take(self, cost: int) -> bool:
        return self.quota.take(cost)

    def _transport_retryable(self, error: Exception) -> bool:
        return True

    def _corrects_clock(self, error: ServiceError, response: requests.Response) -> bool:
        """Adopt the server's clock after a clock-skew error with a `Date` 5 minutes off."""
        date = header_value(dict(response.headers), "Date")
        if error.code not in CLOCK_SKEW_CODES or not date:
            return False
        try:
            server = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            return False
        if server.tzinfo is None:
            server = server.replace(tzinfo=UTC)
        if abs(server - self._now()) < SKEW_THRESHOLD:
            return False
        self.clock_offset = server - datetime.now(UTC)
        return True
