"""ahi-contract SDK adapter (protocol version 1.1) for boto3.

Run by `ahi-contract sdk --adapter boto3`, or as
`python harness/sdk/adapters/boto3/adapter.py` by any harness that speaks the protocol.
It translates calls into boto3 calls and never judges. Retries are botocore's
own ("standard" mode, `max_attempts` as given); unless the call's
`config.shortBackoff` is false, the delays botocore computes are scaled down
so that a run stays fast (which attempts happen is still botocore's decision).
Blobs travel as `{"$base64": ...}`: input blobs become `bytes`, streaming
bodies are `.read()` whole and reported unchanged. The host prefix is injected
unless `config.hostPrefix` is false; `config.proxy` becomes botocore's
`proxies` (http and https, the latter through CONNECT); calls with one
`config.clientId` share one client (its retry quota). A null `endpoint` or
`region` is left to botocore (its endpoint ruleset), with
`config.useFipsEndpoint` and `config.useDualstackEndpoint` as botocore's
`use_fips_endpoint` and `use_dualstack_endpoint`. The greeting's `retries`
says which retry behaviour botocore runs: `2026` when `AWS_NEW_RETRIES_2026=true`
switched it on (`botocore.configprovider.NEW_RETRIES_ENABLED`), else `standard`.
"""

from __future__ import annotations

import base64
import json
import sys
from datetime import datetime
from typing import Any

import boto3
import botocore
from botocore.config import Config
from botocore.configprovider import NEW_RETRIES_ENABLED
from botocore.exceptions import BotoCoreError, ClientError
from botocore.response import StreamingBody
from botocore.retries import standard

# Shorter delays between attempts when the harness asks for them (config.shortBackoff).
SHORT_BACKOFF_SCALE = 0.01
_backoff_scale = SHORT_BACKOFF_SCALE
_botocore_delay = standard.ExponentialBackoff.delay_amount


def _scaled_delay(self: standard.ExponentialBackoff, context: Any) -> float:
    return float(_botocore_delay(self, context)) * _backoff_scale


standard.ExponentialBackoff.delay_amount = _scaled_delay
CLIENTS: dict[str, Any] = {}


BLOB = "$base64"


def from_protocol(value: Any) -> Any:
    """A call's input as boto3 takes it: `{"$base64": ...}` objects become bytes.

    The harness sends that form only where the model has a blob.
    """
    if isinstance(value, dict):
        if set(value) == {BLOB}:
            return base64.b64decode(value[BLOB])
        return {key: from_protocol(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_protocol(item) for item in value]
    return value


def plain(value: Any) -> Any:
    """boto3 output as protocol JSON: datetimes become epoch seconds, blobs base64."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, StreamingBody):
        value = value.read()
    if isinstance(value, bytes | bytearray):
        return {BLOB: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def client_for(config: dict[str, Any]) -> Any:
    """A client for the call: the one of its clientId, or a new one."""
    key = config.get("clientId")
    if isinstance(key, str):
        if key not in CLIENTS:
            CLIENTS[key] = new_client(config)
        return CLIENTS[key]
    return new_client(config)


def new_client(config: dict[str, Any]) -> Any:
    credentials = config["credentials"]
    proxy = config.get("proxy")
    return boto3.client(
        "medical-imaging",
        endpoint_url=config.get("endpoint"),
        region_name=config.get("region"),
        aws_access_key_id=credentials["accessKeyId"],
        aws_secret_access_key=credentials["secretAccessKey"],
        aws_session_token=credentials.get("sessionToken"),
        config=Config(
            retries={"total_max_attempts": config["maxAttempts"], "mode": "standard"},
            connect_timeout=config["timeoutSeconds"],
            read_timeout=config["timeoutSeconds"],
            inject_host_prefix=config.get("hostPrefix", True),
            proxies={"http": proxy, "https": proxy} if proxy else None,
            use_fips_endpoint=config.get("useFipsEndpoint") is True,
            use_dualstack_endpoint=config.get("useDualstackEndpoint") is True,
        ),
    )


def answer(message: dict[str, Any]) -> dict[str, Any]:
    global _backoff_scale
    call_id = message["id"]
    short = message["config"].get("shortBackoff", True) is not False
    _backoff_scale = SHORT_BACKOFF_SCALE if short else 1.0
    try:
        client = client_for(message["config"])
        method = getattr(client, botocore.xform_name(message["operation"]))
        output = method(**from_protocol(message["input"]))
        output.pop("ResponseMetadata", None)
        result = plain(output)
    except ClientError as error:
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
    except (BotoCoreError, AttributeError, TypeError, ValueError) as error:
        return {"id": call_id, "error": {"kind": "client", "code": None, "message": str(error)}}
    return {"id": call_id, "output": result}


def main() -> int:
    greeting = {
        "hello": "ahi-sdk-adapter/1",
        "sdk": "boto3",
        "version": boto3.__version__,
        "language": "python",
        "retries": "2026" if NEW_RETRIES_ENABLED else "standard",
    }
    print(json.dumps(greeting), flush=True)
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(answer(json.loads(line))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
