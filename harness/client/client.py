"""The reference client.

Requests are built from the model (routes, label encoding, query and body
members, no nulls for absent members), signed with botocore's SigV4, sent with
`requests` (so the `responses` library can script it). Errors are identified by
the restJson1 rules in `harness.aws.restjson`. `clientToken` is filled with a UUID
v4 when the caller leaves it out and kept on every retry. Throttling codes and
the transient statuses 500, 502, 503, 504 (and 429) are retried with capped
exponential backoff and jitter, `maxAttempts` in all; `amz-sdk-invocation-id`
stays constant across the attempts of one call. Blob answers are the body's
bytes as sent (never decompressed, whatever `Content-Encoding` says). The
model's host prefix (`runtime-`) is applied only when `inject_host_prefix` is
set, as botocore's `inject_host_prefix` and JS v3's `disableHostPrefix` do.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3

from harness.aws.restjson import resolve_error_code
from harness.aws.sigv4 import AwsCredentials, SigV4RequestsAuth
from harness.client.errors import ClientSideError, ServiceError
from harness.model import (
    ModelSource,
    Operation,
    OperationTable,
    encode_label,
    load_pinned_model,
    operations,
)
from harness.model.serialize import parse_output, serialize_request

THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


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
    is reached as it is).
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
        self.source = source or load_pinned_model()
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
        for attempt in range(1, attempts + 1):
            prepared = self.session.prepare_request(self._for_attempt(request, attempt))
            prepared.headers["amz-sdk-invocation-id"] = invocation_id
            prepared.headers["amz-sdk-request"] = f"attempt={attempt}; max={attempts}"
            prepared = self.auth(prepared)
            try:
                response = self.session.send(prepared, timeout=self.config.timeout, stream=True)
                with response:
                    body = self._read(binding, response)
            except (requests.RequestException, urllib3.exceptions.HTTPError) as transport_error:
                if attempt == attempts:
                    message = f"{type(transport_error).__name__}: {transport_error}"
                    raise ClientSideError(message) from transport_error
                self._backoff(attempt)
                continue
            if 200 <= response.status_code < 300:
                return self._output(binding, response, body)
            service_error = self._error(binding, response, body)
            if attempt < attempts and self._retryable(service_error):
                self._backoff(attempt)
                continue
            raise service_error
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

    def _error_code(self, headers: dict[str, str], body: Any) -> str | None:
        return resolve_error_code(headers, body)

    def _retryable(self, error: ServiceError) -> bool:
        return error.code in THROTTLING_CODES or error.http_status in TRANSIENT_STATUSES

    def _backoff(self, attempt: int) -> None:
        ceiling = min(self.config.max_backoff, self.config.base_backoff * 2 ** (attempt - 1))
        self._sleep(random.uniform(0, ceiling))
