"""Endpoint resolution: region, FIPS and dual-stack settings resolve to the documented hosts.

The cases are botocore's endpoint tests for this service
(tests/functional/endpoint-rules/medical-imaging/endpoint-tests-1.json, 21
cases, generated from the service's endpoint ruleset). The adapter gets no
stub endpoint but the case's region, flags and custom endpoint, with the stub
as the SDK's proxy (adapter protocol 1.1): for an `https://` endpoint the SDK
sends `CONNECT <host>:443`, the stub records that authority and refuses the
tunnel, so no name resolves and nothing leaves the machine. A case the ruleset
answers with an error is a client error with no request at all.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from harness.checks import Source
from harness.sdk import matchers
from harness.sdk.scenarios.base import Add, Expect, Resolution, Scenario
from harness.sdk.scenarios.samples import SAMPLE_INPUT, ok

EndpointCase = Literal[
    "CUSTOM", "CUSTOM-NO-REGION", "CUSTOM-FIPS", "CUSTOM-DUALSTACK", "NO-REGION", "HOST-PREFIX-FIPS"
]
"""The endpoint scenarios that are not a region case."""
TESTS = (
    "botocore tests/functional/endpoint-rules/medical-imaging/endpoint-tests-1.json "
    "(medical-imaging endpoint ruleset, endpoint-rule-set-1.json)"
)
CUSTOM = "https://example.com"
# (region, UseFIPS, UseDualStack, expected URL), in the order of the test file.
REGION_CASES: tuple[tuple[str, bool, bool, str], ...] = (
    ("us-east-1", True, True, "https://medical-imaging-fips.us-east-1.api.aws"),
    ("us-east-1", True, False, "https://medical-imaging-fips.us-east-1.amazonaws.com"),
    ("us-east-1", False, True, "https://medical-imaging.us-east-1.api.aws"),
    ("us-east-1", False, False, "https://medical-imaging.us-east-1.amazonaws.com"),
    (
        "cn-north-1",
        True,
        True,
        "https://medical-imaging-fips.cn-north-1.api.amazonwebservices.com.cn",
    ),
    ("cn-north-1", True, False, "https://medical-imaging-fips.cn-north-1.amazonaws.com.cn"),
    ("cn-north-1", False, True, "https://medical-imaging.cn-north-1.api.amazonwebservices.com.cn"),
    ("cn-north-1", False, False, "https://medical-imaging.cn-north-1.amazonaws.com.cn"),
    ("us-gov-east-1", True, True, "https://medical-imaging-fips.us-gov-east-1.api.aws"),
    ("us-gov-east-1", True, False, "https://medical-imaging-fips.us-gov-east-1.amazonaws.com"),
    ("us-gov-east-1", False, True, "https://medical-imaging.us-gov-east-1.api.aws"),
    ("us-gov-east-1", False, False, "https://medical-imaging.us-gov-east-1.amazonaws.com"),
    ("us-iso-east-1", True, False, "https://medical-imaging-fips.us-iso-east-1.c2s.ic.gov"),
    ("us-iso-east-1", False, False, "https://medical-imaging.us-iso-east-1.c2s.ic.gov"),
    ("us-isob-east-1", True, False, "https://medical-imaging-fips.us-isob-east-1.sc2s.sgov.gov"),
    ("us-isob-east-1", False, False, "https://medical-imaging.us-isob-east-1.sc2s.sgov.gov"),
)
# (ID suffix, settings, the test's expected error) for the cases the ruleset refuses.
ERROR_CASES: tuple[tuple[EndpointCase, Resolution, str], ...] = (
    (
        "CUSTOM-FIPS",
        Resolution("us-east-1", True, False, CUSTOM),
        "Invalid Configuration: FIPS and custom endpoint are not supported",
    ),
    (
        "CUSTOM-DUALSTACK",
        Resolution("us-east-1", False, True, CUSTOM),
        "Invalid Configuration: Dualstack and custom endpoint are not supported",
    ),
    ("NO-REGION", Resolution(None), "Invalid Configuration: Missing Region"),
)
_OPERATION = "GetDatastore"


def region_id(region: str, fips: bool, dualstack: bool) -> str:
    """The ID of one region case's scenario."""
    flags = "".join(("-FIPS" if fips else "", "-DUALSTACK" if dualstack else ""))
    return f"SDK-ENDPOINT-{region}{flags}"


def endpoint_id(case: EndpointCase) -> str:
    """The ID of an endpoint scenario that is not a region case."""
    return f"SDK-ENDPOINT-{case}"


def _authority(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 443}"


def _reaches(
    add: Add,
    scenario_id: str,
    rule: str,
    reference: str,
    settings: Resolution,
    url: str,
    operation: str = _OPERATION,
) -> None:
    add(
        Scenario(
            id=scenario_id,
            family="sdk-endpoints",
            rule=rule,
            source=Source.AWS_CONVENTION,
            reference=reference,
            operation=operation,
            params=SAMPLE_INPUT[operation],
            replies=(ok(operation),),
            expect=Expect(outcome="client", attempts=1),
            max_attempts=1,
            request_rules=(matchers.tunnel_to(_authority(url)),),
            host_prefix=operation != _OPERATION,
            resolution=settings,
        )
    )


def _endpoints(add: Add) -> None:
    for region, fips, dualstack, url in REGION_CASES:
        flags = f"FIPS {'on' if fips else 'off'}, dual-stack {'on' if dualstack else 'off'}"
        _reaches(
            add,
            region_id(region, fips, dualstack),
            f"Region {region} with {flags} resolves to {url}",
            f"{TESTS}: 'For region {region} with FIPS {'enabled' if fips else 'disabled'} and "
            f"DualStack {'enabled' if dualstack else 'disabled'}'",
            Resolution(region, fips, dualstack),
            url,
        )
    _reaches(
        add,
        endpoint_id("CUSTOM"),
        f"A custom endpoint ({CUSTOM}) with a region, FIPS and dual-stack off, is used as given",
        f"{TESTS}: 'For custom endpoint with region set and fips disabled and dualstack disabled'",
        Resolution("us-east-1", False, False, CUSTOM),
        CUSTOM,
    )
    add(
        Scenario(
            id=endpoint_id("CUSTOM-NO-REGION"),
            family="sdk-endpoints",
            rule=f"A custom endpoint without a region resolves ({CUSTOM}), but SigV4 has no "
            "region to "
            "sign for: a client error, and no request",
            source=Source.AWS_CONVENTION,
            reference=f"{TESTS}: 'For custom endpoint with region not set and fips disabled and "
            "dualstack "
            "disabled' (resolves to https://example.com); Signature Version 4: the credential "
            "scope names the region",
            operation=_OPERATION,
            params=SAMPLE_INPUT[_OPERATION],
            replies=(ok(_OPERATION),),
            expect=Expect(outcome="client", attempts=0),
            max_attempts=1,
            resolution=Resolution(None, False, False, CUSTOM),
        )
    )
    for suffix, settings, error in ERROR_CASES:
        add(
            Scenario(
                id=endpoint_id(suffix),
                family="sdk-endpoints",
                rule=f"The ruleset refuses the configuration ('{error}'): a client error, and no "
                "request",
                source=Source.AWS_CONVENTION,
                reference=f"{TESTS}: expects the error '{error}'",
                operation=_OPERATION,
                params=SAMPLE_INPUT[_OPERATION],
                replies=(ok(_OPERATION),),
                expect=Expect(outcome="client", attempts=0),
                max_attempts=1,
                resolution=settings,
            )
        )
    prefixed = "GetImageSet"
    _reaches(
        add,
        endpoint_id("HOST-PREFIX-FIPS"),
        f"{prefixed} in us-east-1 with FIPS on reaches the resolved host with the model's "
        "`runtime-` prefix: runtime-medical-imaging-fips.us-east-1.amazonaws.com",
        f"{TESTS} ('For region us-east-1 with FIPS enabled and DualStack disabled') and the "
        "model's endpoint.hostPrefix for the operation (Smithy endpoint trait)",
        Resolution("us-east-1", True, False),
        "https://runtime-medical-imaging-fips.us-east-1.amazonaws.com",
        prefixed,
    )


def scenarios() -> list[Scenario]:
    """The sdk-endpoints family: 21 cases of the endpoint tests and one with a host prefix."""
    found: list[Scenario] = []
    _endpoints(found.append)
    return found
