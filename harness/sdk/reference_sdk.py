"""The reference client as an SDK: the retry quota and clock offset an SDK client keeps.

`ImagingClient` makes one call at a time; an SDK client also carries state
from call to call. `SdkClient` adds it to the same retry loop
(`ImagingClient.call`), following the AWS SDKs' standard retry mode and
clock-skew correction:

- a retry quota per client (`harness.client.retry.RetryQuota`), each retry
  priced by the standard mode or, when made with `retries_2026` (the AWS SDKs'
  2026 retry behaviour, opted into with `AWS_NEW_RETRIES_2026=true`), by the
  2026 behaviour, which also waits differently (`harness.client.retry` has both);
- a clock offset: a clock-skew error whose `Date` is 5 minutes or more from
  the client's clock sets the offset to the server's time and is retried at
  once; later requests are signed with the offset too;
- endpoint resolution from region, FIPS and dual-stack settings by the
  service's endpoint ruleset (`harness.sdk.endpoints`) when no endpoint is
  given; a configuration the ruleset rejects, or no region to sign for, fails
  every call before any request.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from harness.aws.restjson import header_value
from harness.aws.sigv4 import SigV4RequestsAuth
from harness.client import ClientConfig, ClientSideError, ImagingClient, ServiceError, retry
from harness.sdk.endpoints import EndpointError, EndpointSettings, resolve

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


class SdkClient(ImagingClient):
    """`ImagingClient` with a retry quota and a clock offset that live as long as the client."""

    def __init__(
        self,
        config: ClientConfig,
        session: requests.Session | None = None,
        *,
        endpoint_settings: EndpointSettings | None = None,
        retries_2026: bool = False,
        **keywords: Any,
    ) -> None:
        super().__init__(config, session, **keywords)
        self.retries_2026 = retries_2026
        self.quota = retry.RetryQuota()
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

    def _now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """`ImagingClient.call`, refused before any request when the endpoint did not resolve."""
        if self.endpoint_problem is not None:
            raise ClientSideError(self.endpoint_problem)
        return super().call(operation, params)

    # Steps a variant may override (the self-test's faulty clients do).

    def _retry_cost(self, error: Exception) -> int:
        return retry.retry_cost(error, self.retries_2026)

    def _take(self, cost: int) -> bool:
        return self.quota.take(cost)

    def _settle(self, spent: int | None) -> None:
        self.quota.settle(spent)

    def _wait(self, attempt: int, throttled: bool, retry_after: str | None) -> None:
        """Back off before the next attempt: standard mode, or the 2026 behaviour."""
        if not self.retries_2026:
            self._backoff(attempt)
            return
        base, cap = self.config.base_backoff, self.config.max_backoff
        self._sleep(retry.wait_2026(base, cap, attempt, throttled, retry_after))

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
