"""The reference SDK client's state across calls: retry quota and clock offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from harness.client import ClientConfig, ServiceError
from harness.sdk.reference_sdk import QUOTA_TOKENS, RetryQuota, SdkClient


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
