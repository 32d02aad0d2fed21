"""ahi-contract SDK adapter (protocol version 1.1) for aiobotocore.

Run by `ahi-contract sdk --adapter aiobotocore`, or as
`python harness/sdk/adapters/aiobotocore/adapter.py` by any harness that speaks the protocol.
It translates calls into aiobotocore calls, awaited on one asyncio event loop, and never
judges. aiobotocore is botocore's model, serializers, parsers and retry policy on its
own HTTP stack (aiohttp) with its own retry sleep (`asyncio.sleep`); the adapter drives
`aiobotocore.session.get_session().create_client("medical-imaging", ...)` as an asyncio
application would, entering each client with `async with` and closing it when done.

Retries are botocore's standard mode as aiobotocore registers it (`max_attempts` as
given); unless the call's `config.shortBackoff` is false, the delays botocore's
`ExponentialBackoff` computes are scaled down so that a run stays fast (which attempts
happen is still the SDK's decision, and aiobotocore still sleeps them). Blobs travel as
`{"$base64": ...}`: input blobs become `bytes`, streaming bodies are awaited
`.read()` whole and reported unchanged. The host prefix is injected unless
`config.hostPrefix` is false; `config.proxy` becomes the config's `proxies` (http and
https, the latter through aiohttp's CONNECT); calls with one `config.clientId` share one
client (its retry quota and connection pool), kept open until the adapter exits. A null
`endpoint` or `region` is left to botocore's endpoint ruleset, with
`config.useFipsEndpoint` and `config.useDualstackEndpoint` as `use_fips_endpoint` and
`use_dualstack_endpoint`; a plain `http://` endpoint gets `verify=False` (no TLS happens;
see `new_client`). The greeting's `retries` says which retry behaviour
aiobotocore's retry handler runs: `2026` when `AWS_NEW_RETRIES_2026=true` switched it on
(`aiobotocore.retries.standard.NEW_RETRIES_ENABLED`, botocore's flag), else `standard`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import sys
from datetime import datetime
from typing import Any

import aiobotocore
import aiohttp
import botocore
from aiobotocore.config import AioConfig
from aiobotocore.retries.standard import NEW_RETRIES_ENABLED
from aiobotocore.session import AioSession, get_session
from botocore.exceptions import BotoCoreError, ClientError
from botocore.response import StreamingBody
from botocore.retries import standard

# Shorter delays between attempts when the harness asks for them (config.shortBackoff).
# aiobotocore computes its delays with botocore's ExponentialBackoff and sleeps them itself.
SHORT_BACKOFF_SCALE = 0.01
_backoff_scale = SHORT_BACKOFF_SCALE
_botocore_delay = standard.ExponentialBackoff.delay_amount


def _scaled_delay(self: standard.ExponentialBackoff, context: Any) -> float:
    return float(_botocore_delay(self, context)) * _backoff_scale


standard.ExponentialBackoff.delay_amount = _scaled_delay


BLOB = "$base64"


def from_protocol(value: Any) -> Any:
    """A call's input as aiobotocore takes it: `{"$base64": ...}` objects become bytes.

    The harness sends that form only where the model has a blob.
    """
    if isinstance(value, dict):
        if set(value) == {BLOB}:
            return base64.b64decode(value[BLOB])
        return {key: from_protocol(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_protocol(item) for item in value]
    return value


async def plain(value: Any) -> Any:
    """aiobotocore output as protocol JSON: datetimes become epoch seconds, blobs base64.

    A streaming body (aiobotocore's `AioStreamingBody`) is awaited whole.
    """
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, StreamingBody):
        async with value as body:
            value = await body.read()
    if isinstance(value, bytes | bytearray):
        return {BLOB: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {key: await plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [await plain(item) for item in value]
    return value


def client_config(config: dict[str, Any]) -> AioConfig:
    proxy = config.get("proxy")
    return AioConfig(
        retries={"total_max_attempts": config["maxAttempts"], "mode": "standard"},
        connect_timeout=config["timeoutSeconds"],
        read_timeout=config["timeoutSeconds"],
        inject_host_prefix=config.get("hostPrefix", True),
        proxies={"http": proxy, "https": proxy} if proxy else None,
        use_fips_endpoint=config.get("useFipsEndpoint") is True,
        use_dualstack_endpoint=config.get("useDualstackEndpoint") is True,
    )


def new_client(session: AioSession, config: dict[str, Any]) -> Any:
    """The client's async context manager (aiobotocore's `ClientCreatorContext`).

    With a plain `http://` endpoint no TLS ever happens, so certificate verification is
    left off (`verify=False`): it changes nothing on the wire, and spares each new client
    the CA bundle that aiobotocore otherwise loads into an SSL context before its first
    request, TLS or not (`AIOHTTPSession._create_connector`, about 30 ms of CPU a client,
    which doubled a run). Resolved (`https://`) endpoints keep the default.
    """
    credentials = config["credentials"]
    endpoint = config.get("endpoint")
    return session.create_client(
        "medical-imaging",
        endpoint_url=endpoint,
        verify=False if isinstance(endpoint, str) and endpoint.startswith("http://") else None,
        region_name=config.get("region"),
        aws_access_key_id=credentials["accessKeyId"],
        aws_secret_access_key=credentials["secretAccessKey"],
        aws_session_token=credentials.get("sessionToken"),
        config=client_config(config),
    )


class Adapter:
    """One aiobotocore session; the clients of each clientId, open until `close`."""

    def __init__(self) -> None:
        self.session = get_session()
        self.clients: dict[str, Any] = {}
        self.kept = contextlib.AsyncExitStack()

    async def answer(self, message: dict[str, Any]) -> dict[str, Any]:
        global _backoff_scale
        config = message["config"]
        short = config.get("shortBackoff", True) is not False
        _backoff_scale = SHORT_BACKOFF_SCALE if short else 1.0
        key = config.get("clientId")
        try:
            if isinstance(key, str):
                if key not in self.clients:
                    self.clients[key] = await self.kept.enter_async_context(
                        new_client(self.session, config)
                    )
                return await self.call(self.clients[key], message)
            async with new_client(self.session, config) as client:
                return await self.call(client, message)
        except (BotoCoreError, AttributeError, TypeError, ValueError) as error:
            return client_error(message["id"], error)

    async def call(self, client: Any, message: dict[str, Any]) -> dict[str, Any]:
        call_id = message["id"]
        try:
            method = getattr(client, botocore.xform_name(message["operation"]))
            output = await method(**from_protocol(message["input"]))
            output.pop("ResponseMetadata", None)
            result = await plain(output)
        except ClientError as error:
            return service_error(call_id, client, error)
        # No service answer: botocore's and aiobotocore's own errors (connection, timeout,
        # proxy, validation), an aiohttp error or timeout while a body streams, or an
        # operation the client does not have.
        except (
            BotoCoreError,
            aiohttp.ClientError,
            TimeoutError,
            AttributeError,
            TypeError,
            ValueError,
        ) as error:
            return client_error(call_id, error)
        return {"id": call_id, "output": result}

    async def close(self) -> None:
        await self.kept.aclose()


def service_error(call_id: Any, client: Any, error: ClientError) -> dict[str, Any]:
    """The service's error as the SDK resolved it; `modeled` when it raised the modeled class."""
    code = error.response.get("Error", {}).get("Code")
    modeled_class = client.exceptions.from_code(code) if code else ClientError
    return {
        "id": call_id,
        "error": {
            "kind": "service",
            "code": code,
            "message": error.response.get("Error", {}).get("Message", ""),
            "httpStatus": error.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
            "modeled": modeled_class is not ClientError and isinstance(error, modeled_class),
        },
    }


def client_error(call_id: Any, error: BaseException) -> dict[str, Any]:
    return {
        "id": call_id,
        "error": {"kind": "client", "code": None, "message": f"{type(error).__name__}: {error}"},
    }


async def serve() -> int:
    greeting = {
        "hello": "ahi-sdk-adapter/1",
        "sdk": "aiobotocore",
        "version": aiobotocore.__version__,
        "language": "python",
        "retries": "2026" if NEW_RETRIES_ENABLED else "standard",
    }
    print(json.dumps(greeting), flush=True)
    adapter = Adapter()
    try:
        while line := await asyncio.to_thread(sys.stdin.readline):
            if line.strip():
                print(json.dumps(await adapter.answer(json.loads(line))), flush=True)
    finally:
        await adapter.close()
    return 0


def main() -> int:
    return asyncio.run(serve())


if __name__ == "__main__":
    raise SystemExit(main())
