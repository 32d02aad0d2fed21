"""The reference clients' retry rules: what is retried, what a retry costs, how long to wait.

`ImagingClient.call` is the one retry loop; these are the rules it and its SDK
variant (`harness.sdk.reference_sdk.SdkClient`) apply:

- throttling codes and the statuses 429, 500, 502, 503, 504 are retried, and
  so are timeouts and dropped connections;
- the wait before retry `n` is full jitter, `uniform(0, min(cap, base * 2 ** (n - 1)))`;
- the AWS SDKs' standard retry quota: 500 tokens per client; a retry takes 5
  (10 after a timeout); a call that succeeds gives back what its last retry
  took, or 1 when it needed none; a retry that cannot take its tokens is not made;
- the 2026 retry behaviour (botocore 1.43 `retries/standard.py` with
  `AWS_NEW_RETRIES_2026=true`): a retry takes 14 tokens (5 after throttling;
  timeouts included), the backoff base is scaled by 0.05 (1 after throttling),
  and an `x-amz-retry-after` header (milliseconds) sets the wait to
  `max(t, min(retry_after, t + 5 s))`, `t` being the jittered backoff.
"""

from __future__ import annotations

import os
import random
import threading
from dataclasses import dataclass, field

import requests
import urllib3

from harness.client.errors import ServiceError

THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
TRANSPORT_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError)
"""No answer at all: timeouts, refused and dropped connections."""

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


def retryable(error: ServiceError) -> bool:
    """Whether a service error is worth another attempt: throttling or a transient status."""
    return error.code in THROTTLING_CODES or error.http_status in TRANSIENT_STATUSES


def throttled(error: Exception) -> bool:
    """Whether `error` is a service error with a throttling code."""
    return isinstance(error, ServiceError) and error.code in THROTTLING_CODES


def full_jitter(base: float, cap: float, attempt: int) -> float:
    """The wait after attempt `attempt` (1-based): uniform up to the capped exponential."""
    return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))


def retry_cost(error: Exception, retries_2026: bool) -> int:
    """The quota tokens a retry after `error` takes."""
    if retries_2026:
        return THROTTLING_RETRY_COST_2026 if throttled(error) else RETRY_COST_2026
    return TIMEOUT_RETRY_COST if isinstance(error, requests.Timeout) else RETRY_COST


def wait_2026(
    base: float, cap: float, attempt: int, was_throttled: bool, retry_after: str | None
) -> float:
    """The 2026 behaviour's wait: a smaller base unless throttled, `x-amz-retry-after` heeded."""
    delay = full_jitter(base * (1.0 if was_throttled else BASE_SCALE_2026), cap, attempt)
    hint = _milliseconds(retry_after)
    if hint is not None:
        delay = max(delay, min(hint, delay + RETRY_AFTER_MAX_ADDITIONAL))
    return delay


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

    def settle(self, spent: int | None) -> None:
        """After a successful call: give back what its last retry took, or 1 without one."""
        self.give_back(spent if spent is not None else NO_RETRY_INCREMENT)


def _milliseconds(value: str | None) -> float | None:
    """An `x-amz-retry-after` value in seconds; None when absent, negative or not an integer."""
    if value is None:
        return None
    try:
        milliseconds = int(value)
    except ValueError:
        return None
    return milliseconds / 1000 if milliseconds >= 0 else None
