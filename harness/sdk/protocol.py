"""The harness side of the SDK adapter protocol, version 1.1 (docs/sdk-adapter-protocol.md).

Adapters are programs speaking JSON lines on stdin/stdout; the reference
client also runs in-process behind the same interface, its inputs and answers
taking the same trip through the protocol's JSON (blobs as `{"$base64": ...}`).
"""

from __future__ import annotations

import json
import os
import queue
import re
import shlex
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

from harness.aws.sigv4 import AwsCredentials
from harness.client import ClientConfig, ClientSideError, ImagingClient, ServiceError
from harness.sdk.endpoints import EndpointSettings
from harness.sdk.reference_sdk import NEW_RETRIES_VARIABLE, SdkClient
from harness.sdk.wire import decode_answer, decode_input, dumps

HELLO = "ahi-sdk-adapter/1"
# The retry behaviours an adapter may declare in its greeting (`retries`, protocol 1.1).
STANDARD = "standard"
RETRIES_2026 = "2026"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG"
GREETING_TIMEOUT = 30.0
CALL_GRACE = 10.0
EXIT_TIMEOUT = 5.0
STDERR_KEPT = 2000
_STACK_FRAME = re.compile(r"^\s+(at |File \")")
_ERROR_LINE = re.compile(r"^[\w.]*(error|exception)\b", re.IGNORECASE)
_CLEARED_ENVIRONMENT = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ENDPOINT_URL",
    "AWS_NEW_RETRIES_2026",
)


def declared_retries(greeting: dict[str, Any]) -> str:
    """The retry behaviour an adapter's greeting declares: `2026`, or `standard` (the default)."""
    return RETRIES_2026 if greeting.get("retries") == RETRIES_2026 else STANDARD


class AdapterBroken(Exception):
    """The adapter crashed, hung, or broke the protocol; the run cannot go on with it."""


class AdapterNotStarted(AdapterBroken):
    """The adapter program could not be started, or exited before its greeting."""


def stderr_tail(lines: Sequence[str], count: int = 3) -> str:
    """What a program's stderr ends with, in one line: blank lines and stack frames left
    out, from its last error line (`Error: ...`, `ModuleNotFoundError: ...`) when it has
    one, at most `count` lines joined by ` | `."""
    said = [line.strip() for line in lines if line.strip() and not _STACK_FRAME.match(line)]
    errors = [index for index, line in enumerate(said) if _ERROR_LINE.match(line)]
    start = errors[-1] if errors else max(0, len(said) - count)
    return " | ".join(said[start : start + count])


class Adapter(Protocol):
    """What the SDK runner needs from an adapter."""

    greeting: dict[str, Any]

    def call(
        self, call_id: int, operation: str, params: dict[str, Any], config: dict[str, Any]
    ) -> dict[str, Any]: ...

    def close(self) -> None: ...


def call_config(
    endpoint: str | None,
    max_attempts: int,
    timeout: float = 10.0,
    *,
    host_prefix: bool = False,
    proxy: str | None = None,
    client_id: str | None = None,
    short_backoff: bool = True,
    region: str | None = "us-east-1",
    use_fips: bool = False,
    use_dualstack: bool = False,
) -> dict[str, Any]:
    """The `config` object of a call, as the protocol defines it (1.1 members only when used).

    A None `endpoint` or `region` is sent as null: the SDK resolves its endpoint itself.
    """
    config: dict[str, Any] = {
        "endpoint": endpoint,
        "region": region,
        "credentials": {
            "accessKeyId": ACCESS_KEY,
            "secretAccessKey": SECRET_KEY,
            "sessionToken": None,
        },
        "maxAttempts": max_attempts,
        "timeoutSeconds": timeout,
        "hostPrefix": host_prefix,
    }
    if proxy is not None:
        config["proxy"] = proxy
    if client_id is not None:
        config["clientId"] = client_id
    if not short_backoff:
        config["shortBackoff"] = False
    if use_fips:
        config["useFipsEndpoint"] = True
    if use_dualstack:
        config["useDualstackEndpoint"] = True
    return config


@dataclass
class SubprocessAdapter:
    """An adapter program, started once per run."""

    command: str
    greeting: dict[str, Any] = field(default_factory=dict)
    stderr: list[str] = field(default_factory=list)
    retries_2026: bool = False

    def __post_init__(self) -> None:
        environment = {k: v for k, v in os.environ.items() if k not in _CLEARED_ENVIRONMENT}
        environment["AWS_EC2_METADATA_DISABLED"] = "true"
        if self.retries_2026:
            environment[NEW_RETRIES_VARIABLE] = "true"
        try:
            self._process = subprocess.Popen(
                shlex.split(self.command),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                env=environment,
                bufsize=1,
            )
        except OSError as error:
            raise AdapterNotStarted(f"cannot start adapter `{self.command}`: {error}") from error
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        self._stderr_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr_reader.start()
        try:
            first = self._next_line(GREETING_TIMEOUT, "greet")
        except BaseException:
            self.kill()
            raise
        if first.get("hello") != HELLO:
            self.kill()
            raise AdapterBroken(f"adapter greeted with {first!r}, not hello {HELLO!r}")
        self.greeting = first

    def _read_stdout(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _read_stderr(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self.stderr.append(line.rstrip("\n"))
            if len(self.stderr) > STDERR_KEPT:
                del self.stderr[0]

    def _next_line(self, timeout: float, doing: str) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            raise AdapterBroken(
                f"adapter hung: no answer to {doing} within {timeout:.0f} s"
            ) from None
        if line is None:
            code = self._process.wait()
            self._stderr_reader.join(timeout=2.0)
            tail = stderr_tail(self.stderr) or "nothing on stderr"
            if doing == "greet":
                raise AdapterNotStarted(
                    f"adapter `{self.command}` exited with status {code} before greeting: {tail}"
                )
            raise AdapterBroken(
                f"adapter exited with status {code} instead of answering to {doing}: {tail}"
            )
        try:
            message = json.loads(line)
        except ValueError:
            self.kill()
            raise AdapterBroken(
                f"adapter printed something that is not JSON: {line[:200]!r}"
            ) from None
        if not isinstance(message, dict):
            self.kill()
            raise AdapterBroken(
                f"adapter printed a JSON value that is not an object: {line[:200]!r}"
            )
        return message

    def call(
        self, call_id: int, operation: str, params: dict[str, Any], config: dict[str, Any]
    ) -> dict[str, Any]:
        message = {"id": call_id, "operation": operation, "input": params, "config": config}
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(dumps(message) + "\n")
            self._process.stdin.flush()
        except OSError as error:
            raise AdapterBroken(f"adapter stopped reading its input: {error}") from error
        answer = self._next_line(config["timeoutSeconds"] + CALL_GRACE, f"call {call_id}")
        if answer.get("id") != call_id:
            self.kill()
            raise AdapterBroken(f"adapter answered id {answer.get('id')!r} to call {call_id}")
        return decode_answer(operation, answer)

    def close(self) -> None:
        if self._process.poll() is not None:
            return
        try:
            assert self._process.stdin is not None
            self._process.stdin.close()
            self._process.wait(timeout=EXIT_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()


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
    client_class: type[ImagingClient] = SdkClient,
    retries_2026: bool = False,
) -> ImagingClient:
    """A reference client configured from a call's `config`.

    Short backoff unless `shortBackoff` is false (then the standard mode's
    1 s base and 20 s cap); every request through `proxy` when one is given
    (an https endpoint through a CONNECT tunnel); without `endpoint`, the
    endpoint the service's ruleset gives for `region`, `useFipsEndpoint` and
    `useDualstackEndpoint`.
    """
    credentials = config["credentials"]
    settings = endpoint_settings(config)
    short = config.get("shortBackoff", True) is not False
    session = requests.Session()
    session.trust_env = False
    if config.get("proxy"):
        session.proxies = {"http": config["proxy"], "https": config["proxy"]}
    keywords: dict[str, Any] = {}
    if issubclass(client_class, SdkClient):
        keywords["retries_2026"] = retries_2026
        if settings is not None:
            keywords["endpoint_settings"] = settings
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
        **keywords,
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

    client_class: type[ImagingClient] = SdkClient
    clients: dict[str, ImagingClient] = field(default_factory=dict)
    retries_2026: bool = False

    def client(self, config: dict[str, Any]) -> ImagingClient:
        key = config.get("clientId")
        if not isinstance(key, str):
            return client_for(config, self.client_class, self.retries_2026)
        if key not in self.clients:
            self.clients[key] = client_for(config, self.client_class, self.retries_2026)
        return self.clients[key]


class InProcessReference:
    """The reference client behind the adapter interface, without a subprocess."""

    def __init__(self, retries_2026: bool = False) -> None:
        from harness import __version__

        self.greeting = {
            "hello": HELLO,
            "sdk": "ahi-contract-reference",
            "version": __version__,
            "language": "python",
            "retries": RETRIES_2026 if retries_2026 else STANDARD,
        }
        self._pool = ClientPool(retries_2026=retries_2026)

    def call(
        self, call_id: int, operation: str, params: dict[str, Any], config: dict[str, Any]
    ) -> dict[str, Any]:
        sent = decode_input(operation, json.loads(dumps(params)))
        answer = answer_from_client(call_id, self._pool.client(config), operation, sent)
        return decode_answer(operation, json.loads(dumps(answer)))

    def close(self) -> None:
        return
