"""Endpoint resolution for the reference client, against the endpoint tests' cases."""

from __future__ import annotations

import pytest

from harness.sdk.endpoints import EndpointError, EndpointSettings, resolve
from harness.sdk.scenarios.base import Resolution
from harness.sdk.scenarios.endpoints import CUSTOM, ERROR_CASES, REGION_CASES


@pytest.mark.parametrize(("region", "fips", "dualstack", "url"), REGION_CASES)
def test_regions_and_flags_resolve_to_the_tested_hosts(
    region: str, fips: bool, dualstack: bool, url: str
) -> None:
    assert resolve(EndpointSettings(region, fips, dualstack)) == url


def test_a_custom_endpoint_is_kept_with_or_without_a_region() -> None:
    assert resolve(EndpointSettings("us-east-1", endpoint=CUSTOM)) == CUSTOM
    assert resolve(EndpointSettings(None, endpoint=CUSTOM)) == CUSTOM


@pytest.mark.parametrize(("suffix", "settings", "error"), ERROR_CASES)
def test_refused_configurations_raise_the_rulesets_error(
    suffix: str, settings: Resolution, error: str
) -> None:
    with pytest.raises(EndpointError, match=error):
        resolve(
            EndpointSettings(
                settings.region, settings.use_fips, settings.use_dualstack, settings.endpoint
            )
        )
