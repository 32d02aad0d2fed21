"""The reference client as an SDK: the retry quota and clock offset an SDK client keeps.

`ImagingClient` makes one call at a time; an SDK client also carries state
from call to call. `SdkClient` adds it, following the AWS SDKs' standard retry
mode and clock-skew correction:

- a retry quota of 500 tokens per client; a retry takes 5 (10 after a
  timeout); a call that succeeds gives back what its last retry took, or 1 when
  it needed none; a retry that cannot take its tokens is not made;
- or, when made with `retries_2026` (the AWS SDKs' 2026 retry behaviour, opted
  into with `AWS_NEW_RETRIES_2026=true`, as botocore 1.43 `retries/standard.py`
  has it): a retry takes 14 tokens (5 after throttling; timeouts included),
  the backoff base is 50 ms (1 s after throttling), and an
  `x-amz-retry-after` header (milliseconds) sets the wait to
  `max(t, min(retry_after, t + 5 s))`, `t` being the jittered backoff;
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

import os
import random
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests
import urllib3

from harness.aws.restjson import header_value
from harness.aws.sigv4 import SigV4RequestsAuth
from harness.client import ClientConfig, ClientSideError, ImagingClient, ServiceError
from harness.client.client import THROTTLING_CODES
from harness.sdk.endpoints import EndpointError, EndpointSettings, resolve

QUOTA_TOKENS = 500
RETRY_COST = 5
TIMEOUT_RETRY_COST = 10
NO_RETRY_INCREMENT = 1
# The 2026 retry behaviour (botocore retries/standard.py: RetryQuotaChecker._RETRY_COST_V2,
# _THROTTLING_RETRY_COST; ExponentialBackoff non_throttling_base_scale and
# _RETRY_AFTER_MAX_ADDITIONAL).
RETRY_COST_2026 = 14
THROTTLING_RETRY_COST_2026 = 5
BASE_SCALE_2026 = 0.05
RETRY_AFTER_HEADER = "x-amz-retry-after"
RETRY_AFTER_MAX_ADDITIONAL = 5.0
NEW_RETRIES_VARIABLE = "AWS_NEW_RETRIES_2026"


def retries_2026_asked(environment: dict[str, str] | None = None) -> bool:
    """Whether the environment opts into the 2026 retry behaviour, as botocore reads it."""
    value = (os.environ if environment is None else environment).get(NEW_RETRIES_VARIABLE)
    return value is not None and value.lower() == "true"


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
        retries_2026: bool = False,
        **keywords: Any,
    ) -> None:
        super().__init__(config, session, **keywords)
        self.retries_2026 = retries_2026
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

    def _now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if self.endpoint_problem is not None:
            raise ClientSideError(self.endpoint_problem)
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
                cost = self._retry_cost(transport_error)
                if not (
                    attempt < attempts
                    and self._transport_retryable(transport_error)
                    and self._take(cost)
                ):
                    message = f"{type(transport_error).__name__}: {transport_error}"
                    raise ClientSideError(message) from transport_error
                spent = cost
                self._wait(attempt, False, None)
                continue
            if 200 <= response.status_code < 300:
                self.quota.give_back(spent if spent is not None else NO_RETRY_INCREMENT)
                return self._output(binding, response, body)
            service_error = self._error(binding, response, body)
            skewed = self._corrects_clock(service_error, response)
            cost = self._retry_cost(service_error)
            if (
                attempt < attempts
                and (skewed or self._retryable(service_error))
                and self._take(cost)
            ):
                spent = cost
                if not skewed:
                    throttled = service_error.code in THROTTLING_CODES
                    self._wait(
                        attempt, throttled, header_value(dict(response.headers), RETRY_AFTER_HEADER)
                    )
                continue
            raise service_error
        raise AssertionError("unreachable")

    # Steps a variant may override (the self-test's faulty clients do).

    def _retry_cost(self, error: Exception) -> int:
        """The quota tokens a retry after `error` takes."""
        if self.retries_2026:
            throttled = isinstance(error, ServiceError) and error.code in THROTTLING_CODES
            return THROTTLING_RETRY_COST_2026 if throttled else RETRY_COST_2026
        return TIMEOUT_RETRY_COST if isinstance(error, requests.Timeout) else RETRY_COST

    def _wait(self, attempt: int, throttled: bool, retry_after: str | None) -> None:
        """Back off before the next attempt: standard mode, or the 2026 behaviour."""
        if not self.retries_2026:
            self._backoff(attempt)
            return
        base = self.config.base_backoff * (1.0 if throttled else BASE_SCALE_2026)
        delay = random.uniform(0, min(self.config.max_backoff, base * 2 ** (attempt - 1)))
        hint = _milliseconds(retry_after)
        if hint is not None:
            delay = max(delay, min(hint, delay + RETRY_AFTER_MAX_ADDITIONAL))
        self._sleep(delay)

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


def _milliseconds(value: str | None) -> float | None:
    """An `x-amz-retry-after` value in seconds; None when absent, negative or not an integer."""
    if value is None:
        return None
    try:
        milliseconds = int(value)
    except ValueError:
        return None
    return milliseconds / 1000 if milliseconds >= 0 else None
