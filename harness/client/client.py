"""The reference client.

Requests are built from the model (routes, label encoding, query and body
members, no nulls for absent members), signed with botocore's SigV4, sent with
`requests` (so the `responses` library can script it). Errors are identified by
the restJson1 rules in `harness.restjson`. `clientToken` is filled with a UUID
v4 when the caller leaves it out and kept on every retry. Throttling codes and
the transient statuses 500, 502, 503, 504 (and 429) are retried with capped
exponential backoff and jitter, `maxAttempts` in all; `amz-sdk-invocation-id`
stays constant across the attempts of one call.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from harness.client.errors import ClientSideError, ServiceError
from harness.model import IN_SCOPE_OPERATIONS, ModelSource, load_pinned_model
from harness.restjson import resolve_error_code
from harness.sigv4 import AwsCredentials, SigV4RequestsAuth

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


def encode_label(value: str) -> str:
    """Percent-encode everything outside RFC 3986 unreserved (Smithy httpLabel)."""
    return quote(value, safe="-._~")


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


class ImagingClient:
    """Calls the seven operations; `call(name, input)` is the generic entry point."""

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
        self.auth = SigV4RequestsAuth(config.credentials, config.region)
        self._sleep = sleep

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send one operation call (with retries); the output in model member names."""
        if operation not in IN_SCOPE_OPERATIONS or self.source.operation(operation) is None:
            raise ClientSideError(f"unknown operation {operation}")
        model_operation = self.source.operation(operation)
        assert model_operation is not None
        shape = self.source.shape(model_operation["input"]["shape"])
        params = self._fill_tokens(shape, {k: v for k, v in params.items() if v is not None})
        missing = [name for name in shape.get("required", ()) if name not in params]
        if missing:
            raise ClientSideError(f"missing required parameters: {', '.join(missing)}")
        request = self._request(model_operation, shape, params)
        invocation_id = str(uuid.uuid4())
        attempts = max(1, self.config.max_attempts)
        for attempt in range(1, attempts + 1):
            prepared = self.session.prepare_request(self._for_attempt(request, attempt))
            prepared.headers["amz-sdk-invocation-id"] = invocation_id
            prepared.headers["amz-sdk-request"] = f"attempt={attempt}; max={attempts}"
            prepared = self.auth(prepared)
            try:
                response = self.session.send(prepared, timeout=self.config.timeout)
            except requests.RequestException as transport_error:
                if attempt == attempts:
                    message = f"{type(transport_error).__name__}: {transport_error}"
                    raise ClientSideError(message) from transport_error
                self._backoff(attempt)
                continue
            if 200 <= response.status_code < 300:
                return self._output(model_operation, response)
            service_error = self._error(model_operation, response)
            if attempt < attempts and self._retryable(service_error):
                self._backoff(attempt)
                continue
            raise service_error
        raise AssertionError("unreachable")

    def _request(
        self, operation: dict[str, Any], shape: dict[str, Any], params: dict[str, Any]
    ) -> requests.Request:
        path = operation["http"]["requestUri"]
        query: dict[str, str] = {}
        body: dict[str, Any] = {}
        for name, value in params.items():
            member = shape["members"].get(name)
            if member is None:
                raise ClientSideError(f"unknown parameter {name}")
            location = member.get("location")
            wire_name = member.get("locationName", name)
            if location == "uri":
                path = path.replace("{" + wire_name + "}", self._encode_label(str(value)))
            elif location == "querystring":
                query[wire_name] = str(value)
            else:
                body[name] = value
        headers = {}
        data = None
        if body or operation["http"]["method"] in ("POST", "PUT", "PATCH"):
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        return requests.Request(
            operation["http"]["method"],
            self.config.endpoint.rstrip("/") + path,
            params=query,
            data=data,
            headers=headers,
        )

    def _output(self, operation: dict[str, Any], response: requests.Response) -> dict[str, Any]:
        try:
            body = response.json() if response.content else {}
        except ValueError as error:
            raise ClientSideError(f"the success answer is not JSON: {error}") from error
        if not isinstance(body, dict):
            raise ClientSideError("the success answer is not a JSON object")
        output: dict[str, Any] = self._known(operation["output"]["shape"], body)
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

    def _error(self, operation: dict[str, Any], response: requests.Response) -> ServiceError:
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        code = self._error_code(dict(response.headers), body) or str(response.status_code)
        message = ""
        if isinstance(body, dict):
            found = body.get("message", body.get("Message", ""))
            message = found if isinstance(found, str) else ""
        modeled = code in {error["shape"] for error in operation.get("errors", ())}
        return ServiceError(code, message, response.status_code, modeled)

    # Steps a variant may override (the self-test's faulty clients do).

    def _fill_tokens(self, shape: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        """Fill every absent idempotency token with a UUID v4, once per call."""
        for name, member in shape["members"].items():
            if member.get("idempotencyToken") and name not in params:
                params[name] = str(uuid.uuid4())
        return params

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
