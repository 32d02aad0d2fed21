"""Endpoint resolution for the reference client: the ruleset botocore ships, evaluated by botocore.

The medical-imaging endpoint ruleset (`endpoint-rule-set-1.json`) and the
partitions file come from the pinned botocore's data, and botocore's own
`EndpointProvider` evaluates them, so that the reference client resolves
region, FIPS, dual-stack and custom endpoints exactly as the ruleset states.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from botocore.endpoint_provider import EndpointProvider
from botocore.exceptions import EndpointResolutionError
from botocore.loaders import Loader

SERVICE = "medical-imaging"


class EndpointError(ValueError):
    """The ruleset rejects the configuration (its error text is the message)."""


@dataclass(frozen=True)
class EndpointSettings:
    """The ruleset's parameters: Region, UseFIPS, UseDualStack, Endpoint (None: unset)."""

    region: str | None
    use_fips: bool = False
    use_dualstack: bool = False
    endpoint: str | None = None


@cache
def _provider() -> EndpointProvider:
    loader = Loader()
    ruleset: Any = loader.load_service_model(SERVICE, "endpoint-rule-set-1")
    partitions: Any = loader.load_data("partitions")
    return EndpointProvider(ruleset, partitions)


def resolve(settings: EndpointSettings) -> str:
    """The endpoint URL the ruleset gives for `settings`; EndpointError when it gives an error."""
    parameters: dict[str, Any] = {
        "UseFIPS": settings.use_fips,
        "UseDualStack": settings.use_dualstack,
    }
    if settings.region is not None:
        parameters["Region"] = settings.region
    if settings.endpoint is not None:
        parameters["Endpoint"] = settings.endpoint
    try:
        endpoint = _provider().resolve_endpoint(**parameters)
    except EndpointResolutionError as error:
        raise EndpointError(str(error)) from error
    url: str = endpoint.url
    return url
