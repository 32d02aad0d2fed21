"""Host prefixes: `runtime-` exactly where the model puts it, and a switch that turns it off.

The harness is the SDK's HTTP proxy here (adapter protocol 1.1, `config.proxy`):
an SDK sends `POST http://runtime-127.0.0.1:<port>/... HTTP/1.1` to the stub,
so the prefixed name never has to resolve, and the stub sees the Host (and
request-line authority) the SDK chose and signed.
"""

from __future__ import annotations

from harness.checks import Source
from harness.model import IN_SCOPE_OPERATIONS, operations
from harness.sdk import matchers
from harness.sdk.protocol import ACCESS_KEY, SECRET_KEY
from harness.sdk.scenarios.base import Add, Expect, Scenario
from harness.sdk.scenarios.samples import SAMPLE_INPUT, ok


def host_prefix_id(operation: str) -> str:
    """The ID of the scenario calling `operation` with host-prefix injection on."""
    return f"SDK-HOST-PREFIX-{operation}"


def host_prefix_disabled_id(operation: str) -> str:
    """The ID of the scenario calling (prefixed) `operation` with injection turned off."""
    return f"SDK-HOST-PREFIX-DISABLED-{operation}"


_SIGNED_HOST = matchers.signature_valid(SECRET_KEY, ACCESS_KEY)
_MODEL = (
    "model: the operation's `endpoint.hostPrefix`; Smithy `smithy.api#endpoint` trait (clients "
    "prepend hostPrefix to the endpoint's host); HealthImaging endpoints: image-set actions use "
    "runtime-medical-imaging.<region>.amazonaws.com"
)
_SWITCH = (
    "botocore Config(inject_host_prefix=False); AWS SDK for JavaScript v3 client option "
    "disableHostPrefix; Smithy endpoint trait: clients must allow disabling host prefix injection"
)


def _host_prefix(add: Add) -> None:
    for operation in IN_SCOPE_OPERATIONS:
        prefix = operations()[operation].host_prefix
        named = f"`{prefix}<endpoint host>`" if prefix else "the endpoint's host, unprefixed"
        add(
            Scenario(
                id=host_prefix_id(operation),
                family="sdk-host-prefix",
                rule=f"{operation} with host-prefix injection on reaches {named}, signed for that "
                "Host",
                source=Source.MODEL,
                reference=_MODEL,
                operation=operation,
                params=SAMPLE_INPUT[operation],
                replies=(ok(operation),),
                expect=Expect(outcome="output", attempts=1),
                max_attempts=1,
                request_rules=(matchers.host(prefix), _SIGNED_HOST),
                host_prefix=True,
            )
        )
        if not prefix:
            continue
        add(
            Scenario(
                id=host_prefix_disabled_id(operation),
                family="sdk-host-prefix",
                rule=f"{operation} with host-prefix injection turned off reaches the endpoint's "
                "host "
                "unprefixed",
                source=Source.AWS_CONVENTION,
                reference=_SWITCH,
                operation=operation,
                params=SAMPLE_INPUT[operation],
                replies=(ok(operation),),
                expect=Expect(outcome="output", attempts=1),
                max_attempts=1,
                request_rules=(matchers.host(""), _SIGNED_HOST),
                host_prefix=False,
                via_proxy=True,
            )
        )


def scenarios() -> list[Scenario]:
    """The sdk-host-prefix family."""
    found: list[Scenario] = []
    _host_prefix(found.append)
    return found
