"""The reference SDK client's state across calls: retry quota and clock offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from harness.client import ClientConfig, ServiceError
from harness.client.retry import QUOTA_TOKENS, RetryQuota, retries_2026_asked
from harness.sdk.reference_sdk import SdkClient


def test_the_quota_spends_and_refills_within_its_bucket() -> None:
    quota = RetryQuota()
    assert all(quota.take(5) for _ in range(QUOTA_TOKENS // 5))
    assert not quota.take(5)
    quota.give_back(10)
    assert quota.take(10) and not quota.take(1)
    quota.give_back(QUOTA_TOKENS * 2)
    assert quota.tokens == QUOTA_TOKENS


def _answer(date: datetime | None) -> requests.Response:
    response = requests.Response()
    response.status_code = 403
    if date is not None:
        response.headers["Date"] = format_datetime(date, usegmt=True)
    return response


@pytest.mark.parametrize(
    ("code", "minutes", "corrected"),
    [
        ("RequestTimeTooSkewed", 20, True),
        ("InvalidSignatureException", -20, True),
        ("InvalidSignatureException", 2, False),
        ("AccessDeniedException", 20, False),
    ],
)
def test_the_clock_is_corrected_only_for_skew_errors_beyond_five_minutes(
    code: str, minutes: int, corrected: bool
) -> None:
    client = SdkClient(ClientConfig("http://127.0.0.1:1"))
    server = datetime.now(UTC) + timedelta(minutes=minutes)
    error = ServiceError(code, "m", 403, False)
    assert client._corrects_clock(error, _answer(server)) is corrected
    offset = client.clock_offset.total_seconds()
    assert abs(offset - minutes * 60) < 5 if corrected else offset == 0
    assert abs((client._now() - server).total_seconds()) < 5 or not corrected


def test_a_skew_error_without_date_changes_nothing() -> None:
    client = SdkClient(ClientConfig("http://127.0.0.1:1"))
    error = ServiceError("RequestTimeTooSkewed", "m", 403, False)
    assert not client._corrects_clock(error, _answer(None))
    assert client.clock_offset == timedelta()


@pytest.mark.parametrize(
    ("retries_2026", "error", "cost"),
    [
        (False, ServiceError("InternalServerException", "m", 500, True), 5),
        (False, requests.ReadTimeout("late"), 10),
        (False, requests.ConnectionError("reset"), 5),
        (True, ServiceError("InternalServerException", "m", 500, True), 14),
        (True, requests.ReadTimeout("late"), 14),
        (True, ServiceError("ThrottlingException", "m", 429, True), 5),
    ],
)
def test_a_retry_costs_what_the_behaviour_says(
    retries_2026: bool, error: Exception, cost: int
) -> None:
    client = SdkClient(ClientConfig("http://127.0.0.1:1"), retries_2026=retries_2026)
    assert client._retry_cost(error) == cost


def _waits(retries_2026: bool, retry_after: str | None, throttled: bool = False) -> list[float]:
    slept: list[float] = []
    config = ClientConfig("http://127.0.0.1:1", base_backoff=1.0, max_backoff=20.0)
    client = SdkClient(config, sleep=slept.append, retries_2026=retries_2026)
    for _ in range(50):
        client._wait(1, throttled, retry_after)
    return slept


def test_the_2026_behaviour_honours_x_amz_retry_after_within_five_seconds_of_the_backoff() -> None:
    assert all(2.5 <= wait <= 2.55 for wait in _waits(True, "2500"))
    assert all(5.0 <= wait <= 5.05 for wait in _waits(True, "60000"))
    assert all(wait <= 0.05 for wait in _waits(True, "not a number"))
    assert all(wait <= 1.0 for wait in _waits(True, None, throttled=True))
    assert max(_waits(True, None, throttled=True)) > 0.05


def test_the_standard_behaviour_ignores_x_amz_retry_after() -> None:
    waits = _waits(False, "2500")
    assert all(wait <= 1.0 for wait in waits) and max(waits) > 0.05


def test_the_opt_in_is_read_as_botocore_reads_it() -> None:
    assert retries_2026_asked({"AWS_NEW_RETRIES_2026": "TRUE"})
    assert not retries_2026_asked({"AWS_NEW_RETRIES_2026": "1"})
    assert not retries_2026_asked({})
