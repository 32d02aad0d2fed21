"""The reference SDK client with one deliberate bug each: realistic SDK mistakes.

Each variant overrides one step of `SdkClient` (`harness.sdk.reference_sdk`);
`python -m harness.sdk.reference_adapter --bug NAME` runs it as an adapter, and
`harness.sdk.bugs` declares the scenarios that must catch it.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import replace
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import requests

from harness.aws.restjson import header_value
from harness.client import ClientSideError, ServiceError
from harness.client.retry import RETRY_COST
from harness.model import Operation
from harness.sdk.endpoints import EndpointSettings
from harness.sdk.reference_sdk import SdkClient


class NoToken(SdkClient):
    """Never fills clientToken."""

    def _fill_tokens(self, shape: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        return params


class TokenPerAttempt(SdkClient):
    """Draws a new clientToken on every attempt."""

    def _for_attempt(self, request: requests.Request, attempt: int) -> requests.Request:
        if attempt > 1 and request.data:
            body = json.loads(request.data)
            if "clientToken" in body:
                body["clientToken"] = str(uuid.uuid4())
                request.data = json.dumps(body).encode()
        return request


class HeaderIgnored(SdkClient):
    """Reads the error type from the body only."""

    def _error_code(self, headers: dict[str, str], body: Any) -> str | None:
        return super()._error_code({}, body)


class NamespaceKept(SdkClient):
    """Keeps `namespace#` (and `:URI`) in error codes."""

    def _error_code(self, headers: dict[str, str], body: Any) -> str | None:
        value = header_value(headers, "X-Amzn-Errortype")
        if value:
            return value
        return super()._error_code(headers, body)


class BodyCodeFirst(SdkClient):
    """Prefers the body's type over the header."""

    def _error_code(self, headers: dict[str, str], body: Any) -> str | None:
        return super()._error_code({}, body) or super()._error_code(headers, body)


class NoThrottleRetry(SdkClient):
    """Does not retry throttling."""

    def _retryable(self, error: ServiceError) -> bool:
        return error.http_status in (500, 502, 503, 504)


class RetriesConflicts(SdkClient):
    """Retries 409 ConflictException as if it were transient."""

    def _retryable(self, error: ServiceError) -> bool:
        return error.http_status == 409 or super()._retryable(error)


class FractionsDropped(SdkClient):
    """Reads epoch timestamps as whole seconds (as Dart's aws_client does)."""

    def _known(self, shape_name: str, value: Any) -> Any:
        if self.source.shape(shape_name)["type"] == "timestamp" and isinstance(value, float):
            return float(int(value))
        return super()._known(shape_name, value)


class NullsSent(SdkClient):
    """Sends JSON null for the optional body members the caller left out."""

    def _request(self, operation: Operation, params: dict[str, Any]) -> requests.Request:
        request = super()._request(operation, params)
        absent = [m.name for m in operation.body_members if m.name not in params]
        if absent and request.data:
            body = json.loads(request.data)
            body.update(dict.fromkeys(absent))
            request.data = json.dumps(body).encode()
        return request


class LabelsHalfEncoded(SdkClient):
    """Leaves !'()* unencoded in labels (as Dart's Uri.encodeComponent does)."""

    def _encode_label(self, value: str) -> str:
        return quote(value, safe="-._~!'()*")


class Unsigned(SdkClient):
    """Sends requests without SigV4."""

    def __init__(self, *arguments: Any, **keywords: Any) -> None:
        super().__init__(*arguments, **keywords)
        self.auth = lambda request: request  # type: ignore[assignment]


class MetadataGunzipped(SdkClient):
    """Hands back blob answers content-decoded, as `requests` does by default (gzip undone)."""

    def _blob_body(self, response: requests.Response) -> bytes:
        return response.content


class BodyOnGet(SdkClient):
    """Sends `{}` with a JSON Content-Type on operations without a modeled body."""

    def _for_attempt(self, request: requests.Request, attempt: int) -> requests.Request:
        if not request.data:
            request.data = b"{}"
            request.headers["Content-Type"] = "application/json"
        return request


class TagKeysCommaJoined(SdkClient):
    """Joins a repeated query member into one comma-separated value (`tagKeys=a,b`)."""

    def _for_attempt(self, request: requests.Request, attempt: int) -> requests.Request:
        joined: dict[str, list[str]] = {}
        for key, value in request.params:
            joined.setdefault(key, []).append(value)
        request.params = [(key, ",".join(values)) for key, values in joined.items()]
        return request


class ArnLabelUnencoded(SdkClient):
    """Leaves `:` and `/` unencoded in labels, so an ARN spans several path segments."""

    def _encode_label(self, value: str) -> str:
        return quote(value, safe="-._~:/")


class BooleansCapitalised(SdkClient):
    """Writes query booleans as Python's `str(bool)` does: `True`, `False`."""

    def _for_attempt(self, request: requests.Request, attempt: int) -> requests.Request:
        spelled = {"true": "True", "false": "False"}
        request.params = [(key, spelled.get(value, value)) for key, value in request.params]
        return request


class BlobsAsText(SdkClient):
    """Sends the DICOMUpdates blobs as their text instead of base64."""

    def _for_attempt(self, request: requests.Request, attempt: int) -> requests.Request:
        if request.data:
            body = json.loads(request.data)
            updates = body.get("DICOMUpdates") if isinstance(body, dict) else None
            if isinstance(updates, dict):
                for name, value in updates.items():
                    updates[name] = base64.b64decode(value).decode("utf-8")
                request.data = json.dumps(body).encode()
        return request


class NoRetryQuota(SdkClient):
    """Retries without limit: no retry quota."""

    def _take(self, cost: int) -> bool:
        return True


class BackoffOffByOne(SdkClient):
    """Waits `base * 2 ** attempt` without jitter: twice the documented bound."""

    def _backoff(self, attempt: int) -> None:
        self._sleep(min(self.config.max_backoff, self.config.base_backoff * 2**attempt))


class AttemptMaxLate(SdkClient):
    """Leaves `max=` off the first attempt's amz-sdk-request."""

    def _attempt_header(self, attempt: int, attempts: int) -> str:
        return f"attempt={attempt}" if attempt == 1 else super()._attempt_header(attempt, attempts)


class AttemptStuck(SdkClient):
    """Sends `attempt=1` on every attempt."""

    def _attempt_header(self, attempt: int, attempts: int) -> str:
        return super()._attempt_header(1, attempts)


class TransportErrorsFinal(SdkClient):
    """Treats timeouts and dropped connections as final."""

    def _transport_retryable(self, error: Exception) -> bool:
        return False


class ClockNeverCorrected(SdkClient):
    """Ignores the server's Date: no clock-skew correction."""

    def _corrects_clock(self, error: ServiceError, response: requests.Response) -> bool:
        return False


class HostPrefixIgnored(SdkClient):
    """Never applies the model's host prefix, even when injection is on."""

    def _base_url(self, operation: Operation) -> str:
        return self.config.endpoint.rstrip("/")


class HostPrefixEverywhere(SdkClient):
    """Applies `runtime-` to every operation when injection is on."""

    def _base_url(self, operation: Operation) -> str:
        if not self.config.inject_host_prefix:
            return super()._base_url(operation)
        parts = urlsplit(self.config.endpoint.rstrip("/"))
        return urlunsplit(parts._replace(netloc="runtime-" + parts.netloc))


class ContentLengthOnGet(SdkClient):
    """Sends `Content-Length: 0` on GET requests."""

    def _for_attempt(self, request: requests.Request, attempt: int) -> requests.Request:
        if request.method == "GET":
            request.headers["Content-Length"] = "0"
        return request


class EmptyOutputRejected(SdkClient):
    """Takes a success answer without a body for an error."""

    def _output(
        self, operation: Operation, response: requests.Response, raw: bytes
    ) -> dict[str, Any]:
        if not raw and not operation.blob_output:
            raise ClientSideError("the success answer has no body")
        return super()._output(operation, response, raw)


class TimeoutCostsFive(SdkClient):
    """Charges a retry after a timeout 5 quota tokens, as any other retry."""

    def _retry_cost(self, error: Exception) -> int:
        return RETRY_COST if isinstance(error, requests.Timeout) else super()._retry_cost(error)


class FipsIgnored(SdkClient):
    """Resolves endpoints as if `useFipsEndpoint` were never set."""

    def _endpoint_for(self, settings: EndpointSettings) -> str:
        return super()._endpoint_for(replace(settings, use_fips=False))


BUGS: dict[str, type[SdkClient]] = {
    "no-token": NoToken,
    "token-per-attempt": TokenPerAttempt,
    "header-ignored": HeaderIgnored,
    "namespace-kept": NamespaceKept,
    "body-code-first": BodyCodeFirst,
    "no-throttle-retry": NoThrottleRetry,
    "retries-conflicts": RetriesConflicts,
    "fractions-dropped": FractionsDropped,
    "nulls-sent": NullsSent,
    "labels-half-encoded": LabelsHalfEncoded,
    "unsigned": Unsigned,
    "metadata-gunzipped": MetadataGunzipped,
    "body-on-get": BodyOnGet,
    "tagkeys-comma-joined": TagKeysCommaJoined,
    "arn-label-unencoded": ArnLabelUnencoded,
    "booleans-capitalised": BooleansCapitalised,
    "blobs-as-text": BlobsAsText,
    "no-retry-quota": NoRetryQuota,
    "backoff-off-by-one": BackoffOffByOne,
    "attempt-max-late": AttemptMaxLate,
    "attempt-stuck": AttemptStuck,
    "transport-errors-final": TransportErrorsFinal,
    "clock-never-corrected": ClockNeverCorrected,
    "host-prefix-ignored": HostPrefixIgnored,
    "host-prefix-everywhere": HostPrefixEverywhere,
    "content-length-on-get": ContentLengthOnGet,
    "empty-output-rejected": EmptyOutputRejected,
    "fips-ignored": FipsIgnored,
    "timeout-costs-five": TimeoutCostsFive,
}
