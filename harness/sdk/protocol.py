"""The harness side of the SDK adapter protocol, version 1.1 (docs/sdk-adapter-protocol.md).

Adapters are programs speaking JSON lines on stdin/stdout; the reference
client runs behind the same interface, in-process or as a program
(`harness.sdk.reference_adapter`).
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

from harness.client.retry import NEW_RETRIES_VARIABLE
from harness.sdk.wire import decode_answer, dumps

HELLO = "ahi-sdk-adapter/1"
# The retry behaviours an adapter may declare in its greeting (`retries`, protocol 1.1):
# the standard one, the 2026 one, or an SDK's own older policy (the AWS SDKs' `legacy` mode).
STANDARD = "standard"
RETRIES_2026 = "2026"
LEGACY = "legacy"
# How an SDK types the service's errors (`errors`, protocol 1.1): a type per modeled error,
# or one error type whose code alone names the error.
TYPED = "typed"
CODE_ONLY = "code"
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
    """The retry behaviour an adapter's greeting declares: `2026`, `legacy`, or `standard`
    (the default, also for a value the protocol does not define)."""
    retries = greeting.get("retries")
    return retries if retries in (RETRIES_2026, LEGACY) else STANDARD


def declared_errors(greeting: dict[str, Any]) -> str:
    """How an adapter's greeting says its SDK types errors: `code` (one type, told apart by
    code), or `typed` (a type per modeled error: the default)."""
    return CODE_ONLY if greeting.get("errors") == CODE_ONLY else TYPED


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
