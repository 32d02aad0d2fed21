"""The reference client.

Requests are built from the model (routes, label encoding, query and body
members, no nulls for absent members), signed with botocore's SigV4, sent with
`requests` (so the `responses` library can script it). Errors are identified by
the restJson1 rules in `harness.aws.restjson`. `clientToken` is filled with a UUID
v4 when the caller leaves it out and kept on every retry. `call` is the one
retry loop of the reference clients, by the rules of `harness.client.retry`:
throttling codes, the transient statuses and transport errors are retried with
capped exponential backoff and jitter, `maxAttempts` in all;
`amz-sdk-invocation-id` stays constant across the attempts of one call. Blob
answers are the body's bytes as sent (never decompressed, whatever
`Content-Encoding` says). The model's host prefix (`runtime-`) is applied only
when `inject_host_prefix` is set, as botocore's `inject_host_prefix` and JS
v3's `disableHostPrefix` do.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from harness.aws.restjson import header_value, resolve_error_code
from harness.aws.sigv4 import AwsCredentials, SigV4RequestsAuth
from harness.client import retry
from harness.client.errors import ClientSideError, ServiceError
from harness.model import (
    ModelSource,
    Operation,
    OperationTable,
    encode_label,
    operations,
    pinned_model,
)
from harness.model.serialize import parse_output, serialize_request


@dataclass
class ClientConfig:
    """Where and how the client talks to the service."""

    endpoint: str
    region: str = "us-east-1"
    credentials: AwsCredentials = field(default_factory=lambda: AwsCredentials("test", "test"))
    max_attempts: int = 3
    timeout: float = 10.0
    base_backoff: float = 0.05
    max_backoff: float = 2.0
    inject_host_prefix: bool = False


class ImagingClient:
    """Calls every operation in scope; `call(name, input)` is the generic entry point.

    Requests come from the operation table and its serializer; blob answers
    (GetImageSetMetadata, GetImageFrame) come back as bytes, never decompressed,
    beside their header members. The `runtime-` host prefix is applied only with
    `ClientConfig.inject_host_prefix` (off by default, so that a local endpoint
    is reached as it is). `call` is the reference clients' one retry loop; the
    steps it calls are where a variant differs (`SdkClient`'s retry quota and
    clock offset, the self-test's bugs).
    """

    def __init__(
        self,
        config: ClientConfig,
        session: requests.Session | None = None,
        source: ModelSource | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.session = session or requests.Session()
        self.source = source or pinned_model()
        self.table = operations() if source is None else OperationTable.from_model(source)
        self.auth = SigV4RequestsAuth(config.credentials, config.region)
        self._sleep = sleep

    def _validated(
        self, operation: str, params: dict[str, Any]
    ) -> tuple[Operation, requests.Request]:
        """The operation's binding and its request, idempotency tokens filled; ClientSideError
        for an unknown operation or a missing required member."""
        if operation not in self.table:
            raise ClientSideError(f"unknown operation {operation}")
        binding = self.table[operation]
        shape = self.source.shape(binding.input_shape)
        params = self._fill_tokens(shape, {k: v for k, v in params.items() if v is not None})
        missing = [name for name in shape.get("required", ()) if name not in params]
        if missing:
            raise ClientSideError(f"missing required parameters: {', '.join(missing)}")
        return binding, self._request(binding, params)

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send one operation call (with retries); the output in model member names."""
        binding, request = self._validated(operation, params)
        invocation_id = str(uuid.uuid4())
        attempts = max(1, self.config.max_attempts)
        spent: int | None = None
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            prepared = self.session.prepare_request(self._for_attempt(request, attempt))
            prepared.headers["amz-sdk-invocation-id"] = invocation_id
            prepared.headers["amz-sdk-request"] = self._attempt_header(attempt, attempts)
            prepared = self.auth(prepared)
            try:
                response = self.session.send(prepared, timeout=self.config.timeout, stream=True)
                with response:
                    body = self._read(binding, response)
            except retry.TRANSPORT_ERRORS as transport_error:
                cost = self._retry_cost(transport_error)
                if last or not self._transport_retryable(transport_error) or not self._take(cost):
                    message = f"{type(transport_error).__name__}: {transport_error}"
                    raise ClientSideError(message) from transport_error
                spent = cost
                self._wait(attempt, False, None)
                continue
            if 200 <= response.status_code < 300:
                self._settle(spent)
                return self._output(binding, response, body)
            service_error = self._error(binding, response, body)
            skewed = self._corrects_clock(service_error, response)
            cost = self._retry_cost(service_error)
            if last or not (skewed or self._retryable(service_error)) or not self._take(cost):
                raise service_error
            spent = cost
            if not skewed:
                retry_after = header_value(dict(response.headers), retry.RETRY_AFTER_HEADER)
                self._wait(attempt, retry.throttled(service_error), retry_after)
        raise AssertionError("unreachable")

    def _request(self, operation: Operation, params: dict[str, Any]) -> requests.Request:
        try:
            wire = serialize_request(self.source, operation, params, self._encode_label)
        except KeyError as error:
            raise ClientSideError(str(error.args[0])) from None
        return requests.Request(
            wire.method,
            self._base_url(operation) + wire.path,
            params=list(wire.query),
            data=wire.body,
            headers=wire.headers,
        )

    def _base_url(self, operation: Operation) -> str:
        endpoint = self.config.endpoint.rstrip("/")
        if not (self.config.inject_host_prefix and operation.host_prefix):
            return endpoint
        parts = urlsplit(endpoint)
        return urlunsplit(parts._replace(netloc=operation.host_prefix + parts.netloc))

    def _read(self, operation: Operation, response: requests.Response) -> bytes:
        """The whole body: a blob answer's bytes as sent, anything else content-decoded."""
        if operation.blob_output and 200 <= response.status_code < 300:
            return self._blob_body(response)
        return response.content

    def _output(
        self, operation: Operation, response: requests.Response, raw: bytes
    ) -> dict[str, Any]:
        try:
            body = parse_output(operation, dict(response.headers), raw)
        except ValueError as error:
            raise ClientSideError(f"the success answer is not a JSON object: {error}") from error
        if operation.blob_output:
            return body
        output: dict[str, Any] = self._known(operation.output_shape, body)
        return output

    def _known(self, shape_name: str, value: Any) -> Any:
        """`value` with the members the model does not know, and nulls, left out."""
        shape = self.source.shape(shape_name)
        if shape["type"] == "structure" and isinstance(value, dict):
            return {
                name: self._known(member["shape"], value[name])
                for name, member in shape["members"].items()
                if value.get(name) is not None
            }
        if shape["type"] == "list" and isinstance(value, list):
            return [self._known(shape["member"]["shape"], item) for item in value]
        if shape["type"] == "map" and isinstance(value, dict):
            return {key: self._known(shape["value"]["shape"], item) for key, item in value.items()}
        return value

    def _error(self, operation: Operation, response: requests.Response, raw: bytes) -> ServiceError:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        code = self._error_code(dict(response.headers), body) or str(response.status_code)
        message = ""
        if isinstance(body, dict):
            found = body.get("message", body.get("Message", ""))
            message = found if isinstance(found, str) else ""
        modeled = code in {error.name for error in operation.errors}
        return ServiceError(code, message, response.status_code, modeled)

    # Steps a variant may override (the self-test's faulty clients do).

    def _fill_tokens(self, shape: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        """Fill every absent idempotency token with a UUID v4, once per call."""
        for name, member in shape["members"].items():
            if member.get("idempotencyToken") and name not in params:
                params[name] = str(uuid.uuid4())
        return params

    def _blob_body(self, response: requests.Response) -> bytes:
        """A blob answer's bytes as the service sent them (no content decoding)."""
        data: bytes = response.raw.read(decode_content=False)
        return data

    def _encode_label(self, value: str) -> str:
        return encode_label(value)

    def _for_attempt(self, request: requests.Request, attempt: int) -> requests.Request:
        """The request to send on `attempt`; the same one every time."""
        return request

    def _attempt_header(self, attempt: int, attempts: int) -> str:
        """`amz-sdk-request` of one attempt."""
        return f"attempt={attempt}; max={attempts}"

    def _error_code(self, headers: dict[str, str], body: Any) -> str | None:
        return resolve_error_code(headers, body)

    def _retryable(self, error: ServiceError) -> bool:
        return retry.retryable(error)

    def _transport_retryable(self, error: Exception) -> bool:
        """Whether a timeout or dropped connection is worth another attempt."""
        return True

    def _corrects_clock(self, error: ServiceError, response: requests.Response) -> bool:
        """Whether `error` corrected the signing clock, to be retried at once; never here."""
        return False

    # The retry budget: none here, every retry allowed (an SDK client keeps a quota).

    def _retry_cost(self, error: Exception) -> int:
        """The retry budget's price of a retry after `error`."""
        return 0

    def _take(self, cost: int) -> bool:
        """Pay for one retry from the budget; False when it cannot be paid."""
        return True

    def _settle(self, spent: int | None) -> None:
        """After a successful call, given what its last retry cost (None: no retry)."""

    def _wait(self, attempt: int, throttled: bool, retry_after: str | None) -> None:
        """Back off before the attempt after `attempt`."""
        self._backoff(attempt)

    def _backoff(self, attempt: int) -> None:
        self._sleep(retry.full_jitter(self.config.base_backoff, self.config.max_backoff, attempt))
