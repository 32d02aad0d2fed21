"""The reference SDK client behind the adapter protocol: in-process, or as a program.

    python -m harness.sdk.reference_adapter [--bug NAME]

Both wrap `SdkClient` (`harness.sdk.reference_sdk`) the same way: a pool of
clients keyed by `config.clientId`, each configured from a call's `config`, and
its outputs and errors phrased as protocol answers. `InProcessReference` is the
runner's `reference` adapter, its inputs and answers taking the same trip
through the protocol's JSON (blobs as `{"$base64": ...}`); the program greets
and answers JSON lines on stdin/stdout like any adapter, optionally carrying one
bug of `harness.sdk.reference_bugs`, so the tests and the self-test can prove
that the scenario catalogue catches it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from typing import Any

import requests

from harness import __version__
from harness.aws.sigv4 import AwsCredentials
from harness.client import ClientConfig, ClientSideError, ImagingClient, ServiceError
from harness.client.retry import retries_2026_asked
from harness.sdk.endpoints import EndpointSettings
from harness.sdk.protocol import HELLO, RETRIES_2026, STANDARD
from harness.sdk.reference_bugs import BUGS
from harness.sdk.reference_sdk import SdkClient
from harness.sdk.wire import decode_answer, decode_input, dumps

NAME = "ahi-contract-reference"


def greeting(sdk: str, retries_2026: bool) -> dict[str, Any]:
    """The reference adapter's greeting, naming `sdk` and the retry behaviour it runs."""
    return {
        "hello": HELLO,
        "sdk": sdk,
        "version": __version__,
        "language": "python",
        "retries": RETRIES_2026 if retries_2026 else STANDARD,
    }


def answer_from_client(
    call_id: int, client: ImagingClient, operation: str, params: dict[str, Any]
) -> dict[str, Any]:
    """Run one call on the reference client and phrase the result as the protocol says."""
    try:
        return {"id": call_id, "output": client.call(operation, params)}
    except ServiceError as error:
        return {
            "id": call_id,
            "error": {
                "kind": "service",
                "code": error.code,
                "message": error.message,
                "httpStatus": error.http_status,
                "modeled": error.modeled,
            },
        }
    except ClientSideError as error:
        return {"id": call_id, "error": {"kind": "client", "code": None, "message": str(error)}}


def client_for(
    config: dict[str, Any],
    client_class: type[SdkClient] = SdkClient,
    retries_2026: bool = False,
) -> SdkClient:
    """A reference client configured from a call's `config`.

    Short backoff unless `shortBackoff` is false (then the standard mode's
    1 s base and 20 s cap); every request through `proxy` when one is given
    (an https endpoint through a CONNECT tunnel); without `endpoint`, the
    endpoint the service's ruleset gives for `region`, `useFipsEndpoint` and
    `useDualstackEndpoint`.
    """
    credentials = config["credentials"]
    short = config.get("shortBackoff", True) is not False
    session = requests.Session()
    session.trust_env = False
    if config.get("proxy"):
        session.proxies = {"http": config["proxy"], "https": config["proxy"]}
    return client_class(
        ClientConfig(
            endpoint=config.get("endpoint") or "",
            region=config.get("region") or "",
            credentials=AwsCredentials(
                credentials["accessKeyId"],
                credentials["secretAccessKey"],
                credentials.get("sessionToken"),
            ),
            max_attempts=config["maxAttempts"],
            timeout=config["timeoutSeconds"],
            base_backoff=0.01 if short else 1.0,
            max_backoff=0.05 if short else 20.0,
            inject_host_prefix=bool(config.get("hostPrefix", True)),
        ),
        session,
        endpoint_settings=endpoint_settings(config),
        retries_2026=retries_2026,
    )


def endpoint_settings(config: dict[str, Any]) -> EndpointSettings | None:
    """The endpoint ruleset's parameters when a call asks for resolution (1.1), else None.

    Resolution is asked for by a missing or null `endpoint` or `region`, or by
    either FIPS or dual-stack flag being set; a given `endpoint` is then the
    ruleset's custom `Endpoint`.
    """
    fips = config.get("useFipsEndpoint") is True
    dualstack = config.get("useDualstackEndpoint") is True
    if config.get("endpoint") and config.get("region") and not (fips or dualstack):
        return None
    return EndpointSettings(config.get("region"), fips, dualstack, config.get("endpoint"))


@dataclass
class ClientPool:
    """One client per `clientId` (protocol 1.1), a fresh one for calls without."""

    client_class: type[SdkClient] = SdkClient
    clients: dict[str, SdkClient] = field(default_factory=dict)
    retries_2026: bool = False

    def client(self, config: dict[str, Any]) -> SdkClient:
        key = config.get("clientId")
        if not isinstance(key, str):
            return client_for(config, self.client_class, self.retries_2026)
        if key not in self.clients:
            self.clients[key] = client_for(config, self.client_class, self.retries_2026)
        return self.clients[key]


class InProcessReference:
    """The reference client behind the adapter interface, without a subprocess."""

    def __init__(self, retries_2026: bool = False) -> None:
        self.greeting = greeting(NAME, retries_2026)
        self._pool = ClientPool(retries_2026=retries_2026)

    def call(
        self, call_id: int, operation: str, params: dict[str, Any], config: dict[str, Any]
    ) -> dict[str, Any]:
        sent = decode_input(operation, json.loads(dumps(params)))
        answer = answer_from_client(call_id, self._pool.client(config), operation, sent)
        return decode_answer(operation, json.loads(dumps(answer)))

    def close(self) -> None:
        return


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bug", choices=sorted(BUGS))
    arguments = parser.parse_args()
    retries_2026 = retries_2026_asked()
    pool = ClientPool(
        BUGS[arguments.bug] if arguments.bug else SdkClient, retries_2026=retries_2026
    )
    name = f"{NAME}{'+' + arguments.bug if arguments.bug else ''}"
    print(json.dumps(greeting(name, retries_2026)), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        client = pool.client(message["config"])
        operation = message["operation"]
        params = decode_input(operation, message["input"])
        answer = answer_from_client(message["id"], client, operation, params)
        print(dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
